"""Stage 10: keep, for every prompt, the candidate mask SAM scores highest, as its batch returns.

SAM answers prompts in batches of three full-resolution candidates each. Keeping every candidate
until all prompts are answered costs three masks per prompt; instead each batch is reduced at
once to its prompts' chosen masks (packed eight pixels to a byte and deflated) and, for the
prompts whose candidates step 14 shows, their three candidates cropped to their box. The result is the same as
choosing after the last batch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np

from sitegen.masks import CandidateMasks, PackedMasks, crop_packed, deflate_mask
from sitegen.records import MaskSelection, SamCandidates, SamPrompt

#: Step 14's interactive figure offers the candidates of the prompts of this many most
#: confident regions; only their candidates are kept.
SHOWN_CANDIDATE_PROMPTS = 60


def shown_candidate_prompts(prompts: Sequence[SamPrompt], limit: int = SHOWN_CANDIDATE_PROMPTS) -> tuple[int, ...]:
    """Indices of the ``limit`` prompts of the most confident regions, ascending.

    Ties in region confidence go to the lower prompt index.

    Examples
    --------
    >>> from sitegen.records import SamPrompt
    >>> empty, none = np.zeros((0, 2), np.float32), np.zeros(0, np.int32)
    >>> prompts = [SamPrompt(i, i, 0, c, empty, none) for i, c in enumerate([0.5, 0.9, 0.5, 0.7])]
    >>> shown_candidate_prompts(prompts, 3)
    (0, 1, 3)
    """
    ranked = sorted(prompts, key=lambda p: (-p.confidence, p.index))[:limit]
    return tuple(sorted(p.index for p in ranked))


def best_candidates(scores: np.ndarray) -> np.ndarray:
    """(B,) int64: the highest-scoring of each row of (B, 3) scores; ties go to the lowest index.

    Examples
    --------
    >>> best_candidates(np.array([[0.2, 0.9, 0.9], [0.5, 0.5, 0.5]], np.float32)).tolist()
    [1, 0]
    """
    return np.argmax(scores, axis=1).astype(np.int64).reshape(len(scores))


def select_streamed(
    prompts: tuple[SamPrompt, ...],
    batches: Iterable[tuple[Sequence[int], np.ndarray, np.ndarray]],
    image_shape: tuple[int, int],
    shown: Sequence[int],
    report_held: Callable[[int, int], None] | None = None,
) -> tuple[SamCandidates, MaskSelection]:
    """Choose each prompt's best candidate as SAM's batches arrive, keeping little of the rest.

    Parameters
    ----------
    prompts : tuple of SamPrompt
        P prompts, indices 0..P-1.
    batches : iterable of (indices, masks, scores)
        ``indices`` (B,) prompt indices, ``masks`` of shape (B, 3, H, W) bool, ``scores`` of shape
        (B, 3) float32; together the batches answer every prompt once.
    image_shape : tuple of int
        (H, W).
    shown : sequence of int
        The prompts whose three candidates are kept (``shown_candidate_prompts``).
    report_held : callable, optional
        Called after each batch with the bytes of masks kept so far and the number of prompts
        answered, so that the caller can stop a run whose masks would not fit (it may raise).

    Returns
    -------
    candidates : SamCandidates
        ``scores`` (P, 3) of every prompt; ``masks`` the candidates of ``shown``, cropped.
    selection : MaskSelection
        ``best`` (P,) int64 (ties: lowest index), ``masks`` (P, H, W) packed bool, ``scores`` (P,).

    Examples
    --------
    >>> from sitegen.records import SamPrompt
    >>> empty, none = np.zeros((0, 2), np.float32), np.zeros(0, np.int32)
    >>> masks = np.zeros((1, 3, 1, 3), bool)
    >>> masks[0, [0, 1, 2], 0, [0, 1, 2]] = True
    >>> candidates, chosen = select_streamed((SamPrompt(0, 1, 0, 0.5, empty, none),),
    ...     [([0], masks, np.array([[0.2, 0.9, 0.9]], np.float32))], (1, 3), shown=[])
    >>> chosen.best.tolist(), chosen.masks[:].tolist(), candidates.masks.prompts
    ([1], [[[False, True, False]]], ())
    """
    height, width = image_shape
    count = len(prompts)
    blobs: list[bytes] = [b""] * count
    pixels = np.zeros(count, np.int64)
    scores = np.zeros((count, 3), np.float32)
    answered = np.zeros(count, bool)
    shown = set(shown)
    kept: dict = {}  # prompt index -> (box, packed crop) of its three candidates
    held = 0  # bytes of blobs and kept crops, a running total (every prompt is answered once)
    for indices, masks, batch_scores in batches:
        indices = np.asarray(indices, np.int64)
        masks = np.asarray(masks, dtype=bool)
        if masks.shape != (len(indices), 3, height, width) or np.shape(batch_scores) != (len(indices), 3):
            raise ValueError(
                f"SAM returned masks {masks.shape} and scores {np.shape(batch_scores)} for {len(indices)} prompts "
                f"on a {width}x{height} image; expected ({len(indices)}, 3, {height}, {width}) and ({len(indices)}, 3)"
            )
        for i, (p, k) in enumerate(zip(indices.tolist(), best_candidates(np.asarray(batch_scores)).tolist())):
            blobs[p], pixels[p] = deflate_mask(masks[i, k]), np.count_nonzero(masks[i, k])
            held += len(blobs[p])
            if p in shown:
                kept[p] = crop_packed(masks[i])
                held += kept[p][1].nbytes
        scores[indices] = batch_scores
        answered[indices] = True
        if report_held is not None:
            report_held(held, int(np.count_nonzero(answered)))
    if not answered.all():
        raise ValueError(f"SAM answered {int(answered.sum())} of {count} prompts")
    best = best_candidates(scores) if count else np.zeros(0, np.int64)
    rows = np.arange(count)
    candidates = SamCandidates(prompts=prompts, masks=CandidateMasks.assemble(kept, image_shape), scores=scores)
    chosen = PackedMasks(tuple(blobs), (count, height, width), pixels)
    return candidates, MaskSelection(best=best, masks=chosen, scores=scores[rows, best])
