"""Small pictures for the site's index and class pages (long side at most ``max_side``).

Previews, not paper figures: photographs and photo composites are lossy WebP (a sixth of a
PNG's bytes, a reader cannot tell on screen); the lossless pictures are the paper figures.
A class's mask is not baked into a copy of the photo for every class: it is a small transparent
indexed PNG that the class page lays over the image's one photo thumbnail (``photo``), so an
image with 20 classes found carries one photo, not 20.
"""

from __future__ import annotations

import numpy as np

from sitegen.class_scores import ClassScores
from sitegen.figures.canvas import banner_height, encode_webp, with_banner
from sitegen.figures.memo import remember_last
from sitegen.figures.overlay import Frame, heatmap, outline
from sitegen.figures.picture_assets import encode_indexed
from sitegen.figures.palette import Palette
from sitegen.figures.views import class_overlay
from sitegen.records import PipelineResult

THUMBNAIL_SIDE = 320
#: Opacity of a class's mask over the photo thumbnail (its outline is opaque).
MASK_ALPHA = 140


@remember_last
def _shown_probabilities(scores: ClassScores, frame: Frame) -> np.ndarray:
    """Every class's probability at the thumbnail's pixels, computed once for all found classes."""
    return scores.probabilities_at(*frame.pixels())


def _frame(result: PipelineResult, max_side: int) -> Frame:
    return Frame.fit(result.image.height, result.image.width, max_side, max_side)


def render_thumbnail(result: PipelineResult, palette: Palette, max_side: int = THUMBNAIL_SIDE) -> bytes:
    """The final segmentation over the image, for the index grid (WebP bytes)."""
    frame = _frame(result, max_side)
    picture = class_overlay(frame, result.image.rgb, result.final.labels, palette)
    return encode_webp(with_banner(picture, result.models.random_weights))


def render_photo_thumbnail(result: PipelineResult, max_side: int = THUMBNAIL_SIDE) -> bytes:
    """The photograph alone at thumbnail size (WebP): the layer under every class's mask overlay."""
    frame = _frame(result, max_side)
    return encode_webp(with_banner(frame.photo(result.image.rgb), result.models.random_weights))


def mask_overlay(mask: np.ndarray, colour: tuple[int, int, int], top_rows: int = 0) -> np.ndarray:
    """(top_rows + h, w, 4) uint8: ``mask`` in ``colour`` at ``MASK_ALPHA``, its outline opaque.

    ``top_rows`` transparent rows come first, so the overlay lines up with a photo thumbnail that
    carries the random-weights banner. Three colours at most: it encodes as an indexed PNG.

    >>> overlay = mask_overlay(np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], bool), (255, 0, 0), 1)
    >>> overlay.shape, overlay[0, 0].tolist(), overlay[2, 1].tolist(), overlay[1, 1].tolist()
    ((4, 3, 4), [0, 0, 0, 0], [255, 0, 0, 255], [0, 0, 0, 0])
    """
    rgba = np.zeros((top_rows + mask.shape[0], mask.shape[1], 4), np.uint8)
    shown = rgba[top_rows:]
    shown[mask] = (*colour, MASK_ALPHA)
    shown[outline(mask)] = (*colour, 255)
    return rgba


def render_class_thumbnails(result: PipelineResult, palette: Palette, class_index: int) -> dict[str, bytes]:
    """One class in one image: ``confidence`` (its probability, viridis 0 to 1, WebP) and ``mask``
    (its final mask as a transparent indexed PNG to lay over ``render_photo_thumbnail``).

    Raises IndexError for a class index the run does not have.
    """
    if not 0 <= class_index < len(result.vocabulary):
        raise IndexError(f"class {class_index} does not exist; the run has {len(result.vocabulary)} classes")
    frame = _frame(result, THUMBNAIL_SIDE)
    confidence = heatmap(_shown_probabilities(result.dense.scores, frame)[..., class_index], 0.0, 1.0)
    mask = frame.sample(result.final.labels == class_index)
    random_weights = result.models.random_weights
    top = banner_height(mask.shape[1], random_weights)
    return {
        "confidence": encode_webp(with_banner(confidence, random_weights)),
        "mask": encode_indexed(mask_overlay(mask, palette.colour(class_index), top)),
    }
