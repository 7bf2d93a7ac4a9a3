"""Ground-truth label maps: find them by file stem, read them as class indices, map them to classes.

A ground-truth file is a PNG named after its image's stem (``2007_000033.jpg`` <->
``gt/2007_000033.png``) that holds one class index per pixel: single-channel (L, 1, I;16) or
palette (P). A palette PNG is read as its indices, never through its colours, so a VOC
``SegmentationClass`` file reads as 0..20 and 255 whatever colours its palette gives them.

Dataset indices become vocabulary class indices through a ``LabelMapping``: by default index i
is the i-th vocabulary line; ``--gt-labels`` lines ``INDEX NAME`` map indices to vocabulary
display names instead, and an index the file does not list is *unmapped*: ignored like
``--ignore-index`` and counted. The result is an (H, W) int32 map with ``IGNORED`` (-1) wherever a
pixel does not count.

Every problem with one file (missing, unreadable, not a label PNG, another size than its image,
indices outside the mapping) is a ``GroundTruthError`` whose one line names the file, so the build
leaves that image out of the metrics and goes on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from sitegen.errors import GroundTruthError
from sitegen.records import LoadedImage, Vocabulary

#: A pixel that no metric counts: ``--ignore-index``, or a dataset index mapped to no class.
IGNORED = -1
#: VOC, ADE20K and Cityscapes mark their "void" pixels with 255.
DEFAULT_IGNORE_INDEX = 255
#: Pillow modes whose pixels are one integer each (palette images give their indices).
INDEX_MODES = ("P", "L", "1", "I;16", "I;16B", "I;16L", "I")
#: Dataset indices above this are refused: a lookup table covers 0..MAX_INDEX.
MAX_INDEX = 65535


@dataclass(frozen=True)
class LabelMapping:
    """Which vocabulary class each dataset index stands for.

    Attributes
    ----------
    classes : dict of int to int, or None
        Dataset index -> vocabulary class index (``--gt-labels``). None is the default mapping:
        index i is class i for every class of the vocabulary, and any other index (besides the
        ignore index) is an error, since nothing says what it means.
    num_classes : int
        C, the number of vocabulary classes.
    ignore_index : int
        Pixels with this index are left out of every metric.
    """

    classes: dict[int, int] | None
    num_classes: int
    ignore_index: int = DEFAULT_IGNORE_INDEX

    def describe(self) -> str:
        """How messages and pages name the mapping."""
        if self.classes is None:
            return f"vocabulary line order (indices 0-{self.num_classes - 1}), --ignore-index {self.ignore_index}"
        return f"--gt-labels ({len(self.classes)} indices), --ignore-index {self.ignore_index}"


def _name_key(name: str) -> str:
    """Names compare as the vocabulary compares them: ignoring case and repeated spaces."""
    return " ".join(name.split()).casefold()


def parse_label_mapping(
    text: str, source: str, vocabulary: Vocabulary, ignore_index: int = DEFAULT_IGNORE_INDEX
) -> LabelMapping:
    """Parse ``--gt-labels`` text: one ``INDEX NAME`` per line, ``#`` comments, blank lines skipped.

    NAME is a vocabulary display name (case and repeated spaces ignored) and may contain spaces.
    Several indices may map to one class (a dataset's finer classes merged into one).

    Raises
    ------
    GroundTruthError
        A line that is not ``INDEX NAME``, an index out of 0..65535, the ignore index, an index
        given twice, or a name not in the vocabulary; the message names the line.

    Examples
    --------
    >>> from sitegen.pipeline.vocabulary import vocabulary_from_names
    >>> vocabulary = vocabulary_from_names(["aeroplane", "dining table"])
    >>> parse_label_mapping("# VOC\\n1 aeroplane\\n11 Dining  Table\\n", "voc.txt", vocabulary).classes
    {1: 0, 11: 1}
    """
    by_name = {_name_key(c.name): c.index for c in vocabulary.classes}
    classes: dict[int, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        content = line.split("#", 1)[0].strip()
        if not content:
            continue
        where = f"{source} line {number}"
        index_text, _, name = content.partition(" ")
        name = name.strip()
        if not index_text.isdigit() or not name:
            raise GroundTruthError(f"{where}: expected 'INDEX NAME' (for example '15 person'), got {content!r}")
        index = int(index_text)
        if index > MAX_INDEX:
            raise GroundTruthError(f"{where}: index {index} is above {MAX_INDEX}; label PNGs hold 8 or 16 bits")
        if index == ignore_index:
            raise GroundTruthError(
                f"{where}: index {index} is the --ignore-index; remove the line or pass another --ignore-index"
            )
        if index in classes:
            raise GroundTruthError(f"{where}: index {index} is mapped twice; keep one line per index")
        if _name_key(name) not in by_name:
            known = ", ".join(vocabulary.names)
            raise GroundTruthError(f"{where}: '{name}' is not a vocabulary class (classes: {known})")
        classes[index] = by_name[_name_key(name)]
    if not classes:
        raise GroundTruthError(f"{source}: no 'INDEX NAME' lines; map at least one dataset index to a class")
    return LabelMapping(classes, len(vocabulary), ignore_index)


def read_label_mapping(path: Path, vocabulary: Vocabulary, ignore_index: int = DEFAULT_IGNORE_INDEX) -> LabelMapping:
    """Read and parse a ``--gt-labels`` file (UTF-8); errors name the file."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise GroundTruthError(f"{path}: cannot read the --gt-labels file ({reason})") from None
    return parse_label_mapping(text, str(path), vocabulary, ignore_index)


@dataclass(frozen=True)
class GroundTruth:
    """One image's ground truth as vocabulary class indices.

    Attributes
    ----------
    name : str
        The ground-truth file's name (pages and messages).
    labels : ndarray of shape (H, W), dtype int32
        Class index per pixel, ``IGNORED`` where the pixel does not count; the size of the
        image as the pipeline saw it (resized with nearest neighbour if it was downscaled).
    ignored_pixels : int
        Pixels with ``--ignore-index``.
    unmapped : tuple of (int, int)
        ``(dataset index, pixels)`` of every index that ``--gt-labels`` does not map, by index.
    resized_from : tuple of int or None
        ``(width, height)`` of the file when it was resized to a downscaled image.
    """

    name: str
    labels: np.ndarray
    ignored_pixels: int
    unmapped: tuple[tuple[int, int], ...] = ()
    resized_from: tuple[int, int] | None = None

    @property
    def unmapped_pixels(self) -> int:
        return sum(count for _, count in self.unmapped)


def find_ground_truth(folder: Path) -> dict[str, Path]:
    """The PNG files directly inside ``folder`` by stem (``.png`` in any case; hidden files skipped).

    Raises
    ------
    GroundTruthError
        The folder cannot be listed.
    """
    try:
        entries = sorted(Path(folder).iterdir())
    except OSError as error:
        raise GroundTruthError(f"{folder}: cannot list the --ground-truth folder ({error.strerror})") from None
    return {
        path.stem: path
        for path in entries
        if path.suffix.lower() == ".png" and not path.name.startswith(".") and not path.is_dir()
    }


def read_index_png(path: Path) -> np.ndarray:
    """The raw integers of a single-channel or palette PNG, shape (H, W), dtype int64.

    Palette images give their palette indices (Pillow's ``P`` mode read as is, never converted).

    Raises
    ------
    GroundTruthError
        Unreadable, not a PNG, or a mode with colour channels (RGB, RGBA, LA); names the file.
    """
    try:
        with Image.open(path) as image:
            if image.format != "PNG":
                raise GroundTruthError(f"{path}: is a {image.format} file, not a PNG; save the label map as PNG")
            if image.mode not in INDEX_MODES:
                raise GroundTruthError(
                    f"{path}: is a {image.mode} PNG, not a single-channel or palette PNG of class indices; "
                    "save one index per pixel (mode L or P)"
                )
            image.load()
            values = np.asarray(image)
    except GroundTruthError:
        raise
    except FileNotFoundError:
        raise GroundTruthError(f"{path}: ground truth file not found") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as error:
        raise GroundTruthError(f"{path}: cannot read the ground truth ({' '.join(str(error).split())})") from None
    values = values.astype(np.int64)
    if values.size and (values.min() < 0 or values.max() > MAX_INDEX):
        raise GroundTruthError(
            f"{path}: values {values.min()}..{values.max()} do not fit 0..{MAX_INDEX}; save class indices as 8 or 16 bits"
        )
    return values


def resize_nearest(values: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Nearest-neighbour resize of an (H, W) array to ``size`` = (width, height).

    Output pixel (y, x) takes source pixel (floor((y + 0.5) * H / h), floor((x + 0.5) * W / w)),
    the pixel under its centre, as Pillow's ``Image.NEAREST`` does; no label is ever blended.

    Examples
    --------
    >>> resize_nearest(np.array([[0, 1, 2, 3]]), (2, 1)).tolist()
    [[1, 3]]
    """
    width, height = size
    rows = np.minimum(((np.arange(height) + 0.5) * values.shape[0] / height).astype(np.int64), values.shape[0] - 1)
    cols = np.minimum(((np.arange(width) + 0.5) * values.shape[1] / width).astype(np.int64), values.shape[1] - 1)
    return values.take(rows, axis=0).take(cols, axis=1)


def map_indices(values: np.ndarray, mapping: LabelMapping, source: str) -> GroundTruth:
    """Turn dataset indices into class indices (see ``LabelMapping``).

    Parameters
    ----------
    values : ndarray of shape (H, W), integer dtype
        Dataset indices, 0..65535.
    source : str
        The file name, for the result and for messages.

    Raises
    ------
    GroundTruthError
        With the default mapping, an index that is neither a class nor the ignore index; the
        message lists the offending indices and their pixel counts.

    Examples
    --------
    >>> mapping = LabelMapping({1: 0, 2: 1}, num_classes=2, ignore_index=255)
    >>> truth = map_indices(np.array([[0, 1, 2, 255]]), mapping, "a.png")
    >>> truth.labels.tolist(), truth.ignored_pixels, truth.unmapped
    ([[-1, 0, 1, -1]], 1, ((0, 1),))
    """
    counts = np.bincount(values.ravel(), minlength=1) if values.size else np.zeros(1, np.int64)
    table = np.full(len(counts), IGNORED, dtype=np.int32)
    if mapping.classes is None:
        known = np.arange(min(mapping.num_classes, len(counts)))
        table[known] = known
    else:
        for index, class_index in mapping.classes.items():
            if index < len(counts):
                table[index] = class_index
    present = np.flatnonzero(counts)
    outside = [int(i) for i in present if table[i] == IGNORED and i != mapping.ignore_index]
    if outside and mapping.classes is None:
        listed = ", ".join(f"{i} ({counts[i]:,} px)" for i in outside[:8]) + (" ..." if len(outside) > 8 else "")
        raise GroundTruthError(
            f"{source}: values {listed} outside the mapping ({mapping.describe()}); "
            "map dataset indices to classes with --gt-labels or set --ignore-index"
        )
    if 0 <= mapping.ignore_index < len(counts):
        table[mapping.ignore_index] = IGNORED
    ignored = int(counts[mapping.ignore_index]) if 0 <= mapping.ignore_index < len(counts) else 0
    return GroundTruth(
        name=Path(source).name,
        labels=table[values],
        ignored_pixels=ignored,
        unmapped=tuple((i, int(counts[i])) for i in outside),
    )


def load_ground_truth(path: Path, image: LoadedImage, mapping: LabelMapping) -> GroundTruth:
    """Read ``path`` as the ground truth of ``image`` (see the module docstring).

    The file must have the image's size as displayed (``image.original_size``: EXIF orientation
    applied, before any ``--max-pixels`` downscale); when the pipeline downscaled the image, the
    labels are resized to it with nearest neighbour.

    Returns
    -------
    GroundTruth
        ``labels`` of shape (image.height, image.width), dtype int32.

    Raises
    ------
    GroundTruthError
        Missing, unreadable, not a label PNG, another size, indices outside the mapping.
    """
    values = read_index_png(path)
    height, width = values.shape
    if (width, height) != tuple(image.original_size):
        expected = "x".join(str(v) for v in image.original_size)
        raise GroundTruthError(
            f"{path}: ground truth is {width}x{height} but image {image.name} is {expected}; "
            "label maps must have their image's size"
        )
    resized_from = None
    if (image.width, image.height) != (width, height):
        values = resize_nearest(values, (image.width, image.height))
        resized_from = (width, height)
    truth = map_indices(values, mapping, str(path))
    return GroundTruth(truth.name, truth.labels, truth.ignored_pixels, truth.unmapped, resized_from)
