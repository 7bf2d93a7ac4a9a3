"""Under-found classes against ground truth: one designed run per pixel stage that loses the cat.

The cat's ground truth is ``CAT_BOX`` (100 px). Each run goes through the real stages 3-12 from
hand-made probabilities, with a stub SAM that answers each prompt with a hand-drawn mask chosen
by where its first point lies, and a background mask that covers whatever the cat's mask leaves,
so what SAM does not give the cat, the final map gives the background. The sentence must name
the stage from which fewer than half of the cat's ground truth remained, and its suggested option
must take that stage back to at least half when the stages run again.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from sitegen.evaluation import IGNORED
from sitegen.pipeline.funnel import compute_funnel
from sitegen.pipeline.run import run_stages
from sitegen.pipeline.under_found import truth_coverage
from sitegen.records import DenseSimilarity, LoadedImage
from tests.pipeline.test_funnel import (
    BACKGROUND,
    CAT,
    CAT_BOX,
    DOG,
    HEIGHT,
    OPTIONS,
    VOCABULARY,
    WIDTH,
    ObjectSam,
    StubModels,
    scene,
)


class PickedSam(ObjectSam):
    """SAM stand-in: ``which[y, x]`` of a prompt's first point picks its mask from ``masks``."""

    def __init__(self, which: np.ndarray, masks: list[np.ndarray]):
        super().__init__(which)
        self.masks = masks

    def mask_at(self, x: int, y: int) -> np.ndarray:
        return self.masks[self.objects[y, x]]


def box(y0, y1, x0, x1) -> np.ndarray:
    mask = np.zeros((HEIGHT, WIDTH), bool)
    mask[y0:y1, x0:x1] = True
    return mask


def cat_sam(*cat_masks: tuple[np.ndarray, np.ndarray], extra: tuple[np.ndarray, np.ndarray] | None = None) -> PickedSam:
    """Each ``(where, mask)``: a prompt inside ``where`` gets ``mask``; any other prompt gets the
    background's mask, every pixel outside the first cat mask."""
    which = np.zeros((HEIGHT, WIDTH), np.int64)  # 0: the background's mask
    masks = [~cat_masks[0][1]]
    for where, mask in (*cat_masks, *([extra] if extra else [])):
        which[where] = len(masks)
        masks.append(mask)
    return PickedSam(which, masks)


def run(probs: np.ndarray, sam: PickedSam, options=OPTIONS):
    similarity = DenseSimilarity(np.log(probs), np.zeros((0, 4), np.int32), (WIDTH, HEIGHT))
    image = LoadedImage("scene.png", np.zeros((HEIGHT, WIDTH, 3), np.uint8), (WIDTH, HEIGHT))
    return run_stages(image, VOCABULARY, similarity, StubModels(sam), options, ("{}",), {})


#: The cat's ground truth is its box; a strip of ignored pixels on the left counts for nothing.
TRUTH = np.full((HEIGHT, WIDTH), BACKGROUND, np.int32)
TRUTH[box(*CAT_BOX)] = CAT
TRUTH[:, :2] = IGNORED


def expected_coverage(result) -> list[int]:
    """The cat's ground-truth pixels per pixel stage, pixel by pixel with plain loops."""
    prompts = result.candidates.prompts
    own = [p.index for p in prompts if p.class_index == CAT and result.selection.masks[p.index].any()]
    kept_ids = {r.id for r in result.size_filter.kept if r.class_index == CAT}
    counts = [0] * 6
    for y in range(HEIGHT):
        for x in range(WIDTH):
            if TRUTH[y, x] != CAT:
                continue
            wins = result.dense.prediction[y, x] == CAT
            held = [
                wins,
                wins and result.thresholding.passing[y, x],
                result.size_filter.labels[y, x] in kept_ids,
                any(result.selection.masks[i][y, x] for i in own),
                any(result.selection.masks[i][y, x] for i in own if i in result.overlap.kept),
                result.final.labels[y, x] == CAT,
            ]
            counts = [n + bool(h) for n, h in zip(counts, held)]
    return counts


def cat_miss(result):
    coverage = truth_coverage(result, CAT, TRUTH)
    assert list(coverage.values()) == expected_coverage(result)
    funnel = compute_funnel(result, TRUTH)
    assert compute_funnel(result)[CAT].miss is None  # without ground truth the cat is found
    return list(coverage.values()), funnel[CAT].miss


def test_a_class_found_at_half_its_ground_truth_or_more_gets_no_sentence():
    probs = scene({CAT: (CAT_BOX, 0.9)})
    result = run(probs, cat_sam((box(*CAT_BOX), box(4, 14, 16, 21))))  # SAM gives the cat 50 px of 100
    coverage, miss = cat_miss(result)
    assert coverage == [100, 100, 100, 50, 50, 50] and miss is None


def test_a_class_that_wins_the_argmax_at_under_half_its_truth_is_lost_at_the_argmax():
    probs = scene({CAT: ((4, 14, 16, 19), 0.9)})  # the cat wins 30 px of its 100
    result = run(probs, cat_sam((box(4, 14, 16, 19), box(4, 14, 16, 19))))
    coverage, miss = cat_miss(result)
    assert coverage == [30, 30, 30, 30, 30, 30]
    assert (miss.stage, miss.step, miss.changes) == ("argmax", "06_dense_prediction", {})
    assert miss.iou == pytest.approx(30 / 100)
    assert miss.sentence == (
        "cat: IoU 0.30, the final map labels 30 of its 100 ground-truth px; it wins the argmax at only 30 of them "
        "(another class is more likely at the rest); no option of stages 4-12 changes that."
    )


def test_a_class_whose_true_pixels_fall_below_min_confidence_gets_the_threshold_that_passes_half():
    # The cat wins its box with 0.34 at the left edge rising to 0.43 at the right (0.01 per column);
    # at 0.42 only the last two columns pass, and SAM gives the cat just those.
    ramp = np.broadcast_to(np.float32(0.34) + np.float32(0.01) * np.arange(10, dtype=np.float32), (10, 10))
    probs = scene({CAT: (CAT_BOX, ramp)})
    sam = cat_sam((box(*CAT_BOX), box(4, 14, 24, 26)))
    options = dataclasses.replace(OPTIONS, min_confidence=0.42)
    coverage, miss = cat_miss(run(probs, sam, options))
    assert coverage == [100, 20, 20, 20, 20, 20]
    assert (miss.stage, miss.step, miss.changes) == ("passing", "08_thresholding", {"min-confidence": 0.39})
    assert miss.sentence == (
        "cat: IoU 0.20, the final map labels 20 of its 100 ground-truth px; 100 win the argmax but only 20 pass "
        "min_confidence 0.42; 50 would pass at 0.39."
    )
    through, after = cat_miss(run(probs, sam, dataclasses.replace(options, min_confidence=0.39)))
    assert through[1] == 50 and after.stage == "masks"  # past the threshold; SAM's mask is what holds it now
    assert cat_miss(run(probs, sam, dataclasses.replace(options, min_confidence=0.40)))[0][1] == 40


def test_a_class_whose_true_pixels_lie_in_small_regions_gets_the_size_that_keeps_half():
    probs = scene({CAT: (CAT_BOX, 0.9)})
    probs[4:14, 20] = probs[4:14, 23] = (0.15, 0.15, 0.7)  # regions of 40, 20 and 20 px
    sam = cat_sam((box(*CAT_BOX), box(4, 14, 16, 20)))
    options = dataclasses.replace(OPTIONS, min_region_size=30)
    coverage, miss = cat_miss(run(probs, sam, options))
    assert coverage == [80, 80, 40, 40, 40, 40]
    assert (miss.stage, miss.step, miss.changes) == ("kept_regions", "10_size_filter", {"min-region-size": 20})
    assert miss.sentence.endswith(
        "80 pass min_confidence but only 40 lie in regions of at least min_region_size 30 px; min-region-size 20 keeps 80."
    )
    through, _ = cat_miss(run(probs, sam, dataclasses.replace(options, min_region_size=20)))
    assert through[2] == 80


def test_a_class_that_sam_answers_with_a_small_mask_is_lost_at_the_masks():
    probs = scene({CAT: (CAT_BOX, 0.9)})
    coverage, miss = cat_miss(run(probs, cat_sam((box(*CAT_BOX), box(4, 14, 16, 19)))))
    assert coverage == [100, 100, 100, 30, 30, 30]
    assert (miss.stage, miss.step, miss.changes) == ("masks", "15_mask_selection", {})
    assert miss.sentence.endswith(
        "its kept regions hold 100 but SAM's masks for its 1 prompt cover only 30; no option changes SAM's answer to these points."
    )


def test_a_class_whose_larger_mask_is_suppressed_gets_the_iou_threshold_that_keeps_it():
    # Two cat regions: the more confident (0.9) gets 40 px, the other (0.7) a 60 px mask around
    # them, IoU 40/60 with the first: at iou_threshold 0.6 it is suppressed.
    probs = scene({CAT: (CAT_BOX, 0.9)})
    probs[4:14, 21:26, CAT], probs[4:14, 21:26, DOG] = 0.7, 0.15
    probs[4:14, 20] = (0.15, 0.15, 0.7)
    sam = cat_sam((box(4, 14, 16, 20), box(4, 14, 16, 20)), extra=(box(4, 14, 21, 26), box(4, 14, 16, 22)))
    options = dataclasses.replace(OPTIONS, iou_threshold=0.6)
    coverage, miss = cat_miss(run(probs, sam, options))
    assert coverage == [90, 90, 90, 60, 40, 40]
    assert (miss.stage, miss.step, miss.changes) == ("kept_masks", "16_overlap_resolution", {"iou-threshold": 0.67})
    assert miss.sentence.endswith(
        "its SAM masks cover 60 but overlap resolution suppresses 1 of its 2 masks and the kept ones cover 40; "
        "iou-threshold 0.67 keeps them all."
    )
    through, after = cat_miss(run(probs, sam, dataclasses.replace(options, iou_threshold=0.67)))
    assert through[4] == 60 and after.stage == "final"  # kept now; the more confident background paints over it


def test_a_class_painted_over_by_a_more_confident_class_is_lost_in_the_final_map():
    probs = scene({CAT: (CAT_BOX, 0.7), DOG: ((2, 12, 2, 12), 0.9)})
    dog_mask = box(2, 14, 2, 24)  # the dog's mask spreads over 80 px of the cat
    sam = cat_sam((box(*CAT_BOX), box(*CAT_BOX)), extra=(box(2, 12, 2, 12), dog_mask))
    coverage, miss = cat_miss(run(probs, sam))
    assert coverage == [100, 100, 100, 100, 100, 20]
    assert (miss.stage, miss.step, miss.changes) == ("final", "17_final_segmentation", {})
    assert miss.sentence.endswith("its kept masks cover 100 but more confident masks of dog paint over 80 of them; no option changes that.")
