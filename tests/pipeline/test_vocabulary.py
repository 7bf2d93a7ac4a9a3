import numpy as np
import pytest

from sitegen.errors import VocabularyError
from sitegen.pipeline.vocabulary import parse_vocabulary, read_vocabulary_file, vocabulary_from_names


def test_synonyms_comments_blank_lines_and_whitespace():
    text = "# football scene\n\n  Lionel Messi  \nperson , man,woman   # people\n\t\ngrass#pitch\r\n"
    vocabulary = parse_vocabulary(text, "vocab.txt")
    assert [(c.index, c.name, c.queries, c.line) for c in vocabulary.classes] == [
        (0, "Lionel Messi", ("Lionel Messi",), 3),
        (1, "person", ("person", "man", "woman"), 4),
        (2, "grass", ("grass",), 6),
    ]
    assert vocabulary.queries == ["Lionel Messi", "person", "man", "woman", "grass"]
    np.testing.assert_array_equal(vocabulary.query_class, [0, 1, 1, 1, 2])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "vocab.txt: no classes found"),
        ("# only a comment\n\n   \n", "vocab.txt: no classes found"),
        ("grass\n, man\n", "vocab.txt line 2: the class name is empty"),
        ("grass\nperson,,man\n", "vocab.txt line 2: empty synonym"),
        ("grass\nperson, man,\n", "vocab.txt line 2: empty synonym"),
        ("grass\nsky\n\n# c\nGrass\n", "vocab.txt line 5: class 'Grass' repeats line 1"),
        ("person, man\nboy, MAN\n", "vocab.txt line 2: query 'MAN' is also used by class 'person' (line 1)"),
        ("person, man\nman\n", "vocab.txt line 2: query 'man' is also used by class 'person' (line 1)"),
        ("person, man, Man\n", "vocab.txt line 1: query 'Man' is listed twice"),
        ("red  car\nred car, auto\n", "vocab.txt line 2: class 'red car' repeats line 1"),
    ],
)
def test_errors_name_the_line(text, message):
    with pytest.raises(VocabularyError) as caught:
        parse_vocabulary(text, "vocab.txt")
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_names_from_the_command_line_are_one_class_each():
    vocabulary = vocabulary_from_names(["Lionel Messi", " grass ", "crowd, people"])
    assert [(c.name, c.queries, c.line) for c in vocabulary.classes] == [
        ("Lionel Messi", ("Lionel Messi",), None),
        ("grass", ("grass",), None),
        ("crowd, people", ("crowd, people",), None),
    ]


@pytest.mark.parametrize(
    ("names", "message"),
    [
        ([], "--vocabulary: no class names given"),
        (["grass", " "], "--vocabulary name 2: the class name is empty"),
        (["grass", "sky", "GRASS"], "--vocabulary name 3: class 'GRASS' repeats name 1"),
    ],
)
def test_command_line_errors_name_the_position(names, message):
    with pytest.raises(VocabularyError, match="^" + message.replace("-", r"\-")):
        vocabulary_from_names(names)


def test_read_file_with_byte_order_mark(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_bytes("\ufeffperson, man\nsky\n".encode("utf-8"))
    vocabulary = read_vocabulary_file(path)
    assert vocabulary.names == ["person", "sky"]
    with pytest.raises(VocabularyError, match=f"^{path} line 3: class 'sky' repeats line 2"):
        path.write_text("person\nsky\nsky\n", encoding="utf-8")
        read_vocabulary_file(path)


def test_unreadable_files_are_named(tmp_path):
    missing = tmp_path / "missing.txt"
    with pytest.raises(VocabularyError, match=f"^{missing}: vocabulary file not found"):
        read_vocabulary_file(missing)
    with pytest.raises(VocabularyError, match=f"^{tmp_path}: is a folder"):
        read_vocabulary_file(tmp_path)
    latin = tmp_path / "latin1.txt"
    latin.write_bytes("caf\xe9\n".encode("latin-1"))
    with pytest.raises(VocabularyError, match=f"^{latin}: not UTF-8 text"):
        read_vocabulary_file(latin)
