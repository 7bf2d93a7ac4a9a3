"""Stage 9: turn region points into SAM 2 prompts and ask SAM for three candidate masks each.

``joint`` mode (the default) sends one prompt per region with all its positive and negative
points, so SAM sees the whole region at once. ``separate`` mode reproduces the original tool:
one prompt per positive point, each carrying all of its region's negatives.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from sitegen.options import PROMPT_MODES
from sitegen.records import PackedMasks, RegionPoints, SamCandidates, SamPrompt


class Predictor(Protocol):
    """What stage 9 needs from a SAM predictor (``sitegen.models.sam`` provides the real one)."""

    def set_image(self, rgb: np.ndarray) -> None:
        """Embed an (H, W, 3) uint8 image once for the ``predict`` calls that follow."""

    def predict(
        self, points: list[np.ndarray], labels: list[np.ndarray]
    ) -> tuple[PackedMasks | np.ndarray, np.ndarray]:
        """Masks (P, 3, H, W) bool, packed or not, and scores (P, 3) float32 for P prompts of (N_i, 2) points."""


def build_prompts(points: tuple[RegionPoints, ...], prompt_mode: str) -> tuple[SamPrompt, ...]:
    """Group region points into SAM prompts.

    Parameters
    ----------
    points : tuple of RegionPoints
        Stage 8 output, one per kept region.
    prompt_mode : {"joint", "separate"}
        ``joint``: one prompt per region, its positives (label 1) then its negatives (label 0).
        ``separate``: one prompt per positive point, followed by the region's negatives.

    Returns
    -------
    tuple of SamPrompt
        Indices 0..P-1 in region order (then point order); ``points`` (N, 2) float32 XY and
        ``labels`` (N,) int32.

    Examples
    --------
    >>> from sitegen.records import RegionPoints
    >>> region = RegionPoints(4, 1, 0.8, np.array([[1, 2], [3, 4]], np.float32),
    ...                       np.array([[9, 9]], np.float32), np.array([0], np.int32), 5)
    >>> [p.labels.tolist() for p in build_prompts((region,), "joint")]
    [[1, 1, 0]]
    >>> [p.points.tolist() for p in build_prompts((region,), "separate")]
    [[[1.0, 2.0], [9.0, 9.0]], [[3.0, 4.0], [9.0, 9.0]]]
    """
    if prompt_mode not in PROMPT_MODES:
        raise ValueError(f"prompt_mode must be one of {PROMPT_MODES}, got {prompt_mode!r}")
    groups = []
    for region in points:
        positives = [region.positive] if prompt_mode == "joint" else [p[None] for p in region.positive]
        groups.extend((region, positive) for positive in positives)
    return tuple(
        SamPrompt(
            index=index,
            region_id=region.region_id,
            class_index=region.class_index,
            confidence=region.confidence,
            points=np.concatenate([positive, region.negative]).astype(np.float32),
            labels=np.concatenate(
                [np.ones(len(positive), np.int32), np.zeros(len(region.negative), np.int32)]
            ),
        )
        for index, (region, positive) in enumerate(groups)
    )


def prompt_sam(predictor: Predictor, rgb: np.ndarray, prompts: tuple[SamPrompt, ...]) -> SamCandidates:
    """Embed the image once and get three candidate masks with scores for every prompt.

    With no prompts SAM is not called at all, not even ``set_image``: embedding the image costs a
    full image-encoder forward pass that nothing would use.

    Parameters
    ----------
    predictor : Predictor
        Has ``set_image(rgb)`` and batched ``predict(points, labels)``.
    rgb : ndarray of shape (H, W, 3), dtype uint8
    prompts : tuple of SamPrompt

    Returns
    -------
    SamCandidates
        ``masks`` of shape (P, 3, H, W) packed bool and ``scores`` of shape (P, 3) float32.
    """
    height, width = rgb.shape[:2]
    if not prompts:
        empty_masks = PackedMasks.pack(np.zeros((0, 3, height, width), bool))
        return SamCandidates(prompts=(), masks=empty_masks, scores=np.zeros((0, 3), np.float32))
    predictor.set_image(rgb)
    masks, scores = predictor.predict([p.points for p in prompts], [p.labels for p in prompts])
    masks = masks if isinstance(masks, PackedMasks) else PackedMasks.pack(masks)
    scores = np.asarray(scores, dtype=np.float32)
    if masks.shape != (len(prompts), 3, height, width) or scores.shape != (len(prompts), 3):
        raise ValueError(
            f"SAM returned masks {masks.shape} and scores {scores.shape} for {len(prompts)} prompts "
            f"on a {width}x{height} image; expected ({len(prompts)}, 3, {height}, {width}) and ({len(prompts)}, 3)"
        )
    return SamCandidates(prompts=prompts, masks=masks, scores=scores)
