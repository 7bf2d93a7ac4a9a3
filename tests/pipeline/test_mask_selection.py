import numpy as np

from sitegen.pipeline.mask_selection import select_masks
from sitegen.records import SamCandidates


def test_highest_score_wins_and_ties_go_to_the_lowest_index():
    masks = np.zeros((3, 3, 2, 2), bool)
    for prompt in range(3):
        for candidate in range(3):
            masks[prompt, candidate].flat[candidate] = True  # candidate j covers pixel j
    scores = np.array([[0.1, 0.7, 0.3], [0.5, 0.5, 0.2], [0.2, 0.4, 0.9]], np.float32)
    selection = select_masks(SamCandidates((), masks, scores))
    assert selection.best.tolist() == [1, 0, 2]
    assert selection.best.dtype == np.int64
    np.testing.assert_array_equal(selection.masks, masks[[0, 1, 2], [1, 0, 2]])
    assert selection.scores.tolist() == [np.float32(0.7), np.float32(0.5), np.float32(0.9)]
    assert selection.scores.dtype == np.float32


def test_no_prompts_gives_empty_selection():
    selection = select_masks(SamCandidates((), np.zeros((0, 3, 4, 5), bool), np.zeros((0, 3), np.float32)))
    assert selection.best.shape == (0,) and selection.masks.shape == (0, 4, 5) and selection.scores.shape == (0,)
