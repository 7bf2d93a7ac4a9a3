"""Reading ground truth: palette and single-channel PNGs as indices, the mapping, the bad-file corpus."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from sitegen.errors import GroundTruthError
from sitegen.evaluation.ground_truth import (
    IGNORED,
    LabelMapping,
    find_ground_truth,
    load_ground_truth,
    map_indices,
    parse_label_mapping,
    read_index_png,
    read_label_mapping,
    resize_nearest,
)
from sitegen.pipeline.vocabulary import vocabulary_from_names
from sitegen.records import LoadedImage

VOCABULARY = vocabulary_from_names(["background", "cat", "dining table"])
DEFAULT = LabelMapping(None, num_classes=3, ignore_index=255)
INDICES = np.array([[0, 1, 2, 255], [2, 1, 0, 255]], dtype=np.uint8)


def image_of(width, height, original=None) -> LoadedImage:
    return LoadedImage("photo.jpg", np.zeros((height, width, 3), np.uint8), original or (width, height))


def save_palette_png(path, indices):
    """A palette PNG whose colours are far from its indices (index i is drawn as (250 - i, 3 i, 77))."""
    image = Image.fromarray(indices.astype(np.uint8), mode="P")
    palette = []
    for i in range(256):
        palette += [250 - i if i < 250 else 0, (3 * i) % 256, 77]
    image.putpalette(palette)
    image.save(path)
    return path


def test_palette_png_reads_as_indices_not_colours(tmp_path):
    path = save_palette_png(tmp_path / "a.png", INDICES)
    with Image.open(path) as opened:
        assert opened.mode == "P"
        assert opened.convert("RGB").getpixel((1, 0)) == (249, 3, 77)  # what a colour reading would see
    assert read_index_png(path).tolist() == INDICES.tolist()
    truth = load_ground_truth(path, image_of(4, 2), DEFAULT)
    assert truth.labels.tolist() == [[0, 1, 2, IGNORED], [2, 1, 0, IGNORED]]
    assert truth.ignored_pixels == 2 and truth.unmapped == () and truth.name == "a.png"


@pytest.mark.parametrize("mode", ["L", "I;16"])
def test_single_channel_pngs_read_as_indices(tmp_path, mode):
    path = tmp_path / "a.png"
    Image.fromarray(INDICES.astype(np.uint16 if mode == "I;16" else np.uint8)).save(path)
    with Image.open(path) as opened:
        assert opened.mode.startswith("I") == (mode == "I;16")
    assert read_index_png(path).tolist() == INDICES.tolist()


def test_one_bit_png_reads_as_zero_and_one(tmp_path):
    path = tmp_path / "a.png"
    Image.fromarray(np.array([[True, False]])).save(path)
    assert read_index_png(path).tolist() == [[1, 0]]


def test_gt_labels_map_dataset_indices_and_count_unmapped_ones():
    mapping = parse_label_mapping("# VOC-style\n1 cat\n 7  Dining  table # merged\n8 cat\n\n", "l.txt", VOCABULARY)
    assert mapping.classes == {1: 1, 7: 2, 8: 1}
    values = np.array([[0, 1, 7, 8], [255, 0, 9, 1]])
    truth = map_indices(values, mapping, "gt/a.png")
    assert truth.labels.tolist() == [[IGNORED, 1, 2, 1], [IGNORED, IGNORED, IGNORED, 1]]
    assert truth.ignored_pixels == 1
    assert truth.unmapped == ((0, 2), (9, 1)) and truth.unmapped_pixels == 3


def test_ignore_index_inside_the_class_range_wins():
    truth = map_indices(np.array([[0, 1, 2]]), LabelMapping(None, 3, ignore_index=0), "a.png")
    assert truth.labels.tolist() == [[IGNORED, 1, 2]] and truth.ignored_pixels == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1\n", "l.txt line 1: expected 'INDEX NAME'"),
        ("x cat\n", "l.txt line 1: expected 'INDEX NAME'"),
        ("# c\n1 cat\n2 dog\n", "l.txt line 3: 'dog' is not a vocabulary class"),
        ("1 cat\n1 background\n", "l.txt line 2: index 1 is mapped twice"),
        ("255 cat\n", "l.txt line 1: index 255 is the --ignore-index"),
        ("70000 cat\n", "l.txt line 1: index 70000 is above 65535"),
        ("# nothing\n", "l.txt: no 'INDEX NAME' lines"),
    ],
)
def test_bad_gt_labels_name_the_line(text, message):
    with pytest.raises(GroundTruthError) as error:
        parse_label_mapping(text, "l.txt", VOCABULARY)
    assert str(error.value).startswith(message)
    assert "\n" not in str(error.value)


def test_gt_labels_file_that_cannot_be_read(tmp_path):
    with pytest.raises(GroundTruthError, match=r"missing\.txt: cannot read the --gt-labels file"):
        read_label_mapping(tmp_path / "missing.txt", VOCABULARY)


def test_resize_nearest_matches_pillow():
    rng = np.random.default_rng(0)
    values = rng.integers(0, 21, size=(37, 53)).astype(np.uint8)
    for size in [(20, 13), (53, 37), (7, 30), (100, 80)]:
        pillow = np.asarray(Image.fromarray(values).resize(size, Image.Resampling.NEAREST))
        assert resize_nearest(values, size).tolist() == pillow.tolist(), size


def test_ground_truth_of_a_downscaled_image_is_resized_with_nearest_neighbour(tmp_path):
    values = np.repeat(np.repeat(np.array([[0, 1], [2, 255]], np.uint8), 4, axis=0), 4, axis=1)  # 8x8 blocks
    path = save_palette_png(tmp_path / "a.png", values)
    truth = load_ground_truth(path, image_of(4, 4, original=(8, 8)), DEFAULT)
    assert truth.labels.tolist() == [[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, -1, -1], [2, 2, -1, -1]]
    assert truth.resized_from == (8, 8) and truth.ignored_pixels == 4


def test_find_ground_truth_by_stem(tmp_path):
    (tmp_path / "a.png").write_bytes(b"")
    (tmp_path / "B.PNG").write_bytes(b"")
    (tmp_path / "c.jpg").write_bytes(b"")
    (tmp_path / ".d.png").write_bytes(b"")
    (tmp_path / "e.png").mkdir()
    assert {stem: path.name for stem, path in find_ground_truth(tmp_path).items()} == {"a": "a.png", "B": "B.PNG"}


def _bad_corpus(folder):
    """Every kind of bad ground truth, and the start of the one-line message each must give."""
    Image.fromarray(np.zeros((2, 4, 3), np.uint8)).save(folder / "rgb.png")
    Image.fromarray(np.zeros((2, 4), np.uint8)).save(folder / "jpeg.png", format="JPEG")
    Image.fromarray(np.zeros((3, 4), np.uint8)).save(folder / "other_size.png")
    Image.fromarray(np.array([[0, 1, 3, 7]] * 2, np.uint8)).save(folder / "outside.png")
    good = folder / "truncated.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 3, (64, 64)).astype(np.uint8)).save(good)
    good.write_bytes(good.read_bytes()[:60])
    (folder / "empty.png").write_bytes(b"")
    (folder / "text.png").write_text("not an image")
    return {
        "missing.png": "ground truth file not found",
        "rgb.png": "is a RGB PNG, not a single-channel or palette PNG of class indices",
        "jpeg.png": "is a JPEG file, not a PNG",
        "other_size.png": "ground truth is 4x3 but image photo.jpg is 4x2",
        "outside.png": "values 3 (2 px), 7 (2 px) outside the mapping",
        "truncated.png": "cannot read the ground truth",
        "empty.png": "cannot read the ground truth",
        "text.png": "cannot read the ground truth",
    }


def test_bad_ground_truth_is_one_line_naming_the_file(tmp_path):
    for name, message in _bad_corpus(tmp_path).items():
        path = tmp_path / name
        with pytest.raises(GroundTruthError) as error:
            load_ground_truth(path, image_of(4, 2), DEFAULT)
        text = str(error.value)
        assert text.startswith(f"{path}: {message}"), text
        assert "\n" not in text
