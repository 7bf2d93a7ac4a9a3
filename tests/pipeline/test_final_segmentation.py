import numpy as np

from sitegen.pipeline.final_segmentation import paint_final
from sitegen.masks import CandidateMasks
from sitegen.records import MaskSelection, OverlapResolution, PackedMasks, SamCandidates, SamPrompt

PREDICTION = np.array([[0, 0, 0, 0, 1, 1, 1, 1]], np.int32)


def setup(specs):
    """specs: (class_index, confidence, first column, stop column) per prompt."""
    prompts = tuple(
        SamPrompt(i, i + 1, c, conf, np.zeros((1, 2), np.float32), np.ones(1, np.int32))
        for i, (c, conf, _, _) in enumerate(specs)
    )
    masks = np.zeros((len(specs), 1, 8), bool)
    for i, (_, _, start, stop) in enumerate(specs):
        masks[i, 0, start:stop] = True
    candidates = SamCandidates(prompts, CandidateMasks.crop({}, masks.shape[1:]), np.zeros((len(specs), 3), np.float32))
    return candidates, MaskSelection(np.zeros(len(specs), np.int64), PackedMasks.pack(masks), np.zeros(len(specs), np.float32))


def test_more_confident_mask_wins_and_uncovered_pixels_keep_the_argmax():
    # Prompt 0: class 2, confidence 0.9, columns 1..4; prompt 1: class 3, 0.6, columns 3..6.
    candidates, selection = setup([(2, 0.9, 1, 5), (3, 0.6, 3, 7)])
    final = paint_final(PREDICTION, candidates, selection, OverlapResolution((0, 1), (), 0.8))
    assert final.labels.tolist() == [[0, 2, 2, 2, 2, 3, 3, 1]]
    assert final.source.tolist() == [[-1, 0, 0, 0, 0, 1, 1, -1]]
    assert final.labels.dtype == np.int32 and final.source.dtype == np.int32
    # The winner does not depend on the order of ``kept``.
    swapped = paint_final(PREDICTION, candidates, selection, OverlapResolution((1, 0), (), 0.8))
    np.testing.assert_array_equal(swapped.labels, final.labels)


def test_suppressed_masks_are_not_painted_and_equal_confidence_goes_to_lower_index():
    candidates, selection = setup([(2, 0.5, 2, 6), (3, 0.5, 0, 4), (1, 0.99, 0, 8)])
    final = paint_final(PREDICTION, candidates, selection, OverlapResolution((1, 0), (), 0.8))
    assert final.labels.tolist() == [[3, 3, 2, 2, 2, 2, 1, 1]]
    assert final.source.tolist() == [[1, 1, 0, 0, 0, 0, -1, -1]]
    assert PREDICTION.tolist() == [[0, 0, 0, 0, 1, 1, 1, 1]]  # the input is not modified


def test_nothing_kept_leaves_the_argmax():
    candidates, selection = setup([])
    final = paint_final(PREDICTION, candidates, selection, OverlapResolution((), (), 0.8))
    np.testing.assert_array_equal(final.labels, PREDICTION)
    assert (final.source == -1).all()
