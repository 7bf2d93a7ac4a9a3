"""Step 3: the sliding windows SCLIP ran on the resized image, as the run recorded them."""

from __future__ import annotations

import numpy as np

from sitegen.figures.canvas import LegendItem, Panel, compose, draw_boxes, draw_labels
from sitegen.figures.hover import hover_grid, hover_trace
from sitegen.figures.overlay import resize_photo
from sitegen.figures.palette import Palette
from sitegen.figures.picture_assets import PHOTO_ASSET, photo_asset
from sitegen.figures.plotly_json import figure_json
from sitegen.figures.plotly_layout import image_layout, layout_image, points_trace
from sitegen.figures.registry import RenderedStep, step_info
from sitegen.figures.views import panel_frame
from sitegen.figures.wording import count, paragraphs, size
from sitegen.records import PipelineResult

STEP = step_info("03_sclip_patches")
#: Window outlines cycle through these so overlapping neighbours stay apart.
WINDOW_COLOURS = ((255, 200, 0), (0, 200, 255), (255, 90, 200), (120, 230, 60))


def window_size(windows: np.ndarray) -> tuple[int, int]:
    """(width, height) of the first window (all share it)."""
    return int(windows[0, 2] - windows[0, 0]), int(windows[0, 3] - windows[0, 1])


def coverage(windows: np.ndarray, resized_size: tuple[int, int]) -> np.ndarray:
    """(h, w) int32: how many windows cover each pixel of the resized image."""
    width, height = resized_size
    counts = np.zeros((height, width), np.int32)
    for x0, y0, x1, y1 in windows:
        counts[y0:y1, x0:x1] += 1
    return counts


def describe(result: PipelineResult) -> str:
    dense, options = result.dense, result.options
    windows = dense.windows
    width, height = dense.resized_size
    box_w, box_h = window_size(windows)
    columns, rows = len(np.unique(windows[:, 0])), len(np.unique(windows[:, 1]))
    covered = coverage(windows, dense.resized_size)
    short, long = min(result.image.width, result.image.height), max(result.image.width, result.image.height)
    capped = 2048 / long < options.short_side / short
    lines = [
        f"The image ({size(result.image.width, result.image.height)}) was resized to {size(width, height)}: "
        + (
            f"scaling its short side to short_side {options.short_side} px would make the long side exceed "
            f"2048 px, so the long side was set to 2048 px instead."
            if capped
            else f"its short side scaled to short_side {options.short_side} px (bilinear)."
        ),
        f"{count(len(windows), 'window')} of {box_w} x {box_h} px with stride {options.stride} px "
        f"({columns} per row x {rows} per column); the last window of a row or column is shifted back "
        f"inside the image. Each pixel is covered by {covered.min()} to {covered.max()} windows, and "
        "where windows overlap their patch-text cosines are averaged.",
    ]
    if box_w < options.window or box_h < options.window:
        lines.append(
            f"The resized image is smaller than the {options.window} px window in at least one direction, "
            "so windows span it whole there and the positional embeddings are interpolated."
        )
    return paragraphs(lines)


def _inset(box: tuple[float, float, float, float], by: float) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = box
    return x0 + by, y0 + by, x1 - by, y1 - by


def _png(result: PipelineResult) -> bytes:
    dense = result.dense
    width, height = dense.resized_size
    frame = panel_frame(height, width)
    picture = resize_photo(result.image.rgb, frame.size)
    # Inset each box a little more than its predecessor so that coinciding edges stay apart.
    boxes = [_inset(frame.box(tuple(w)), 2 * (i % len(WINDOW_COLOURS))) for i, w in enumerate(dense.windows)]
    colours = [WINDOW_COLOURS[i % len(WINDOW_COLOURS)] for i in range(len(boxes))]
    picture = draw_boxes(picture, boxes, colours, width=2)
    if len(boxes) <= 60:
        picture = draw_labels(
            picture, [(x0 + 14, y0 + 12, str(i)) for i, (x0, y0, _, _) in enumerate(boxes)], 13
        )
    return compose(
        f"Step 3 - {STEP.title}: {count(len(boxes), 'window')}",
        [
            Panel(
                picture,
                f"resized to {size(width, height)}; windows {size(*window_size(dense.windows))}, "
                f"stride {result.options.stride}",
            )
        ],
        random_weights=result.models.random_weights,
        legend=tuple(
            LegendItem(f"window {i}, {i + len(WINDOW_COLOURS)}, ...", c, "outline")
            for i, c in enumerate(WINDOW_COLOURS[: min(len(boxes), 4)])
        ),
    )


def _figure(result: PipelineResult) -> tuple[dict, dict[str, bytes]]:
    dense = result.dense
    width, height = dense.resized_size
    layout = image_layout(
        width, height, f"{count(len(dense.windows), 'window')} on the resized image ({size(width, height)})"
    )
    layout["images"] = [layout_image(PHOTO_ASSET, width, height)]
    layout["shapes"] = [
        {
            "type": "rect",
            "x0": x0,
            "y0": y0,
            "x1": x1,
            "y1": y1,
            "line": {"color": "rgb({},{},{})".format(*WINDOW_COLOURS[i % len(WINDOW_COLOURS)]), "width": 2},
            "xref": "x",
            "yref": "y",
        }
        for i, (x0, y0, x1, y1) in enumerate(dense.windows.tolist())
    ]
    centres = (
        np.stack([dense.windows[:, [0, 2]].mean(axis=1), dense.windows[:, [1, 3]].mean(axis=1)], axis=1) - 0.5
    )
    grid = hover_grid(height, width, 1)
    covered = grid.sample(coverage(dense.windows, dense.resized_size))[..., None]
    data = [
        points_trace(
            centres,
            name="window centres",
            colour="#ffffff",
            symbol="square",
            size=9,
            line_colour="#333333",
            customdata=[[i, *box] for i, box in enumerate(dense.windows.tolist())],
            hovertemplate="window %{customdata[0]}<br>"
            "x %{customdata[1]} to %{customdata[3]}, y %{customdata[2]} to %{customdata[4]}",
        ),
        hover_trace(
            grid, covered.tolist(), "x %{x:.1f}, y %{y:.1f} (resized)<br>covered by %{customdata[0]} windows"
        ),
    ]
    return figure_json({"data": data, "layout": layout}), {PHOTO_ASSET: photo_asset(result.image.rgb)}


def render(result: PipelineResult, palette: Palette) -> RenderedStep:
    dense = result.dense
    width, height = dense.resized_size
    figure, assets = _figure(result)
    facts = {
        "windows": len(dense.windows),
        "window (px)": result.options.window,
        "stride (px)": result.options.stride,
        "resized size": size(width, height),
        "scale": round(width / result.image.width, 3),
    }
    return RenderedStep(STEP, _png(result), describe(result), facts, figure, assets)
