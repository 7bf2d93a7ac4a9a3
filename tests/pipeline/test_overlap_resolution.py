import numpy as np
import pytest

from sitegen.pipeline import overlap_resolution
from sitegen.pipeline.overlap_resolution import pairwise_iou, resolve_overlaps
from sitegen.masks import CandidateMasks
from sitegen.records import MaskSelection, PackedMasks, SamCandidates, SamPrompt, Suppression


def row_mask(start, stop, width=10):
    mask = np.zeros((1, width), bool)
    mask[0, start:stop] = True
    return mask


def setup(specs):
    """specs: (class_index, confidence, mask) per prompt, in prompt index order."""
    prompts = tuple(
        SamPrompt(i, i + 1, c, conf, np.zeros((1, 2), np.float32), np.ones(1, np.int32))
        for i, (c, conf, _) in enumerate(specs)
    )
    masks = np.stack([mask for _, _, mask in specs])
    candidates = SamCandidates(prompts, CandidateMasks.crop({}, masks.shape[1:]), np.zeros((len(specs), 3), np.float32))
    return candidates, MaskSelection(np.zeros(len(specs), np.int64), PackedMasks.pack(masks), np.zeros(len(specs), np.float32))


# Prompt 0 = C (class 0, 0.7): columns 3..9; prompt 1 = B (class 0, 0.8): 4..9;
# prompt 2 = A (class 0, 0.9): 0..5; prompt 3 = D (class 1, 0.95): the same pixels as A.
# IoU(A, B) = 2/10, IoU(A, C) = 3/10, IoU(B, C) = 6/7.
SPECS = [
    (0, 0.7, row_mask(3, 10)),
    (0, 0.8, row_mask(4, 10)),
    (0, 0.9, row_mask(0, 6)),
    (1, 0.95, row_mask(0, 6)),
]


def test_suppressed_by_the_kept_mask_it_overlaps_most():
    candidates, selection = setup(SPECS)
    result = resolve_overlaps(candidates, selection, iou_threshold=0.2)
    # Class 0 visits A (0.9), B (0.8), C (0.7). IoU(A, B) = 0.2 is not above 0.2: B is kept.
    # C overlaps A by 0.3 and B by 6/7, both above 0.2: suppressed by B with 6/7.
    # D (class 1) covers exactly A's pixels but never competes with class 0.
    assert result.kept == (2, 1, 3)
    assert result.suppressed == (Suppression(prompt_index=0, winner_index=1, iou=6 / 7),)
    assert result.iou_threshold == 0.2


def test_higher_threshold_keeps_more_and_lower_suppresses_more():
    candidates, selection = setup(SPECS)
    assert resolve_overlaps(candidates, selection, 0.9).kept == (2, 1, 0, 3)
    low = resolve_overlaps(candidates, selection, 0.1)
    # B is suppressed by A (0.2); then C only meets A among kept masks (0.3).
    assert low.kept == (2, 3)
    assert low.suppressed == (Suppression(1, 2, 0.2), Suppression(0, 2, 0.3))


def test_equal_confidence_visits_lower_prompt_index_first():
    candidates, selection = setup([(0, 0.5, row_mask(0, 5)), (0, 0.5, row_mask(0, 5))])
    result = resolve_overlaps(candidates, selection, 0.8)
    assert result.kept == (0,)
    assert result.suppressed == (Suppression(1, 0, 1.0),)


def test_identical_masks_survive_a_threshold_of_one_and_no_prompts_is_fine():
    candidates, selection = setup([(0, 0.5, row_mask(0, 5)), (0, 0.6, row_mask(0, 5))])
    assert resolve_overlaps(candidates, selection, 1.0).kept == (1, 0)
    empty = SamCandidates((), CandidateMasks.crop({}, (1, 10)), np.zeros((0, 3), np.float32))
    nothing = MaskSelection(np.zeros(0, np.int64), PackedMasks.pack(np.zeros((0, 1, 10), bool)), np.zeros(0))
    result = resolve_overlaps(empty, nothing, 0.5)
    assert result.kept == () and result.suppressed == ()


@pytest.mark.parametrize("chunk_values", [1 << 24, 7])
def test_pairwise_iou_matches_a_plain_loop(monkeypatch, chunk_values):
    monkeypatch.setattr(overlap_resolution, "_IOU_CHUNK_VALUES", chunk_values)
    rng = np.random.default_rng(3)
    masks = rng.random((5, 6, 7)) < 0.4
    masks[4] = False  # an empty mask: IoU 0 with everything, itself included
    expected = np.zeros((5, 5))
    for i in range(5):
        for j in range(5):
            union = np.logical_or(masks[i], masks[j]).sum()
            expected[i, j] = np.logical_and(masks[i], masks[j]).sum() / union if union else 0.0
    np.testing.assert_array_equal(pairwise_iou(masks), expected)
    # Packed masks (a width of 7 leaves one padding bit per row) give the same numbers.
    np.testing.assert_array_equal(pairwise_iou(PackedMasks.pack(masks)), expected)
