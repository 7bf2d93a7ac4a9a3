"""Hand-built ``PipelineResult`` records for tests of figures, pages and writers.

Every stage's record is computed here with plain numpy and scipy from a designed scene, without
importing ``sitegen.pipeline``, so tests of later layers do not depend on the stages being
finished or correct. The arrays are consistent with each other the way the specification says the
real stages make them (probabilities are the softmax of ``logit_scale * cosine`` maxed over each
class's queries, regions are 8-connected components of the passing pixels, and so on).

The scene, for the defaults (48 x 64, three classes): each class owns one cell of a grid and has a
soft ellipse there; outside the ellipses no class is confident, so those pixels fail
``min_confidence``. Class 0's ellipse is cut by a 2 px gap into two regions that SAM sees as one
object, so the less confident of the two is suppressed. A 3 x 3 square of class 1 is dropped by the
size filter. Class 0 has four queries (``person, man, woman, child``), the others one each.

Use::

    from tests.synthetic import make_result
    result = make_result()                          # regions, drops, points, a suppression
    result = make_result(nothing_passes=True)       # no pixel reaches min_confidence
    result = make_result(num_classes=30, height=120, width=160)
    result = make_result(one_pixel_region=True)     # a kept 1 x 1 region
    result = make_result(height=24, width=400)      # a very wide image
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from sitegen.models.prompt_templates import PROMPT_TEMPLATES
from sitegen.options import ModelOptions, PipelineOptions
from sitegen.class_scores import ClassScores
from sitegen.masks import CandidateMasks
from sitegen.records import (
    ClassSpec,
    Components,
    DensePrediction,
    FinalSegmentation,
    LoadedImage,
    MaskSelection,
    OverlapResolution,
    PackedMasks,
    PipelineResult,
    Region,
    RegionPoints,
    SamCandidates,
    SamPrompt,
    ScoreSummary,
    SizeFilter,
    Suppression,
    Thresholding,
    Vocabulary,
)

CLASS_NAMES = ("person", "grass", "sky", "car", "tree", "road", "building", "dog", "water", "bicycle")
CLASS_ZERO_SYNONYMS = ("man", "woman", "child")

#: The seven templates the CLIP authors found best (what ``--prompt-templates top7`` uses).
TOP7_TEMPLATES = PROMPT_TEMPLATES["top7"]

#: Pixel size of the planted square that the size filter drops (below the default 20).
SMALL_BLOB = 3
EIGHT_CONNECTED = np.ones((3, 3), dtype=bool)
NEGATIVE_MIN_DISTANCE = 10.0


def default_options(*, one_pixel_region: bool = False) -> PipelineOptions:
    """The options ``make_result`` uses unless it is given some.

    Positive and negative points are on (3 and 2 per region) and the size limit is 20 px, so the
    planted 3 x 3 square is dropped; with ``one_pixel_region`` the limit is 1 so that region stays.
    """
    return PipelineOptions(
        prompt_templates="top7",
        min_region_size=1 if one_pixel_region else 20,
        points_per_cluster=3,
        negative_points_per_cluster=2,
    )


def make_vocabulary(num_classes: int) -> Vocabulary:
    """Classes named after common things (then ``class 10``, ...); class 0 has three synonyms."""
    if num_classes < 1:
        raise ValueError(f"num_classes must be at least 1, got {num_classes}")
    names = [CLASS_NAMES[i] if i < len(CLASS_NAMES) else f"class {i}" for i in range(num_classes)]
    classes = tuple(
        ClassSpec(index=i, name=name, queries=(name, *CLASS_ZERO_SYNONYMS) if i == 0 else (name,), line=i + 1)
        for i, name in enumerate(names)
    )
    return Vocabulary(classes=classes)


def make_result(
    height: int = 48,
    width: int = 64,
    num_classes: int = 3,
    *,
    nothing_passes: bool = False,
    random_weights: bool = True,
    seed: int = 0,
    one_pixel_region: bool = False,
    options: PipelineOptions | None = None,
    name: str = "synthetic.png",
) -> PipelineResult:
    """Build every record of one image's run by hand.

    Parameters
    ----------
    height, width : int
        Image size in pixels.
    num_classes : int
        Number of classes (1 to any; past ten they are named ``class <i>``).
    nothing_passes : bool
        Make every class equally likely everywhere, so no pixel reaches ``min_confidence`` and
        there are no regions, points or masks. Raises ValueError if some pixel still passes (with
        one class and a very low ``min_confidence``).
    random_weights : bool
        Recorded in ``result.models.random_weights``.
    seed : int
        Seeds the image noise, the cosine noise and SAM's scores.
    one_pixel_region : bool
        Plant an isolated single pixel of class ``2 % num_classes``; kept with the default options.
    options : PipelineOptions, optional
        Replaces ``default_options()``; every stage below follows it (thresholds, point counts,
        prompt mode).
    name : str
        The image's file name.
    """
    options = options or default_options(one_pixel_region=one_pixel_region)
    rng = np.random.default_rng(seed)
    vocabulary = make_vocabulary(num_classes)
    strength = _scene_strength(height, width, num_classes, one_pixel_region)
    if nothing_passes:
        strength = np.zeros_like(strength)
    dense = _dense_prediction(strength, vocabulary, options, rng)
    confidence = dense.confidence
    passing = confidence >= options.min_confidence
    if nothing_passes and passing.any():
        raise ValueError("nothing_passes: some pixels still reach min_confidence; use more classes")
    thresholding = Thresholding(
        passing=passing,
        min_confidence=options.min_confidence,
        pixels_per_class=np.bincount(dense.prediction[passing], minlength=num_classes).astype(np.int64),
    )
    components = _components(passing, dense)
    size_filter = _size_filter(components, options.min_region_size)
    points = tuple(_region_points(region, size_filter.labels, dense, options) for region in size_filter.kept)
    prompts = _prompts(points, options.prompt_mode)
    candidates, selection = _candidates(prompts, size_filter, height, width, rng)
    overlap = _overlap(prompts, selection, options.iou_threshold)
    final = _final(dense.prediction, prompts, selection, overlap)
    return PipelineResult(
        image=LoadedImage(name=name, rgb=_scene_rgb(strength, rng), original_size=(width, height)),
        vocabulary=vocabulary,
        options=options,
        models=ModelOptions(random_weights=random_weights, seed=seed, device="cpu"),
        prompt_templates=TOP7_TEMPLATES,
        dense=dense,
        thresholding=thresholding,
        components=components,
        size_filter=size_filter,
        points=points,
        candidates=candidates,
        selection=selection,
        overlap=overlap,
        final=final,
        timings={"load": 0.01, "dense_prediction": 1.25, "regions": 0.02, "points": 0.01, "sam": 2.5},
    )


# --- The scene ------------------------------------------------------------------------------------


def _grid_shape(num_classes: int, height: int, width: int) -> tuple[int, int]:
    """(rows, cols) of class cells, about square cells for the image's aspect ratio."""
    cols = int(min(num_classes, max(1, round(np.sqrt(num_classes * width / height)))))
    return int(np.ceil(num_classes / cols)), cols


def _scene_strength(height: int, width: int, num_classes: int, one_pixel_region: bool) -> np.ndarray:
    """(H, W, C) float32 in [0, 1]: how strongly each pixel shows each class."""
    rows, cols = _grid_shape(num_classes, height, width)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32) + 0.5
    strength = np.zeros((height, width, num_classes), np.float32)
    cell_h, cell_w = height / rows, width / cols
    for c in range(num_classes):
        row, col = divmod(c, cols)
        cy, cx = (row + 0.5) * cell_h, (col + 0.5) * cell_w
        rho = np.hypot((xx - cx) / (0.4 * cell_w), (yy - cy) / (0.4 * cell_h))
        strength[..., c] = np.clip((1.0 - rho) / 0.4, 0.0, 1.0)
    # Class 0's ellipse is cut in two by a 2 px gap: two regions, one object for SAM.
    gap = int(0.5 * cell_w) - 1
    strength[:, gap : gap + 2, 0] = 0.0
    # A 3 x 3 square of class 1 in the top-left corner of class 0's cell, dropped by size.
    small = 1 % num_classes
    strength[1 : 1 + SMALL_BLOB, 1 : 1 + SMALL_BLOB, :] = 0.0
    strength[1 : 1 + SMALL_BLOB, 1 : 1 + SMALL_BLOB, small] = 1.0
    if one_pixel_region:
        y, x = min(height - 2, int(cell_h) - 2), 1
        strength[y - 1 : y + 2, x - 1 : x + 2, :] = 0.0
        strength[y, x, 2 % num_classes] = 1.0
    return strength


def _scene_rgb(strength: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(H, W, 3) uint8: a grey-blue gradient with each class's shape tinted in its own hue."""
    height, width, num_classes = strength.shape
    gradient = np.linspace(70, 150, width, dtype=np.float32)[None, :, None]
    rgb = np.broadcast_to(gradient * np.array([0.8, 0.9, 1.0], np.float32), (height, width, 3)).copy()
    hues = np.linspace(0, 2 * np.pi, num_classes, endpoint=False)
    tints = 110 + 100 * np.stack([np.cos(hues), np.cos(hues - 2.1), np.cos(hues + 2.1)], axis=1)
    weight = strength.max(axis=2, keepdims=True)
    tint = np.einsum("hwc,ck->hwk", strength, tints) / np.maximum(strength.sum(axis=2, keepdims=True), 1e-6)
    rgb = (1 - weight) * rgb + weight * tint + rng.normal(0, 6, rgb.shape)
    return np.clip(rgb, 0, 255).astype(np.uint8)


def _dense_prediction(
    strength: np.ndarray, vocabulary: Vocabulary, options: PipelineOptions, rng: np.random.Generator
) -> DensePrediction:
    """Cosines from the scene, then the SCLIP scoring rule of SPEC section 2.3."""
    height, width, _ = strength.shape
    query_class = vocabulary.query_class
    first_query = np.array(
        [True] + [query_class[q] != query_class[q - 1] for q in range(1, len(query_class))]
    )
    amplitude = np.where(first_query, 0.12, 0.04).astype(np.float32)
    coarse = rng.normal(0, 1, (max(2, height // 8), max(2, width // 8), len(query_class)))
    noise = ndimage.zoom(coarse, (height / coarse.shape[0], width / coarse.shape[1], 1), order=1)
    noise = noise[:height, :width]
    cosines = 0.2 + 0.003 * noise + amplitude * strength[..., query_class]
    logits = options.logit_scale * cosines
    probs = np.exp(logits - logits.max(axis=2, keepdims=True))
    probs /= probs.sum(axis=2, keepdims=True)
    num_classes = len(vocabulary)
    similarities = np.stack([cosines[..., query_class == c].max(axis=2) for c in range(num_classes)], axis=2)
    probabilities = np.stack([probs[..., query_class == c].max(axis=2) for c in range(num_classes)], axis=2)
    resized = _resized_size(width, height, options.short_side)
    return DensePrediction(
        prediction=probabilities.argmax(axis=2).astype(np.int32),
        confidence=probabilities.max(axis=2).astype(np.float32),
        scores=ClassScores(
            cosines.astype(np.float32), np.asarray(query_class), num_classes, float(options.logit_scale), (width, height)
        ),
        summary=summary_of(similarities, probabilities),
        windows=_windows(resized, options.window, options.stride),
        resized_size=resized,
    )


def summary_of(similarities: np.ndarray, probabilities: np.ndarray) -> ScoreSummary:
    """Per-class statistics of full (H, W, C) maps, computed plainly."""
    return ScoreSummary(
        similarity_min=similarities.min(axis=(0, 1)),
        similarity_mean=similarities.mean(axis=(0, 1)),
        similarity_max=similarities.max(axis=(0, 1)),
        probability_mean=probabilities.mean(axis=(0, 1)),
        probability_max=probabilities.max(axis=(0, 1)),
    )


def _resized_size(width: int, height: int, short_side: int) -> tuple[int, int]:
    scale = min(2048 / max(width, height), short_side / min(width, height))
    return int(round(width * scale)), int(round(height * scale))


def _window_starts(size: int, window: int, stride: int) -> list[int]:
    if size <= window:
        return [0]
    return list(range(0, size - window, stride)) + [size - window]


def _windows(resized: tuple[int, int], window: int, stride: int) -> np.ndarray:
    """(N, 4) int32 boxes, row by row; the last of a row/column is shifted back inside."""
    width, height = resized
    boxes = [
        (x, y, min(x + window, width), min(y + window, height))
        for y in _window_starts(height, window, stride)
        for x in _window_starts(width, window, stride)
    ]
    return np.array(boxes, dtype=np.int32)


# --- Regions and points ----------------------------------------------------------------------------


def _components(passing: np.ndarray, dense: DensePrediction) -> Components:
    labels = np.zeros(passing.shape, np.int32)
    regions = []
    for c in range(dense.num_classes):
        class_labels, count = ndimage.label(passing & (dense.prediction == c), structure=EIGHT_CONNECTED)
        for local in range(1, count + 1):
            mask = class_labels == local
            region_id = len(regions) + 1
            labels[mask] = region_id
            ys, xs = np.nonzero(mask)
            regions.append(
                Region(
                    id=region_id,
                    class_index=c,
                    size=int(mask.sum()),
                    bbox=(int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1),
                    centroid=(float(xs.mean()), float(ys.mean())),
                    confidence=float(dense.confidence[mask].mean()),
                )
            )
    return Components(labels=labels, regions=tuple(regions))


def _size_filter(components: Components, min_region_size: int) -> SizeFilter:
    kept = tuple(r for r in components.regions if r.size >= min_region_size)
    dropped = tuple(r for r in components.regions if r.size < min_region_size)
    kept_ids = np.array([r.id for r in kept], np.int32)
    labels = np.where(np.isin(components.labels, kept_ids), components.labels, 0).astype(np.int32)
    return SizeFilter(labels=labels, kept=kept, dropped=dropped, min_region_size=min_region_size)


def _farthest_points(candidates: np.ndarray, first: int, count: int) -> np.ndarray:
    """Indices into candidates (M, 2): ``first``, then each next the farthest from those chosen."""
    chosen = [first]
    distance = np.hypot(*(candidates - candidates[first]).T)
    for _ in range(min(count, len(candidates)) - 1):
        chosen.append(int(distance.argmax()))
        distance = np.minimum(distance, np.hypot(*(candidates - candidates[chosen[-1]]).T))
    return np.array(chosen)


def _region_points(region: Region, kept_labels: np.ndarray, dense: DensePrediction, options) -> RegionPoints:
    mask = kept_labels == region.id
    ys, xs = np.nonzero(mask)
    pixels = np.stack([xs, ys], axis=1).astype(np.float32)
    nearest = int(np.hypot(*(pixels - np.array(region.centroid, np.float32)).T).argmin())
    positive = pixels[_farthest_points(pixels, nearest, options.points_per_cluster)]
    negative = np.zeros((0, 2), np.float32)
    negative_classes = np.zeros((0,), np.int32)
    count = 0
    if options.negative_points_per_cluster > 0:
        distance = ndimage.distance_transform_edt(~mask)
        qualifies = (
            (dense.prediction != region.class_index)
            & (dense.confidence >= options.negative_confidence_threshold)
            & (distance >= NEGATIVE_MIN_DISTANCE)
        )
        cys, cxs = np.nonzero(qualifies)
        count = len(cxs)
        if count:
            cand = np.stack([cxs, cys], axis=1).astype(np.float32)
            picked = _farthest_points(
                cand, int(distance[cys, cxs].argmin()), options.negative_points_per_cluster
            )
            negative = cand[picked]
            negative_classes = dense.prediction[cys[picked], cxs[picked]].astype(np.int32)
    return RegionPoints(
        region_id=region.id,
        class_index=region.class_index,
        confidence=region.confidence,
        positive=positive,
        negative=negative,
        negative_classes=negative_classes,
        negative_candidates=count,
    )


# --- SAM ---------------------------------------------------------------------------------------------


def _prompts(points: tuple[RegionPoints, ...], prompt_mode: str) -> tuple[SamPrompt, ...]:
    groups = []
    for rp in points:
        positives = [rp.positive] if prompt_mode == "joint" else [p[None] for p in rp.positive]
        groups += [(rp, pos) for pos in positives]
    return tuple(
        SamPrompt(
            index=i,
            region_id=rp.region_id,
            class_index=rp.class_index,
            confidence=rp.confidence,
            points=np.concatenate([pos, rp.negative]).astype(np.float32),
            labels=np.array([1] * len(pos) + [0] * len(rp.negative), np.int32),
        )
        for i, (rp, pos) in enumerate(groups)
    )


def _candidates(prompts, size_filter: SizeFilter, height: int, width: int, rng) -> tuple[SamCandidates, MaskSelection]:
    """Three masks per prompt: the region's core, the whole object, and the object's box; the best.

    The object is the 8-connected piece of the class's kept regions grown by 1 px, so two regions
    of one class separated by a thin gap get the same object mask (and one is then suppressed).
    """
    class_of = {r.id: r.class_index for r in size_filter.kept}
    masks = np.zeros((len(prompts), 3, height, width), bool)
    for p, prompt in enumerate(prompts):
        region = size_filter.labels == prompt.region_id
        same_class = np.isin(size_filter.labels, [i for i, c in class_of.items() if c == prompt.class_index])
        pieces, _ = ndimage.label(ndimage.binary_dilation(same_class, EIGHT_CONNECTED), EIGHT_CONNECTED)
        obj = pieces == pieces[region].max()
        core = ndimage.binary_erosion(region, EIGHT_CONNECTED)
        ys, xs = np.nonzero(obj)
        box = np.zeros_like(obj)
        box[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1] = True
        masks[p] = core if core.any() else region, obj, box
    scores = (np.array([0.55, 0.9, 0.7], np.float32) + rng.uniform(-0.05, 0.05, (len(prompts), 3))).astype(np.float32)
    # The candidates of the prompts of the 60 most confident regions are kept (step 14 shows them).
    shown = sorted(prompts, key=lambda p: (-p.confidence, p.index))[:60]
    kept = CandidateMasks.crop({p.index: masks[p.index] for p in shown}, (height, width))
    best = scores.argmax(axis=1).astype(np.int64) if len(prompts) else np.zeros(0, np.int64)
    rows = np.arange(len(best))
    selection = MaskSelection(best=best, masks=PackedMasks.pack(masks[rows, best]), scores=scores[rows, best])
    return SamCandidates(prompts=tuple(prompts), masks=kept, scores=scores), selection


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 0.0


def _overlap(prompts, selection: MaskSelection, iou_threshold: float) -> OverlapResolution:
    kept: list[int] = []
    suppressed: list[Suppression] = []
    for c in sorted({p.class_index for p in prompts}):
        order = sorted((p for p in prompts if p.class_index == c), key=lambda p: -p.confidence)
        kept_here: list[int] = []
        for prompt in order:
            ious = [(_iou(selection.masks[prompt.index], selection.masks[k]), k) for k in kept_here]
            best_iou, winner = max(ious, default=(0.0, -1))
            if best_iou > iou_threshold:
                suppressed.append(Suppression(prompt_index=prompt.index, winner_index=winner, iou=best_iou))
            else:
                kept_here.append(prompt.index)
        kept += kept_here
    return OverlapResolution(kept=tuple(kept), suppressed=tuple(suppressed), iou_threshold=iou_threshold)


def _final(prediction, prompts, selection: MaskSelection, overlap: OverlapResolution) -> FinalSegmentation:
    labels = prediction.copy()
    source = np.full(prediction.shape, -1, np.int32)
    for index in sorted(overlap.kept, key=lambda i: prompts[i].confidence):
        labels[selection.masks[index]] = prompts[index].class_index
        source[selection.masks[index]] = index
    return FinalSegmentation(labels=labels.astype(np.int32), source=source)
