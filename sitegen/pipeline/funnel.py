"""The funnel: how much of each class survives each stage, and why a missed class was lost.

For every class of one image's run, eight counts follow the class through the pipeline: pixels
where it wins the argmax -> pixels passing min_confidence -> regions -> regions kept by size ->
SAM prompts -> non-empty SAM masks -> masks kept after overlap resolution -> final pixels.

A class is *missed* when no SAM mask of it reaches the final map: either it has no kept mask
(whatever it keeps of the final map is SCLIP's coarse argmax), or its masks are all painted over.
For a missed class one sentence names the first stage whose count is zero, with numbers from the
run and, where the data can compute one, the option values that let it through. Only five stages
can lose a class: a class with passing pixels always has a region, a kept region always has a
prompt, and the most confident non-empty mask of a class is never suppressed (it is compared with
no kept mask), so ``regions``, ``prompts`` and ``kept_masks`` are never the first zero.

With ground truth, a class the final map holds at under half its true pixels gets a sentence too
(``sitegen.pipeline.under_found``): the stage that lost them, by its ground-truth pixels.

Everything here is a pure function of a ``PipelineResult``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

from sitegen.records import PipelineResult

_EIGHT_CONNECTED = np.ones((3, 3), dtype=bool)


@dataclass(frozen=True)
class FunnelStage:
    """One column of the funnel: its key, its words, and the step page that shows it."""

    key: str
    label: str
    step: str


STAGES = (
    FunnelStage("argmax", "pixels winning the argmax", "06_dense_prediction"),
    FunnelStage("passing", "pixels passing min_confidence", "08_thresholding"),
    FunnelStage("regions", "regions", "09_connected_components"),
    FunnelStage("kept_regions", "regions kept by size", "10_size_filter"),
    FunnelStage("prompts", "SAM prompts", "13_sam_prompting"),
    FunnelStage("masks", "non-empty SAM masks", "15_mask_selection"),
    FunnelStage("kept_masks", "masks kept after overlap resolution", "16_overlap_resolution"),
    FunnelStage("final", "final pixels", "17_final_segmentation"),
)
STAGE_KEYS = tuple(stage.key for stage in STAGES)


@dataclass(frozen=True)
class Miss:
    """Why a class is missed: the first stage that lost it, in words.

    Attributes
    ----------
    stage : str
        A key of ``STAGES``.
    step : str
        The step id whose page shows the loss (``08_thresholding``).
    sentence : str
        One sentence with numbers from the run, starting with the class's name.
    changes : dict
        Option values (kebab-case name -> value) that let the class past that stage, computed
        from the run; empty when no option of sitegen's can (the class never wins the argmax,
        SAM returns empty masks, other classes' masks cover it).
    iou : float or None
        None for a missed class; for a class found at under half its ground truth (with ground
        truth only), its IoU in the final map.
    """

    stage: str
    step: str
    sentence: str
    changes: dict = field(default_factory=dict)
    iou: float | None = None


@dataclass(frozen=True)
class ClassFunnel:
    """One class's counts, one per ``STAGES``, and its ``Miss`` if it is missed."""

    class_index: int
    name: str
    counts: tuple[int, ...]
    miss: Miss | None

    def count(self, key: str) -> int:
        return self.counts[STAGE_KEYS.index(key)]


def compute_funnel(result: PipelineResult, truth: np.ndarray | None = None) -> tuple[ClassFunnel, ...]:
    """The funnel of every class of one run, in class order.

    Parameters
    ----------
    result : PipelineResult
    truth : ndarray of shape (H, W), integer dtype, optional
        The image's ground truth as class indices (``IGNORED``, -1, where a pixel does not
        count), the size of ``result``'s maps: classes found at under half of it get a ``Miss``
        too (``sitegen.pipeline.under_found``).

    Returns
    -------
    tuple of ClassFunnel
        One per class of ``result.vocabulary``.
    """
    from sitegen.pipeline.under_found import explain_under_found  # it builds on this module's records

    counts = funnel_counts(result)
    funnels = []
    for spec in result.vocabulary.classes:
        row = tuple(int(n) for n in counts[spec.index])
        by_key = dict(zip(STAGE_KEYS, row))
        missed = by_key["kept_masks"] == 0 or by_key["final"] == 0
        if missed:
            miss = explain_miss(result, spec.index, by_key)
        else:
            miss = None if truth is None else explain_under_found(result, spec.index, truth)
        funnels.append(ClassFunnel(spec.index, spec.name, row, miss))
    return tuple(funnels)


def funnel_counts(result: PipelineResult) -> np.ndarray:
    """(C, 8) int64: the count of every class at every stage of ``STAGES``, from the records."""
    num_classes = len(result.vocabulary)
    prompts = result.candidates.prompts
    prompt_class = np.array([p.class_index for p in prompts], np.int64)
    # The counts taken when the masks were packed: unpacked at once, 900 masks of a 6000x4000 photo are 21.6 GB.
    non_empty = result.selection.masks.pixel_counts() > 0
    kept = np.zeros(len(prompts), bool)
    kept[list(result.overlap.kept)] = True

    def per_class(indices) -> np.ndarray:
        return np.bincount(np.asarray(indices, np.int64), minlength=num_classes)[:num_classes]

    columns = [
        per_class(result.dense.prediction.ravel()),
        np.asarray(result.thresholding.pixels_per_class, np.int64),
        per_class([r.class_index for r in result.components.regions]),
        per_class([r.class_index for r in result.size_filter.kept]),
        per_class(prompt_class),
        per_class(prompt_class[non_empty]),
        per_class(prompt_class[non_empty & kept]),
        per_class(result.final.labels.ravel()),
    ]
    return np.stack(columns, axis=1).astype(np.int64)


def explain_miss(result: PipelineResult, class_index: int, counts: dict[str, int]) -> Miss:
    """The sentence for a missed class: the first stage whose count is zero (see the module)."""
    name = result.vocabulary.classes[class_index].name
    lost = next((key for key in STAGE_KEYS if counts[key] == 0), "final")
    if lost == "argmax":
        return _never_wins(result, class_index, name)
    if lost == "passing":
        return _below_threshold(result, class_index, name)
    if lost == "kept_regions":
        return _too_small(result, class_index, name)
    if lost == "masks":
        return Miss(
            "masks",
            "15_mask_selection",
            f"{name}: SAM returned an empty mask for each of its {_plural(counts['prompts'], 'prompt')}; "
            "no option changes SAM's answer to these points.",
        )
    if lost == "final":
        return _painted_over(result, class_index, name, counts["kept_masks"])
    stage = STAGES[STAGE_KEYS.index(lost)]
    return Miss(lost, stage.step, f"{name}: none of it is left at {stage.label}.")


def _never_wins(result: PipelineResult, c: int, name: str) -> Miss:
    best = float(result.dense.summary.probability_max[c])
    return Miss(
        "argmax",
        "05_confidence_maps",
        f"{name}: wins the argmax at no pixel (its highest probability is {best:.2f}, and another class "
        "is more likely there); no option of stages 4-12 changes that.",
    )


def _below_threshold(result: PipelineResult, c: int, name: str) -> Miss:
    """No winning pixel reaches min_confidence: the highest threshold that gives a kept region."""
    options = result.options
    wins = result.dense.prediction == c
    confidence = result.dense.confidence
    highest = float(confidence[wins].max())
    rows, cols = np.nonzero(wins)
    window = np.s_[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    wins, confidence = wins[window], confidence[window]

    def largest_region(threshold: float) -> int:
        labels, count = ndimage.label(wins & (confidence >= np.float32(threshold)), _EIGHT_CONNECTED)
        return int(np.bincount(labels.ravel())[1:].max()) if count else 0

    # Lowering the threshold only grows regions, so the sizes are monotonic: binary search the
    # two-decimal thresholds 0.00 .. (the highest winning probability, rounded down).
    top = math.floor(highest * 100 + 1e-6)
    while top > 0 and np.float32(top / 100) > np.float32(highest):
        top -= 1
    low, high = 0, top
    if largest_region(0.0) < options.min_region_size:
        # Even every winning pixel together makes no region big enough: the size limit must give.
        threshold = top / 100
        size = largest_region(threshold)
        changes = {"min-confidence": threshold, "min-region-size": size}
        tail = (
            f"; {_pixels(wins, confidence, threshold)} would pass at {threshold:.2f}, in regions of at most "
            f"{size:,} px (below min_region_size {options.min_region_size:,} at any threshold)"
        )
    else:
        while low < high:  # the largest k whose threshold still gives a region big enough
            middle = (low + high + 1) // 2
            low, high = (middle, high) if largest_region(middle / 100) >= options.min_region_size else (low, middle - 1)
        threshold = low / 100
        changes = {"min-confidence": threshold}
        tail = f"; {_pixels(wins, confidence, threshold)} would pass at {threshold:.2f}"
        if low < top:
            tail += f", the highest value that gives it a region of min_region_size {options.min_region_size} px"
    return Miss(
        "passing",
        "08_thresholding",
        f"{name}: its highest winning probability is {_below(highest, options.min_confidence)}, below "
        f"min_confidence {options.min_confidence:g}{tail}.",
        changes,
    )


def _too_small(result: PipelineResult, c: int, name: str) -> Miss:
    sizes = [r.size for r in result.components.regions if r.class_index == c]
    largest = max(sizes)
    keeps = sum(size == largest for size in sizes)
    return Miss(
        "kept_regions",
        "10_size_filter",
        f"{name}: its {_plural(len(sizes), 'region')} {'has' if len(sizes) == 1 else 'have'} at most {largest:,} px, "
        f"below min_region_size {result.size_filter.min_region_size:,}; min-region-size {largest:,} keeps "
        f"{_plural(keeps, 'region')}.",
        {"min-region-size": largest},
    )


def _painted_over(result: PipelineResult, c: int, name: str, kept_masks: int) -> Miss:
    prompts = result.candidates.prompts
    own = [i for i in result.overlap.kept if prompts[i].class_index == c]
    covered = np.zeros(result.final.labels.shape, bool)
    for i in own:
        covered |= result.selection.masks[i]
    painters = np.unique(result.final.source[covered])
    winners = sorted({prompts[p].class_index for p in painters if p >= 0})
    names = ", ".join(result.vocabulary.classes[w].name for w in winners) or "other classes"
    best_own = max(prompts[i].confidence for i in own)
    best_other = max((prompts[p].confidence for p in painters if p >= 0), default=float("nan"))
    return Miss(
        "final",
        "17_final_segmentation",
        f"{name}: its {_plural(kept_masks, 'kept mask')} ({int(covered.sum()):,} px) "
        f"{'is' if kept_masks == 1 else 'are all'} painted over by "
        f"more confident masks of {names} (region confidence {best_other:.2f} against {best_own:.2f}); "
        "no option changes that.",
    )


def _pixels(wins: np.ndarray, confidence: np.ndarray, threshold: float) -> str:
    return f"{int((wins & (confidence >= np.float32(threshold))).sum()):,} px"


def _below(value: float, threshold: float) -> str:
    """``value`` with enough decimals that it reads as below ``threshold`` (0.2999 is not "0.30")."""
    for decimals in range(2, 7):
        text = f"{value:.{decimals}f}"
        if float(text) < threshold:
            return text
    return f"{value:.7f}"


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}" if count == 1 else f"{count:,} {word}s"
