"""The typed records that pipeline stages return and figures and pages read.

Every record is a frozen dataclass of numpy arrays and plain values: no torch, no Jinja. Array
conventions, used everywhere in sitegen:

* images are ``(H, W, 3) uint8`` RGB in the original (EXIF-rotated) orientation;
* per-pixel class arrays are ``(H, W, C)`` float32 with C the number of *classes* (not queries);
* points are ``(N, 2) float32`` in XY pixel coordinates of the original image;
* boxes are ``(x0, y0, x1, y1)`` with x1, y1 exclusive;
* region ids are 1-based and unique within an image, 0 means "no region".
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sitegen.class_scores import ClassScores
from sitegen.masks import CandidateMasks, PackedMasks
from sitegen.options import ModelOptions, PipelineOptions


# --- Stage 1 and 2: inputs -------------------------------------------------------------------


@dataclass(frozen=True)
class LoadedImage:
    """An input image decoded to RGB.

    Attributes
    ----------
    name : str
        The file name (no folders), used in messages and page titles.
    rgb : ndarray of shape (H, W, 3), dtype uint8
        EXIF orientation applied, any mode converted to RGB, downscaled if above max_pixels.
    original_size : tuple of int
        ``(width, height)`` after EXIF rotation and before any downscale.
    warnings : tuple of str
        One-line notes for the user (for example the downscale and the limit that caused it).
    """

    name: str
    rgb: np.ndarray
    original_size: tuple[int, int]
    warnings: tuple[str, ...] = ()

    @property
    def height(self) -> int:
        return int(self.rgb.shape[0])

    @property
    def width(self) -> int:
        return int(self.rgb.shape[1])


@dataclass(frozen=True)
class ClassSpec:
    """One class of the vocabulary: a display name and the queries that stand for it."""

    index: int
    name: str
    queries: tuple[str, ...]
    line: int | None = None  # 1-based line in the vocabulary file, None for --vocabulary


@dataclass(frozen=True)
class Vocabulary:
    classes: tuple[ClassSpec, ...]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.classes]

    @property
    def queries(self) -> list[str]:
        """Every query of every class, in class order (the columns of the text embeddings)."""
        return [q for c in self.classes for q in c.queries]

    @property
    def query_class(self) -> np.ndarray:
        """(Q,) int64: the class index of each query."""
        return np.array([c.index for c in self.classes for _ in c.queries], dtype=np.int64)

    def __len__(self) -> int:
        return len(self.classes)


# --- Stage 3: SCLIP dense prediction ----------------------------------------------------------


@dataclass(frozen=True)
class DenseSimilarity:
    """What the CLIP model computes for one image: raw cosines, before any softmax.

    The cosines stay at the resolution the windows ran at (the resized image); stage 3's numpy
    half resizes them to the image a few rows at a time while it takes the softmax, so a large
    image never holds a full-resolution (H, W, Q) array of cosines.

    Attributes
    ----------
    cosines : ndarray of shape (h, w, Q), dtype float32
        Cosine similarity of every resized-image pixel with every query, window-averaged.
    windows : ndarray of shape (N, 4), dtype int32
        Sliding-window boxes ``(x0, y0, x1, y1)`` in the resized image.
    resized_size : tuple of int
        ``(width, height)`` of the image the windows ran on (``w``, ``h`` above).
    image_size : tuple of int or None
        ``(width, height)`` to resize the cosines to (the original image); None keeps them as
        they are.
    """

    cosines: np.ndarray
    windows: np.ndarray
    resized_size: tuple[int, int]
    image_size: tuple[int, int] | None = None


@dataclass(frozen=True)
class DensePrediction:
    """Stage 3 output: the argmax class of every pixel, its probability, and per-class scores.

    Only the (H, W) maps are kept at full resolution; the per-class similarity and probability
    maps are ``scores``, computed from the window canvas when a figure or a download asks for
    them (a 6000x4000 image with 20 classes would otherwise hold 2.9 GB of them).

    Attributes
    ----------
    prediction : ndarray of shape (H, W), dtype int32
        Argmax over classes of the probabilities (ties to the lowest class index).
    confidence : ndarray of shape (H, W), dtype float32
        The probability of the winning class at each pixel.
    scores : ClassScores
        Per-class similarities (a class's best query cosine, before the softmax) and
        probabilities (softmax of ``logit_scale * cosine`` over all queries, then the best of
        each class's queries: a pixel's probabilities need not sum to 1 with synonyms).
    summary : ScoreSummary
        Per-class statistics of those maps over every pixel.
    windows, resized_size
        As in ``DenseSimilarity``.
    """

    prediction: np.ndarray
    confidence: np.ndarray
    scores: ClassScores
    summary: ScoreSummary
    windows: np.ndarray
    resized_size: tuple[int, int]

    @property
    def num_classes(self) -> int:
        return self.scores.num_classes


@dataclass(frozen=True)
class ScoreSummary:
    """Per-class statistics over all pixels of the full-resolution maps, each of shape (C,).

    Computed in stage 3's single pass over the image, so figures never need the full maps.
    """

    similarity_min: np.ndarray
    similarity_mean: np.ndarray
    similarity_max: np.ndarray
    probability_mean: np.ndarray
    probability_max: np.ndarray


# --- Stages 4 to 6: regions -------------------------------------------------------------------


@dataclass(frozen=True)
class Thresholding:
    """Stage 4: pixels whose winning class reaches min_confidence.

    ``passing[y, x]`` is True when ``prediction == c`` and ``p_c >= min_confidence`` for the
    winning class c; the class of a passing pixel is ``prediction[y, x]``.
    """

    passing: np.ndarray  # (H, W) bool
    min_confidence: float
    pixels_per_class: np.ndarray  # (C,) int64: passing pixels of each class


@dataclass(frozen=True)
class Region:
    """One connected component of one class's passing pixels."""

    id: int
    class_index: int
    size: int
    bbox: tuple[int, int, int, int]  # (x0, y0, x1, y1), exclusive
    centroid: tuple[float, float]  # (x, y), may lie outside a non-convex region
    confidence: float  # mean p_c over the region's pixels


@dataclass(frozen=True)
class Components:
    """Stage 5: 8-connected components of every class's passing mask."""

    labels: np.ndarray  # (H, W) int32, region id, 0 = none
    regions: tuple[Region, ...]  # ordered by id


@dataclass(frozen=True)
class SizeFilter:
    """Stage 6: components with at least min_region_size pixels are kept."""

    labels: np.ndarray  # (H, W) int32, ids of kept regions only, 0 elsewhere
    kept: tuple[Region, ...]
    dropped: tuple[Region, ...]
    min_region_size: int


# --- Stages 7 and 8: point prompts -------------------------------------------------------------


@dataclass(frozen=True)
class RegionPoints:
    """Stage 7 and 8 output for one kept region.

    Attributes
    ----------
    positive : ndarray of shape (k, 2), dtype float32
        XY; the first is the region pixel nearest the centroid, the rest farthest-point samples.
    negative : ndarray of shape (n, 2), dtype float32
        XY; n may be smaller than asked (or 0) when too few candidates exist.
    negative_classes : ndarray of shape (n,), dtype int32
        The winning class at each negative point.
    negative_candidates : int
        How many pixels qualified as negative candidates for this region.
    """

    region_id: int
    class_index: int
    confidence: float
    positive: np.ndarray
    negative: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), np.float32))
    negative_classes: np.ndarray = field(default_factory=lambda: np.zeros((0,), np.int32))
    negative_candidates: int = 0


# --- Stages 9 to 12: SAM ------------------------------------------------------------------------


@dataclass(frozen=True)
class SamPrompt:
    """One prompt sent to SAM 2: one region (joint mode) or one positive point (separate mode)."""

    index: int
    region_id: int
    class_index: int
    confidence: float  # the region's confidence
    points: np.ndarray  # (N, 2) float32 XY
    labels: np.ndarray  # (N,) int32, 1 = positive, 0 = negative


@dataclass(frozen=True)
class SamCandidates:
    """Stage 9: three candidate masks per prompt with SAM's predicted-IoU scores."""

    prompts: tuple[SamPrompt, ...]
    masks: CandidateMasks  # the 3 candidates of the prompts step 14 shows, cropped and packed
    scores: np.ndarray  # (P, 3) float32, every prompt


@dataclass(frozen=True)
class MaskSelection:
    """Stage 10: the highest-scoring candidate of each prompt."""

    best: np.ndarray  # (P,) int64, index into the 3 candidates
    masks: PackedMasks  # (P, H, W) bool, the chosen masks, eight pixels to a byte
    scores: np.ndarray  # (P,) float32, their scores


@dataclass(frozen=True)
class Suppression:
    """A chosen mask that lost to an already kept mask of its class."""

    prompt_index: int
    winner_index: int
    iou: float


@dataclass(frozen=True)
class OverlapResolution:
    """Stage 11: per class, masks in descending region confidence; IoU > threshold suppressed."""

    kept: tuple[int, ...]  # prompt indices, in the order they were accepted
    suppressed: tuple[Suppression, ...]
    iou_threshold: float


@dataclass(frozen=True)
class FinalSegmentation:
    """Stage 12: SCLIP argmax with kept masks painted in ascending region confidence."""

    labels: np.ndarray  # (H, W) int32 class index
    source: np.ndarray  # (H, W) int32 prompt index that painted the pixel, -1 = SCLIP argmax


# --- The whole run ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PipelineResult:
    """Everything one image went through, stage by stage; figures and pages read only this."""

    image: LoadedImage
    vocabulary: Vocabulary
    options: PipelineOptions
    models: ModelOptions
    prompt_templates: tuple[str, ...]  # the text prompt templates actually used
    dense: DensePrediction
    thresholding: Thresholding
    components: Components
    size_filter: SizeFilter
    points: tuple[RegionPoints, ...]
    candidates: SamCandidates
    selection: MaskSelection
    overlap: OverlapResolution
    final: FinalSegmentation
    timings: dict[str, float] = field(default_factory=dict)  # stage name -> seconds
