"""Small pictures for the site's index and class pages (long side at most ``max_side``).

Previews, not paper figures: they are JPEGs (about a sixth of a PNG's bytes over a photo); the
lossless pictures are the step PNGs and the per-class detail PNGs.
"""

from __future__ import annotations

import numpy as np

from sitegen.class_scores import ClassScores
from sitegen.figures.canvas import encode_jpeg, with_banner
from sitegen.figures.memo import remember_last
from sitegen.figures.overlay import Frame, heatmap, outline, paint
from sitegen.figures.palette import Palette
from sitegen.figures.views import class_overlay
from sitegen.records import PipelineResult

THUMBNAIL_SIDE = 320


@remember_last
def _shown_probabilities(scores: ClassScores, frame: Frame) -> np.ndarray:
    """Every class's probability at the thumbnail's pixels, computed once for all found classes."""
    return scores.probabilities_at(*frame.pixels())


def _frame(result: PipelineResult, max_side: int) -> Frame:
    return Frame.fit(result.image.height, result.image.width, max_side, max_side)


def render_thumbnail(result: PipelineResult, palette: Palette, max_side: int = THUMBNAIL_SIDE) -> bytes:
    """The final segmentation over the image, for the index grid (JPEG bytes)."""
    frame = _frame(result, max_side)
    picture = class_overlay(frame, result.image.rgb, result.final.labels, palette)
    return encode_jpeg(with_banner(picture, result.models.random_weights))


def render_class_thumbnails(result: PipelineResult, palette: Palette, class_index: int) -> dict[str, bytes]:
    """JPEGs of one class in one image: ``confidence`` (its probability, viridis 0 to 1) and
    ``mask`` (its final mask over the image, in its colour).

    Raises IndexError for a class index the run does not have.
    """
    if not 0 <= class_index < len(result.vocabulary):
        raise IndexError(f"class {class_index} does not exist; the run has {len(result.vocabulary)} classes")
    frame = _frame(result, THUMBNAIL_SIDE)
    confidence = heatmap(_shown_probabilities(result.dense.scores, frame)[..., class_index], 0.0, 1.0)
    mask = frame.sample(result.final.labels == class_index)
    colour = palette.colour(class_index)
    picture = paint(frame.photo(result.image.rgb), mask, colour, 0.55)
    picture = paint(picture, outline(mask), colour)
    random_weights = result.models.random_weights
    return {
        "confidence": encode_jpeg(with_banner(confidence, random_weights)),
        "mask": encode_jpeg(with_banner(np.ascontiguousarray(picture), random_weights)),
    }
