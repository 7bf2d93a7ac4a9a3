"""Pictures of pipeline records that several steps share: class overlays, regions, prompts.

Everything here returns display-size uint8 arrays for ``canvas.Panel`` or small lookups for the
interactive figures, given a ``Frame`` (the source-to-panel mapping).
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from sitegen.figures.canvas import (
    GAP,
    MARGIN,
    MAX_WIDTH,
    LegendItem,
    draw_markers,
    font,
    line_height,
    wrap_text,
)
from sitegen.figures.overlay import NEGATIVE_RED, POSITIVE_GREEN, Frame, backdrop, blend, colourise
from sitegen.figures.palette import Palette
from sitegen.figures.wording import no_prompts_reason, percent
from sitegen.records import PipelineResult, Region

OVERLAY_ALPHA = 0.5
INK_OUTLINE = (30, 30, 30)


def panel_frame(height: int, width: int, columns: int = 1) -> Frame:
    """The panel size for one of ``columns`` side-by-side pictures of an image of (height, width)."""
    max_width = (MAX_WIDTH - 2 * MARGIN - (columns - 1) * GAP) // columns
    max_height = {1: 720, 2: 600}.get(columns, max_width)
    return Frame.fit(height, width, max_width, max_height)


def image_frame(result: PipelineResult, columns: int = 1) -> Frame:
    return panel_frame(result.image.height, result.image.width, columns)


def class_legend(
    palette: Palette, names: list[str], indices, suffixes: dict[int, str] | None = None
) -> tuple[LegendItem, ...]:
    """Legend swatches for classes ``indices``, each label optionally followed by a suffix."""
    suffixes = suffixes or {}
    return tuple(LegendItem(f"{names[i]}{suffixes.get(i, '')}", palette.colour(i)) for i in indices)


def class_share_legend(
    palette: Palette, names: list[str], counts: np.ndarray, total: int
) -> tuple[LegendItem, ...]:
    """Legend of every class with its share of the image's pixels (``counts`` per class)."""
    shares = {c: f" ({percent(counts[c], total)})" for c in range(len(names))}
    return class_legend(palette, names, range(len(names)), shares)


def class_overlay(
    frame: Frame, rgb: np.ndarray, labels: np.ndarray, palette: Palette, alpha=OVERLAY_ALPHA
) -> np.ndarray:
    """The photo with class colours blended in; ``labels`` (H, W) int, negative = no class.

    ``alpha`` is a number or an (H, W) array in the source resolution.
    """
    photo = frame.photo(rgb)
    shown = frame.sample(labels)
    weight = frame.sample(np.broadcast_to(np.asarray(alpha, np.float32), labels.shape)) * (shown >= 0)
    return blend(photo, colourise(shown, palette), weight)


def label_edges(labels: np.ndarray) -> np.ndarray:
    """(H, W) bool: labelled pixels (> 0) with a 4-neighbour of another label or on the border."""
    padded = np.pad(labels, 1, constant_values=-1)
    centre = padded[1:-1, 1:-1]
    differs = (
        (padded[:-2, 1:-1] != centre)
        | (padded[2:, 1:-1] != centre)
        | (padded[1:-1, :-2] != centre)
        | (padded[1:-1, 2:] != centre)
    )
    return (labels > 0) & differs


def region_shades(regions: tuple[Region, ...], palette: Palette) -> dict[int, tuple[int, int, int]]:
    """Region id -> its class colour, alternately lighter and darker so neighbours differ."""
    shades = {}
    seen: dict[int, int] = {}
    for region in regions:
        k = seen.get(region.class_index, 0)
        seen[region.class_index] = k + 1
        base = np.array(palette.colour(region.class_index), float)
        target = 255.0 if k % 2 else 0.0
        mix = 0.0 if k == 0 else min(0.45, 0.15 * ((k + 1) // 2))
        shades[region.id] = tuple(int(round(v)) for v in base * (1 - mix) + target * mix)
    return shades


def regions_picture(
    frame: Frame, rgb: np.ndarray, labels: np.ndarray, regions: tuple[Region, ...], palette: Palette
) -> np.ndarray:
    """``regions`` filled in shades of their class colour and outlined, over the faded photo;
    other labels are left out (picked at panel size, not on the full-resolution map)."""
    shown = frame.sample(labels)
    shown = np.where(np.isin(shown, [r.id for r in regions]), shown, 0)
    shades = region_shades(regions, palette)
    table = np.zeros((int(labels.max(initial=0)) + 1, 3), np.uint8)
    for region_id, colour in shades.items():
        table[region_id] = colour
    picture = blend(backdrop(frame.photo(rgb)), table[shown], 0.8 * (shown > 0))
    picture[label_edges(shown)] = INK_OUTLINE
    return picture


def region_anchor(labels: np.ndarray, region: Region) -> tuple[int, int]:
    """(x, y) of the region's pixel nearest its centroid (inside even a non-convex region)."""
    x0, y0, x1, y1 = region.bbox
    ys, xs = np.nonzero(labels[y0:y1, x0:x1] == region.id)
    nearest = int(np.argmin(np.hypot(xs + x0 - region.centroid[0], ys + y0 - region.centroid[1])))
    return int(xs[nearest] + x0), int(ys[nearest] + y0)


def ring_small_regions(image: np.ndarray, frame: Frame, anchors: list[tuple[int, int]], colour) -> np.ndarray:
    """Circle markers around regions too small to see at panel size."""
    return draw_markers(
        image, frame.points(np.array(anchors, float).reshape(-1, 2)), "outline", [colour] * len(anchors), 9
    )


def prompt_points(result: PipelineResult) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All prompts' points: (N, 2) XY, (N,) label (1 positive, 0 negative), (N,) prompt index."""
    prompts = result.candidates.prompts
    if not prompts:
        return np.zeros((0, 2), np.float32), np.zeros(0, np.int32), np.zeros(0, np.int64)
    xy = np.concatenate([p.points for p in prompts])
    labels = np.concatenate([p.labels for p in prompts])
    owner = np.concatenate([np.full(len(p.points), p.index) for p in prompts])
    return xy, labels, owner


def draw_prompts(
    image: np.ndarray, frame: Frame, xy: np.ndarray, labels: np.ndarray, radius: int = 7
) -> np.ndarray:
    """Green circles for positive points and red crosses for negative ones."""
    positive, negative = xy[labels == 1], xy[labels == 0]
    image = draw_markers(image, frame.points(negative), "cross", [NEGATIVE_RED] * len(negative), radius)
    return draw_markers(image, frame.points(positive), "circle", [POSITIVE_GREEN] * len(positive), radius)


def kept_regions_tint(
    frame: Frame, result: PipelineResult, palette: Palette, alpha: float = 0.35
) -> np.ndarray:
    """Faded photo with kept regions tinted in their class colour and outlined."""
    kept = result.size_filter.labels
    classes = np.full(int(kept.max(initial=0)) + 1, -1, np.int64)
    for region in result.size_filter.kept:
        classes[region.id] = region.class_index
    shown = frame.sample(kept)
    shown_classes = classes[shown]
    colours = colourise(shown_classes, palette)
    picture = blend(backdrop(frame.photo(result.image.rgb), 0.35), colours, alpha * (shown > 0))
    edges = label_edges(shown)
    picture[edges] = colours[edges]
    return picture


def prompts_backdrop(frame: Frame, result: PipelineResult, palette: Palette) -> np.ndarray:
    """What steps 11 and 12 draw their points on: the kept regions, or why there are none."""
    if result.points:
        return kept_regions_tint(frame, result, palette)
    return message_picture(frame, result.image.rgb, no_prompts_reason(result))


def grid_columns(count: int, height: int, width: int) -> int:
    """Columns for ``count`` panels of an image so the whole grid is about 3 times wider than high."""
    return int(np.clip(round(np.sqrt(3.0 * count * height / width)), 1, min(count, 6)))


def class_strip(image: np.ndarray, colour, height: int = 6) -> np.ndarray:
    """``image`` with a bar of the class colour on top (ties a heatmap to its class)."""
    strip = np.empty((height, image.shape[1], 3), np.uint8)
    strip[:] = colour
    return np.concatenate([strip, image], axis=0)


def message_picture(frame: Frame, rgb: np.ndarray, message: str) -> np.ndarray:
    """The faded photo with ``message`` written across it in a white box (steps with nothing to show)."""
    picture = Image.fromarray(backdrop(frame.photo(rgb), 0.6))
    draw = ImageDraw.Draw(picture)
    height, width = frame.size
    size = int(np.clip(width / 28, 12, 22))
    lines = wrap_text(message, size, int(width * 0.85))
    box_h = len(lines) * line_height(size) + 16
    top = max(0, (height - box_h) // 2)
    draw.rectangle(
        (int(width * 0.05), top, int(width * 0.95), min(height - 1, top + box_h)),
        fill=(255, 255, 255),
        outline=(120, 120, 120),
    )
    for i, line in enumerate(lines):
        draw.text(
            (width // 2, top + 8 + i * line_height(size)),
            line,
            font=font(size),
            fill=(25, 25, 25),
            anchor="ma",
        )
    return np.asarray(picture)
