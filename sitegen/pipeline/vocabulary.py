"""Stage 2: read the classes to segment and the text queries that stand for them.

File format: one class per line; synonyms follow after commas and the first name is the class's
display name (``person, man, woman``); every name, the first included, is a CLIP query. ``#``
starts a comment that runs to the end of the line, blank lines are skipped and whitespace around
names is stripped. ``--vocabulary A B C`` gives one name per class instead.

Names are compared ignoring case and repeated spaces, as CLIP's tokenizer does: two classes with
the same name, or one query claimed by two classes, would make the argmax between them
meaningless, so both are errors that name the lines involved.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sitegen.errors import VocabularyError
from sitegen.records import ClassSpec, Vocabulary


@dataclass(frozen=True)
class _Entry:
    """One class as written: where it came from (``line 4`` / ``name 2``) and its raw names."""

    source: str
    place: str
    line: int | None
    names: tuple[str, ...]

    @property
    def where(self) -> str:
        return f"{self.source} {self.place}"


def parse_vocabulary(text: str, source: str) -> Vocabulary:
    """Parse vocabulary file text into classes.

    Parameters
    ----------
    text : str
        The file's content.
    source : str
        How messages name the file (``vocab.txt`` gives ``vocab.txt line 4: ...``).

    Returns
    -------
    Vocabulary
        Classes indexed 0..C-1 in line order; ``ClassSpec.line`` is the 1-based line number.

    Raises
    ------
    VocabularyError
        No class at all, an empty class name or synonym, a class name given twice or a query used
        twice; the message names the line (both lines for a repeat).

    Examples
    --------
    >>> vocabulary = parse_vocabulary("# people\\nperson, man, woman\\n\\ngrass  # pitch\\n", "vocab.txt")
    >>> [(c.name, c.queries, c.line) for c in vocabulary.classes]
    [('person', ('person', 'man', 'woman'), 2), ('grass', ('grass',), 4)]
    """
    entries = []
    for number, line in enumerate(text.splitlines(), start=1):
        content = line.split("#", 1)[0].strip()
        if content:
            names = tuple(name.strip() for name in content.split(","))
            entries.append(_Entry(source, f"line {number}", number, names))
    if not entries:
        raise VocabularyError(
            f"{source}: no classes found (every line is blank or a comment); "
            "write one class per line, synonyms after commas (person, man, woman)"
        )
    return _build(entries)


def read_vocabulary_file(path: Path) -> Vocabulary:
    """Read and parse a UTF-8 vocabulary file (a leading byte-order mark is ignored).

    Raises
    ------
    VocabularyError
        The file is missing, a folder, unreadable, not UTF-8 or malformed; the message names it.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise VocabularyError(f"{path}: vocabulary file not found; check the --vocab-file path") from None
    except IsADirectoryError:
        raise VocabularyError(f"{path}: is a folder, not a vocabulary file; pass the text file itself") from None
    except UnicodeDecodeError as error:
        raise VocabularyError(
            f"{path}: not UTF-8 text (invalid byte at offset {error.start}); save the file as UTF-8"
        ) from None
    except OSError as error:
        raise VocabularyError(f"{path}: cannot read the vocabulary file ({error.strerror or error})") from None
    return parse_vocabulary(text, str(path))


def vocabulary_from_names(names: Sequence[str]) -> Vocabulary:
    """One class per name, as ``--vocabulary A B C`` gives them (no synonyms, no comments).

    Raises
    ------
    VocabularyError
        No names, an empty name or a repeated name; the message gives the name's position.

    Examples
    --------
    >>> vocabulary_from_names(["Lionel Messi", "grass"]).queries
    ['Lionel Messi', 'grass']
    """
    entries = [_Entry("--vocabulary", f"name {i}", None, (name.strip(),)) for i, name in enumerate(names, start=1)]
    if not entries:
        raise VocabularyError("--vocabulary: no class names given; list at least one")
    return _build(entries)


def _key(name: str) -> str:
    """How names are compared: case and repeated spaces do not matter to CLIP's tokenizer."""
    return " ".join(name.split()).casefold()


def _build(entries: list[_Entry]) -> Vocabulary:
    """Validate the entries in order and number the classes."""
    class_owner: dict[str, _Entry] = {}
    query_owner: dict[str, _Entry] = {}
    for entry in entries:
        if not entry.names[0]:
            raise VocabularyError(
                f"{entry.where}: the class name is empty; start with the class name (person, man, woman)"
            )
        if not all(entry.names):
            raise VocabularyError(
                f"{entry.where}: empty synonym (two commas in a row or a trailing comma); remove the extra comma"
            )
        name = entry.names[0]
        if _key(name) in class_owner:
            first = class_owner[_key(name)]
            raise VocabularyError(
                f"{entry.where}: class '{name}' repeats {first.place} (names ignore case); "
                "merge the two or rename one"
            )
        class_owner[_key(name)] = entry
        for query in entry.names:
            owner = query_owner.get(_key(query))
            if owner is entry:
                raise VocabularyError(f"{entry.where}: query '{query}' is listed twice in this class; remove one")
            if owner is not None:
                raise VocabularyError(
                    f"{entry.where}: query '{query}' is also used by class '{owner.names[0]}' ({owner.place}); "
                    "a query can belong to one class only"
                )
            query_owner[_key(query)] = entry
    return Vocabulary(
        classes=tuple(
            ClassSpec(index=index, name=entry.names[0], queries=entry.names, line=entry.line)
            for index, entry in enumerate(entries)
        )
    )
