"""Stage 12: the final map, SAM's sharp masks painted over SCLIP's coarse argmax.

Pixels no kept mask covers keep the SCLIP class. Kept masks are painted from the least to the
most confident region, so where masks of different classes overlap the most confident one wins.
"""

from __future__ import annotations

import numpy as np

from sitegen.records import FinalSegmentation, MaskSelection, OverlapResolution, SamCandidates


def paint_final(
    prediction: np.ndarray,
    candidates: SamCandidates,
    selection: MaskSelection,
    overlap: OverlapResolution,
) -> FinalSegmentation:
    """Paint the kept masks over the SCLIP argmax in ascending region confidence.

    Equal confidences are painted in descending prompt index, so the lower prompt index paints
    last and wins: the same tie rule as overlap resolution, which treats the lower index as the
    more confident.

    Parameters
    ----------
    prediction : ndarray of shape (H, W), int32
        SCLIP argmax.
    candidates : SamCandidates
        The prompts (class and region confidence of each mask).
    selection : MaskSelection
        ``masks`` (P, H, W) bool.
    overlap : OverlapResolution
        ``kept``: the prompt indices to paint.

    Returns
    -------
    FinalSegmentation
        ``labels`` of shape (H, W) int32 (class index) and ``source`` of shape (H, W) int32 (the
        prompt index whose mask painted the pixel, -1 where the SCLIP argmax remains).

    Examples
    --------
    >>> from sitegen.records import MaskSelection, OverlapResolution, SamCandidates, SamPrompt
    >>> empty = np.zeros((0, 2), np.float32)
    >>> prompts = (SamPrompt(0, 1, 1, 0.6, empty, np.zeros(0, np.int32)),
    ...            SamPrompt(1, 2, 2, 0.9, empty, np.zeros(0, np.int32)))
    >>> masks = np.array([[[1, 1, 0, 0]], [[0, 1, 1, 0]]], bool)
    >>> final = paint_final(np.zeros((1, 4), np.int32), SamCandidates(prompts, masks[:, None], None),
    ...                     MaskSelection(np.zeros(2, np.int64), masks, None), OverlapResolution((0, 1), (), 0.8))
    >>> final.labels.tolist(), final.source.tolist()
    ([[1, 2, 2, 0]], [[0, 1, 1, -1]])
    """
    if selection.masks.shape[1:] != prediction.shape:
        raise ValueError(f"masks {selection.masks.shape[1:]} and prediction {prediction.shape} differ in shape")
    labels = prediction.astype(np.int32, copy=True)
    source = np.full(prediction.shape, -1, np.int32)
    prompts = candidates.prompts
    for index in sorted(overlap.kept, key=lambda i: (prompts[i].confidence, -i)):
        mask = selection.masks[index]
        labels[mask] = prompts[index].class_index
        source[mask] = index
    return FinalSegmentation(labels=labels, source=source)
