import numpy as np

from sitegen.pipeline.mask_selection import select_masks
from sitegen.records import PackedMasks, SamCandidates


def test_highest_score_wins_and_ties_go_to_the_lowest_index():
    masks = np.zeros((3, 3, 2, 2), bool)
    for prompt in range(3):
        for candidate in range(3):
            masks[prompt, candidate].flat[candidate] = True  # candidate j covers pixel j
    scores = np.array([[0.1, 0.7, 0.3], [0.5, 0.5, 0.2], [0.2, 0.4, 0.9]], np.float32)
    selection = select_masks(SamCandidates((), PackedMasks.pack(masks), scores))
    assert selection.best.tolist() == [1, 0, 2]
    assert selection.best.dtype == np.int64
    np.testing.assert_array_equal(selection.masks, masks[[0, 1, 2], [1, 0, 2]])
    assert selection.scores.tolist() == [np.float32(0.7), np.float32(0.5), np.float32(0.9)]
    assert selection.scores.dtype == np.float32


def test_no_prompts_gives_empty_selection():
    selection = select_masks(SamCandidates((), PackedMasks.pack(np.zeros((0, 3, 4, 5), bool)), np.zeros((0, 3), np.float32)))
    assert selection.best.shape == (0,) and selection.masks.shape == (0, 4, 5) and selection.scores.shape == (0,)


def test_packed_masks_index_like_the_bool_array():
    # Eight pixels to a byte, with a width that is not a multiple of eight.
    rng = np.random.default_rng(2)
    masks = rng.random((4, 3, 5, 13)) < 0.4
    packed = PackedMasks.pack(masks)
    assert packed.bits.nbytes == 4 * 3 * 5 * 2 and packed.shape == masks.shape and len(packed) == 4
    rows, best = np.arange(4), np.array([2, 0, 1, 2])
    for index in [(1,), (1, 2), (rows, best), (3, 1, slice(1, 4), slice(2, 11)), (slice(None),)]:
        assert np.array_equal(packed[index], masks[index]), index
        assert packed[index].dtype == bool
    # each(): a re-readable sequence that unpacks one mask per read.
    pairs = [(0, 1), (3, 2), (1, 0)]
    each = packed.each(pairs)
    assert len(each) == 3 and len(each[1:]) == 2
    for _ in range(2):
        assert [m.tolist() for m in each] == [masks[p, k].tolist() for p, k in pairs]
