"""Stage 11: drop masks that repeat an already kept mask of the same class.

Several prompts of one class (several regions, or several points in ``separate`` mode) often
bring back nearly the same SAM mask. Within each class the masks are visited from the most to the
least confident region; a mask whose IoU with any mask kept so far exceeds ``iou_threshold`` is
suppressed. Masks of different classes never suppress each other: the final painting decides
those conflicts.
"""

from __future__ import annotations

import numpy as np

from sitegen.masks import PackedMasks
from sitegen.records import MaskSelection, OverlapResolution, SamCandidates, Suppression

#: float32 values per matrix product in ``pairwise_iou`` (64 MiB). A chunk then has at most
#: 2**24 pixel columns, and float32 sums of 0/1 values are exact up to 2**24, so every partial
#: intersection count is exact; the running total is kept in int64.
_IOU_CHUNK_VALUES = 1 << 24


def pairwise_iou(masks: PackedMasks | np.ndarray) -> np.ndarray:
    """Intersection over union of every pair of masks, by matrix products over pixel chunks.

    Packed masks are inflated and unpacked a chunk of pixels at a time, so a class with a hundred
    masks of a 6000x4000 image never holds them unpacked.

    Parameters
    ----------
    masks : PackedMasks or ndarray of shape (P, H, W), bool

    Returns
    -------
    ndarray of shape (P, P), dtype float64
        ``iou[i, j]``; two empty masks have IoU 0 (nothing overlaps).

    Examples
    --------
    >>> masks = np.array([[[1, 1, 0, 0]], [[0, 1, 1, 0]], [[0, 0, 0, 0]]], bool)
    >>> (pairwise_iou(masks) * 3).round(6).tolist()
    [[3.0, 1.0, 0.0], [1.0, 3.0, 0.0], [0.0, 0.0, 0.0]]
    """
    packed = masks if isinstance(masks, PackedMasks) else PackedMasks.pack(masks)
    intersection = np.zeros((len(packed), len(packed)), np.int64)
    columns = max(1, _IOU_CHUNK_VALUES // 8 // max(1, len(packed)))
    for bits in packed.packed_chunks(columns):  # padding bits are zero: they add nothing
        chunk = np.unpackbits(bits, axis=1).astype(np.float32)
        intersection += np.rint(chunk @ chunk.T).astype(np.int64)
    area = np.diagonal(intersection)
    union = area[:, None] + area[None, :] - intersection
    return np.divide(intersection, union, out=np.zeros(intersection.shape), where=union > 0)


def resolve_overlaps(candidates: SamCandidates, selection: MaskSelection, iou_threshold: float) -> OverlapResolution:
    """Suppress, class by class, chosen masks that overlap a more confident kept mask too much.

    Within a class the masks are visited by region confidence, highest first (ties: lower prompt
    index first). A mask is suppressed when its IoU with any already kept mask of its class is
    strictly greater than ``iou_threshold``; the record names the kept mask it overlaps most
    (ties: the earliest kept) and that IoU. Otherwise it is kept.

    Parameters
    ----------
    candidates : SamCandidates
        The prompts (class and region confidence of each mask).
    selection : MaskSelection
        ``masks`` (P, H, W) bool, packed or not, the chosen mask of each prompt.
    iou_threshold : float
        In [0, 1]; at 1 nothing is suppressed.

    Returns
    -------
    OverlapResolution
        ``kept``: prompt indices in acceptance order, class by class in ascending class index;
        ``suppressed``: one ``Suppression`` per dropped mask, in the order they were visited.
    """
    prompts = candidates.prompts
    kept: list[int] = []
    suppressed: list[Suppression] = []
    for class_index in sorted({p.class_index for p in prompts}):
        order = sorted((p for p in prompts if p.class_index == class_index), key=lambda p: (-p.confidence, p.index))
        indices = [p.index for p in order]
        iou = pairwise_iou(_subset(selection.masks, indices))
        kept_here: list[int] = []  # positions in ``indices``
        for position, prompt_index in enumerate(indices):
            overlaps = iou[position, kept_here]
            if len(kept_here) and overlaps.max() > iou_threshold:
                winner = int(np.argmax(overlaps))
                suppressed.append(Suppression(prompt_index, indices[kept_here[winner]], float(overlaps[winner])))
            else:
                kept_here.append(position)
        kept.extend(indices[position] for position in kept_here)
    return OverlapResolution(kept=tuple(kept), suppressed=tuple(suppressed), iou_threshold=float(iou_threshold))


def _subset(masks: PackedMasks | np.ndarray, indices: list[int]) -> PackedMasks | np.ndarray:
    """``masks[indices]`` without unpacking packed masks."""
    return masks.subset(indices) if isinstance(masks, PackedMasks) else masks[indices]
