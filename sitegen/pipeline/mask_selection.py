"""Stage 10: keep, for every prompt, the candidate mask SAM scores highest."""

from __future__ import annotations

import numpy as np

from sitegen.records import MaskSelection, SamCandidates


def select_masks(candidates: SamCandidates) -> MaskSelection:
    """Pick the highest-scoring of the three candidates of each prompt (ties: lowest index).

    Parameters
    ----------
    candidates : SamCandidates
        ``masks`` (P, 3, H, W) packed bool and ``scores`` (P, 3) float32.

    Returns
    -------
    MaskSelection
        ``best`` of shape (P,) int64, ``masks`` of shape (P, H, W) bool, ``scores`` of shape (P,)
        float32.

    Examples
    --------
    >>> from sitegen.records import PackedMasks, SamCandidates
    >>> masks = np.zeros((1, 3, 1, 3), bool)
    >>> masks[0, [0, 1, 2], 0, [0, 1, 2]] = True
    >>> candidates = SamCandidates((), PackedMasks.pack(masks), np.array([[0.2, 0.9, 0.9]], np.float32))
    >>> chosen = select_masks(candidates)
    >>> chosen.best.tolist(), chosen.masks.tolist()
    ([1], [[[False, True, False]]])
    """
    best = np.argmax(candidates.scores, axis=1).astype(np.int64)
    rows = np.arange(len(best))
    return MaskSelection(
        best=best,
        masks=candidates.masks[rows, best],
        scores=candidates.scores[rows, best].astype(np.float32),
    )
