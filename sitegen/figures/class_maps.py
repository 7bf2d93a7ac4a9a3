"""One map per class (steps 4 and 5): a grid of heatmaps in the PNG, a class picker in the figure.

Both steps show per-class maps on one shared colour scale so classes can be compared; the
interactive figure shows one class at a time (a dropdown switches the picture) while hovering a
pixel lists the values of every class there. The maps come as a function of pixel rows and
columns (``ClassScores.similarities_at``/``probabilities_at``): only the pixels shown are computed.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sitegen.figures.canvas import ColourBar, Panel, compose
from sitegen.figures.hover import hover_grid, hover_trace
from sitegen.figures.overlay import VIRIDIS, Frame, heatmap
from sitegen.figures.palette import Palette
from sitegen.figures.picture_assets import heatmap_png
from sitegen.figures.plotly_json import figure_json, plotly_names, rounded
from sitegen.figures.plotly_layout import (
    colour_bar_trace,
    dropdown,
    image_layout,
    image_visibility,
    layout_image,
)
from sitegen.figures.views import class_strip, grid_columns, panel_frame
from sitegen.records import PipelineResult

#: Total pixels across all class assets of one figure (keeps 30 classes as light as 3).
ASSET_PIXEL_BUDGET = 500_000
#: (rows, cols) -> (len(rows), len(cols), C) per-class values at those image pixels.
ClassMaps = Callable[[np.ndarray, np.ndarray], np.ndarray]


def class_maps_png(
    title: str,
    result: PipelineResult,
    palette: Palette,
    maps: ClassMaps,
    value_range: tuple[float, float],
    colour_bar: ColourBar,
    captions: list[str],
) -> bytes:
    """A grid of per-class heatmaps, each topped by its class colour, with one colour bar."""
    height, width, classes = result.image.height, result.image.width, len(result.vocabulary)
    columns = grid_columns(classes, height, width)
    shown = maps(*panel_frame(height, width, columns).pixels())
    panels = [
        Panel(class_strip(heatmap(shown[..., c], *value_range), palette.colour(c)), captions[c])
        for c in range(classes)
    ]
    return compose(
        title, panels, columns=columns, colour_bar=colour_bar, random_weights=result.models.random_weights
    )


def class_maps_figure(
    title: str,
    result: PipelineResult,
    maps: ClassMaps,
    value_range: tuple[float, float],
    value_label: str,
    asset_prefix: str,
) -> tuple[dict, dict[str, bytes]]:
    """Per-class heatmap assets switched by a dropdown, a colour bar, hover with all classes."""
    height, width, classes = result.image.height, result.image.width, len(result.vocabulary)
    names = plotly_names(result.vocabulary)
    max_side = int(np.clip(np.sqrt(ASSET_PIXEL_BUDGET / classes), 96, 320))
    shown = maps(*Frame.fit(height, width, max_side, max_side).pixels())
    assets = {f"{asset_prefix}_{c}": heatmap_png(shown[..., c], *value_range) for c in range(classes)}
    layout = {
        **image_layout(width, height, title),
        "images": [layout_image(f"{asset_prefix}_{c}", width, height, visible=c == 0) for c in range(classes)],
        "updatemenus": [
            dropdown(
                [f"Show: {n}" for n in names],
                [[image_visibility(classes, c)] for c in range(classes)],
                title="class",
            )
        ],
    }
    grid = hover_grid(height, width, classes)
    lines = "<br>".join(f"{name}: %{{customdata[{c}]:.3f}}" for c, name in enumerate(names))
    data = [
        hover_trace(grid, rounded(maps(*grid.pixels())), f"x %{{x:.1f}}, y %{{y:.1f}}<br>{lines}"),
        colour_bar_trace(value_range[0], value_range[1], value_label),
    ]
    return figure_json({"data": data, "layout": layout}), assets


def viridis_bar(
    label: str, value_range: tuple[float, float], marks: tuple[tuple[float, str], ...] = ()
) -> ColourBar:
    return ColourBar(label, value_range[0], value_range[1], VIRIDIS, marks)
