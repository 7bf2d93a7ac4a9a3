"""With ground truth: why a class the final map holds at under half its true pixels lost the rest.

A class is *under-found* when the ground truth has it, the funnel does not already count it as
missed, and the final map labels it at fewer than half of its ground-truth pixels. Its IoU is then
below 0.5 too (IoU = TP / (truth + predicted - TP) <= TP / truth); a class whose IoU is low only
because it spills onto other classes' ground truth lost nothing on the way and is not under-found.

The class's ground-truth pixels are followed through the pixel stages of the funnel: those where
it wins the argmax, pass min_confidence, lie in a region kept by size, are covered by one of its
non-empty SAM masks, by one of its masks kept after overlap resolution, and in the final map. The
stage named is the first from which the count stays below half of the ground truth through the
final map (SAM can win back pixels a region lacked, so the counts are not monotonic), with the
option value, where the run's data can compute one, that takes that stage back to at least half.
Regions and prompts are not pixel stages: every passing pixel is in a region.
"""

from __future__ import annotations

import math

import numpy as np

from sitegen.pipeline.funnel import Miss, _plural
from sitegen.pipeline.overlap_resolution import pairwise_iou
from sitegen.records import PipelineResult

#: Under-found: the final map holds less than this share of the class's ground-truth pixels.
UNDER_FOUND_SHARE = 0.5
#: The funnel's pixel stages, in order, and the step that shows each.
PIXEL_STAGES = (
    ("argmax", "06_dense_prediction"),
    ("passing", "08_thresholding"),
    ("kept_regions", "10_size_filter"),
    ("masks", "15_mask_selection"),
    ("kept_masks", "16_overlap_resolution"),
    ("final", "17_final_segmentation"),
)


def _class_masks(result: PipelineResult, c: int, kept_only: bool) -> tuple[list[int], np.ndarray]:
    """The prompt indices of class ``c``'s non-empty SAM masks (kept ones only) and their union (H, W) bool."""
    kept = set(result.overlap.kept)
    indices = [
        p.index
        for p in result.candidates.prompts
        if p.class_index == c and (not kept_only or p.index in kept) and result.selection.masks[p.index].any()
    ]
    union = np.zeros(result.final.labels.shape, bool)
    for i in indices:
        union |= result.selection.masks[i]
    return indices, union


def truth_coverage(result: PipelineResult, c: int, truth: np.ndarray) -> dict[str, int]:
    """How many of class ``c``'s ground-truth pixels each pixel stage still gives to ``c``.

    Parameters
    ----------
    result : PipelineResult
    c : int
        The class index.
    truth : ndarray of shape (H, W), integer dtype
        Class index per pixel (``IGNORED``, -1, where the pixel does not count), the size of
        ``result``'s maps.

    Returns
    -------
    dict
        A key of ``PIXEL_STAGES`` -> ground-truth pixels of ``c`` held there.
    """
    true = truth == c
    wins = result.dense.prediction == c
    kept_ids = [r.id for r in result.size_filter.kept if r.class_index == c]
    held = {
        "argmax": wins,
        "passing": wins & result.thresholding.passing,
        "kept_regions": np.isin(result.size_filter.labels, kept_ids),
        "masks": _class_masks(result, c, kept_only=False)[1],
        "kept_masks": _class_masks(result, c, kept_only=True)[1],
        "final": result.final.labels == c,
    }
    return {key: int((true & held[key]).sum()) for key, _ in PIXEL_STAGES}


def explain_under_found(result: PipelineResult, c: int, truth: np.ndarray) -> Miss | None:
    """The sentence for class ``c`` if it is under-found against ``truth`` (see the module), else None.

    ``truth`` is as in ``truth_coverage``. The ``Miss``'s ``iou`` is the class's IoU in the final map.
    """
    total = int((truth == c).sum())
    if total == 0:
        return None
    covered = truth_coverage(result, c, truth)
    if covered["final"] >= UNDER_FOUND_SHARE * total:
        return None
    keys = [key for key, _ in PIXEL_STAGES]
    lost = len(keys) - 1
    while lost > 0 and covered[keys[lost - 1]] < UNDER_FOUND_SHARE * total:
        lost -= 1
    stage, step = PIXEL_STAGES[lost]
    predicted = int(((result.final.labels == c) & (truth >= 0)).sum())
    iou = covered["final"] / (total + predicted - covered["final"])
    need = math.ceil(UNDER_FOUND_SHARE * total)
    name = result.vocabulary.classes[c].name
    start = f"{name}: IoU {iou:.2f}, the final map labels {covered['final']:,} of its {total:,} ground-truth px; "
    tail, changes = _STAGE_WORDS[stage](result, c, truth, covered, need)
    return Miss(stage, step, start + tail, changes, iou=iou)


def _at_argmax(result, c, truth, covered, need):
    return (
        f"it wins the argmax at only {covered['argmax']:,} of them (another class is more likely at the rest); "
        "no option of stages 4-12 changes that.",
        {},
    )


def _at_threshold(result, c, truth, covered, need):
    """The highest two-decimal min_confidence at which half the ground truth passes."""
    confidences = np.sort(result.dense.confidence[(truth == c) & (result.dense.prediction == c)])[::-1]
    value = confidences[need - 1]  # the need-th highest: at or below it, `need` pixels pass
    hundredths = math.floor(float(value) * 100) + 1
    while np.float32(hundredths / 100) > value:  # passing is confidence >= float32(min_confidence)
        hundredths -= 1
    threshold = hundredths / 100
    passing = int((confidences >= np.float32(threshold)).sum())
    return (
        f"{covered['argmax']:,} win the argmax but only {covered['passing']:,} pass min_confidence "
        f"{result.thresholding.min_confidence:g}; {passing:,} would pass at {threshold:.2f}.",
        {"min-confidence": threshold},
    )


def _at_size_filter(result, c, truth, covered, need):
    """The largest min_region_size whose kept regions hold half the ground truth."""
    labels = result.components.labels
    inside = np.bincount(labels[(truth == c) & (labels > 0)], minlength=len(result.components.regions) + 1)
    regions = sorted((r for r in result.components.regions if r.class_index == c), key=lambda r: -r.size)
    held, size = 0, 0
    for region in regions:
        held += int(inside[region.id])
        size = region.size
        if held >= need:
            break
    kept = int(sum(inside[r.id] for r in regions if r.size >= size))
    return (
        f"{covered['passing']:,} pass min_confidence but only {covered['kept_regions']:,} lie in regions of at "
        f"least min_region_size {result.size_filter.min_region_size:,} px; min-region-size {size:,} keeps {kept:,}.",
        {"min-region-size": size},
    )


def _at_masks(result, c, truth, covered, need):
    prompts = sum(p.class_index == c for p in result.candidates.prompts)
    return (
        f"its kept regions hold {covered['kept_regions']:,} but SAM's masks for its {_plural(prompts, 'prompt')} "
        f"cover only {covered['masks']:,}; no option changes SAM's answer to these points.",
        {},
    )


def _at_overlaps(result, c, truth, covered, need):
    """An iou_threshold at or above every IoU between the class's masks: none is suppressed."""
    indices, _ = _class_masks(result, c, kept_only=False)
    kept = set(result.overlap.kept)
    iou = pairwise_iou(result.selection.masks.subset(indices))  # packed: a chunk of pixels at a time
    highest = float(iou[~np.eye(len(indices), dtype=bool)].max())
    threshold = min(1.0, math.ceil(highest * 100 - 1e-6) / 100)
    while threshold < highest:
        threshold = round(threshold + 0.01, 2)
    suppressed = sum(i not in kept for i in indices)
    return (
        f"its SAM masks cover {covered['masks']:,} but overlap resolution suppresses "
        f"{suppressed:,} of its {len(indices):,} masks and the kept ones cover {covered['kept_masks']:,}; "
        f"iou-threshold {threshold:.2f} keeps them all.",
        {"iou-threshold": threshold},
    )


def _at_final(result, c, truth, covered, need):
    _, union = _class_masks(result, c, kept_only=True)
    lost = union & (truth == c) & (result.final.labels != c)
    prompts = result.candidates.prompts
    winners = sorted({prompts[p].class_index for p in np.unique(result.final.source[lost]) if p >= 0})
    names = ", ".join(result.vocabulary.classes[w].name for w in winners) or "other classes"
    return (
        f"its kept masks cover {covered['kept_masks']:,} but more confident masks of {names} paint over "
        f"{int(lost.sum()):,} of them; no option changes that.",
        {},
    )


_STAGE_WORDS = {
    "argmax": _at_argmax,
    "passing": _at_threshold,
    "kept_regions": _at_size_filter,
    "masks": _at_masks,
    "kept_masks": _at_overlaps,
    "final": _at_final,
}
