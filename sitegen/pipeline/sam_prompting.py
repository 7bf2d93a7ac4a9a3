"""Stage 9: turn region points into SAM 2 prompts and ask SAM for three candidate masks each.

``joint`` mode (the default) sends one prompt per region with all its positive and negative
points, so SAM sees the whole region at once. ``separate`` mode reproduces the original tool:
one prompt per positive point, each carrying all of its region's negatives.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

import numpy as np

from sitegen.errors import SitegenError
from sitegen.options import PROMPT_MODES
from sitegen.pipeline.mask_selection import select_streamed, shown_candidate_prompts
from sitegen.records import MaskSelection, RegionPoints, SamCandidates, SamPrompt


#: Masks a run may keep for one image (chosen masks and the shown candidates, packed and deflated,
#: and one decoder batch at full resolution); a run projected to need more stops with a message
#: instead of exhausting memory.
MAX_MASK_BYTES = 6 * 2**30
#: The projection waits for this share of the prompts, so that a few unusual first masks do not
#: decide it.
PROJECT_AFTER = 0.1


class Predictor(Protocol):
    """What stage 9 needs from a SAM predictor (``sitegen.models.sam`` provides the real one)."""

    def set_image(self, rgb: np.ndarray) -> None:
        """Embed an (H, W, 3) uint8 image once for the ``predict`` calls that follow."""

    def predict(
        self, points: list[np.ndarray], labels: list[np.ndarray]
    ) -> Iterable[tuple[Sequence[int], np.ndarray, np.ndarray]]:
        """Batches of (prompt indices (B,), masks (B, 3, H, W) bool, scores (B, 3) float32) that
        together answer the P prompts of (N_i, 2) points once each."""

    def batch_bytes(self, height: int, width: int) -> int:
        """Most bytes one decoder batch and its temporaries take on an image of this size."""


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


def projected_bytes(held: int, answered: int, prompts: int, batch_bytes: int) -> int | None:
    """Bytes of masks all ``prompts`` would keep, from the ``held`` bytes of the first ``answered``.

    None until ``PROJECT_AFTER`` of the prompts are answered. Deflated masks shrink by how regular
    they are, so only the masks themselves can tell; the decoder batch is added as it is.

    Examples
    --------
    >>> projected_bytes(2_000_000, 100, 900, 500_000)  # 20 kB a mask so far
    18500000
    >>> projected_bytes(2_000_000, 80, 900, 500_000) is None
    True
    """
    if answered < PROJECT_AFTER * prompts or answered == 0:
        return None
    return held * prompts // answered + batch_bytes


def prompt_sam(
    predictor: Predictor, rgb: np.ndarray, prompts: tuple[SamPrompt, ...]
) -> tuple[SamCandidates, MaskSelection]:
    """Embed the image once, ask SAM for three candidates per prompt and keep the best of each.

    Each batch of SAM's answers is reduced as it returns (``select_streamed``): the chosen mask of
    every prompt is kept packed and deflated, the three candidates only for the prompts step 14 shows
    (``shown_candidate_prompts``), cropped to their box. With no prompts SAM is not called at
    all, not even ``set_image``: embedding the image costs a full image-encoder forward pass that
    nothing would use.

    Parameters
    ----------
    predictor : Predictor
        Has ``set_image(rgb)``, batched ``predict(points, labels)`` and ``batch_bytes(h, w)``.
    rgb : ndarray of shape (H, W, 3), dtype uint8
    prompts : tuple of SamPrompt

    Returns
    -------
    candidates : SamCandidates
        ``scores`` of shape (P, 3) float32; ``masks`` the shown prompts' candidates.
    selection : MaskSelection
        ``masks`` of shape (P, H, W), packed bool.

    Raises
    ------
    SitegenError
        When, from the masks of the first tenth of the prompts, all of them would keep more
        than ``MAX_MASK_BYTES``; the message states the estimate.
    """
    height, width = rgb.shape[:2]
    if not prompts:
        return select_streamed((), (), (height, width), ())
    batch_bytes = predictor.batch_bytes(height, width)

    def refuse_when_too_many(held: int, answered: int) -> None:
        projected = projected_bytes(held, answered, len(prompts), batch_bytes)
        if projected is not None and projected > MAX_MASK_BYTES:
            raise SitegenError(
                f"{len(prompts)} SAM prompts at {width}x{height} px would keep an estimated {projected / 2**30:.1f} GiB "
                f"of masks (the first {answered} keep {held / 2**20:.0f} MiB; limit {MAX_MASK_BYTES / 2**30:.0f} GiB): "
                "raise --min-region-size or --min-confidence for fewer regions, or lower --max-pixels"
            )

    predictor.set_image(rgb)
    batches = predictor.predict([p.points for p in prompts], [p.labels for p in prompts])
    return select_streamed(prompts, batches, (height, width), shown_candidate_prompts(prompts), refuse_when_too_many)
