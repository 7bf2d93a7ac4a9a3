"""Packed and cropped mask stores index like the bool arrays they stand for."""

import numpy as np
import pytest

from sitegen.masks import CandidateMasks, PackedMasks, crop_packed, mask_box


def test_packed_masks_index_like_the_bool_array():
    # Eight pixels to a byte, with a width that is not a multiple of eight.
    rng = np.random.default_rng(2)
    masks = rng.random((4, 3, 5, 13)) < 0.4
    packed = PackedMasks.pack(masks)
    assert packed.shape == masks.shape and len(packed) == 4 and len(packed.blobs) == 12
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
    np.testing.assert_array_equal(packed.pixel_counts(), masks.sum(axis=(2, 3)))
    np.testing.assert_array_equal(packed.subset([3, 1])[:], masks[[3, 1]])
    np.testing.assert_array_equal(packed.subset([3, 1]).pixel_counts(), masks[[3, 1]].sum(axis=(2, 3)))


@pytest.mark.parametrize("columns", [1, 7, 10, 500])
def test_packed_chunks_are_the_packed_rows_in_stretches(columns):
    # What pairwise IoU reads: each mask inflated as a stream, equal to np.packbits of the rows.
    rng = np.random.default_rng(4)
    masks = rng.random((3, 7, 21)) < 0.5
    chunks = list(PackedMasks.pack(masks).packed_chunks(columns))
    assert all(chunk.shape[1] <= columns for chunk in chunks)
    flat = np.packbits(masks, axis=-1).reshape(3, -1)
    np.testing.assert_array_equal(np.concatenate(chunks, axis=1), flat)


def test_deflated_masks_of_a_large_photo_stay_small():
    # SAM's masks are 256 x 256 logits upsampled: blobs. 24 MP packed is 3 MB a mask.
    rng = np.random.default_rng(1)
    coarse = rng.random((4, 32, 48)) < 0.5
    masks = coarse.repeat(125, axis=1).repeat(125, axis=2)  # (4, 4000, 6000)
    packed = PackedMasks.pack(masks)
    assert packed.nbytes < 4 * 4000 * 750 / 25
    np.testing.assert_array_equal(packed[2], masks[2])
    np.testing.assert_array_equal(packed.pixel_counts(), masks.sum(axis=(1, 2)))


def test_candidate_crops_index_like_the_full_candidates():
    rng = np.random.default_rng(5)
    full = np.zeros((4, 3, 9, 19), bool)
    full[0, :, 2:6, 3:15] = rng.random((3, 4, 12)) < 0.5  # inside a box
    full[2] = rng.random((3, 9, 19)) < 0.5  # everywhere
    # full[3] stays empty
    kept = CandidateMasks.crop({p: full[p] for p in (3, 0, 2)}, (9, 19))
    assert kept.prompts == (0, 2, 3) and len(kept) == 3 and 1 not in kept
    assert kept.boxes[2].tolist() == [0, 0, 0, 0] and kept.crops[2].shape == (3, 0, 0)
    assert kept.crops[1].shape == (3, 9, 19)
    assert kept.nbytes < PackedMasks.pack(full[[0, 2, 3]]).nbytes
    for p in (0, 2, 3):
        for index in [(p,), (p, 1), (p, 2, slice(1, 7), slice(0, 10))]:
            assert np.array_equal(kept[index], full[index]), index
    assert [m.tolist() for m in kept.each([(2, 0), (0, 1)])] == [full[2, 0].tolist(), full[0, 1].tolist()]
    with pytest.raises(KeyError, match="prompt 1 were not kept"):
        kept[1, 0]


def test_box_and_crop_of_masks():
    masks = np.zeros((2, 5, 6), bool)
    masks[0, 1, 4] = masks[1, 3, 2] = True
    assert mask_box(masks) == (2, 1, 5, 4)
    box, crop = crop_packed(masks)
    assert box == (2, 1, 5, 4) and crop.shape == (2, 3, 3)
    assert np.array_equal(crop[:], masks[:, 1:4, 2:5])
    assert mask_box(np.zeros((3, 4), bool)) == (0, 0, 0, 0)
