"""One map per class (steps 4 and 5): a grid of heatmaps in the PNG, a class picker in the figure.

Both steps show per-class maps on one shared colour scale so classes can be compared; the
interactive figure shows one class at a time (a dropdown switches the picture) while hovering a
pixel lists the values of every class there. The maps come as a function of pixel rows and
columns (``ClassScores.similarities_at``/``probabilities_at``): only the pixels shown are computed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from sitegen.figures.canvas import ColourBar, Panel, compose
from sitegen.figures.hover import HoverGrid, hover_grid, hover_trace
from sitegen.figures.overlay import VIRIDIS, Frame, heatmap, plotly_colourscale
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

#: Total pixels across all class assets of one figure (keeps 30 classes as light as 3). SCLIP's
#: maps change at the scale of its patches, 28 across a 4:3 photo at --short-side 336: even 21
#: classes' 109 px across keep about four pixels a patch, and the browser smooths the rest.
ASSET_PIXEL_BUDGET = 250_000
#: Bytes of the all-class layer (one uint8 per class and cell): 171 classes get about 580 cells.
ALL_CLASS_BUDGET = 100_000
#: (rows, cols) -> (len(rows), len(cols), C) per-class values at those image pixels.
ClassMaps = Callable[[np.ndarray, np.ndarray], np.ndarray]


def class_map_frame(height: int, width: int, classes: int) -> Frame:
    """The size of each of ``classes`` class-map assets of a figure (``ASSET_PIXEL_BUDGET`` in all).

    Per-class details draw their class's map at this size too, so the two share one file.
    """
    max_side = int(np.clip(np.sqrt(ASSET_PIXEL_BUDGET / max(1, classes)), 96, 320))
    return Frame.fit(height, width, max_side, max_side)


def class_maps_png(
    title: str,
    result: PipelineResult,
    palette: Palette,
    maps: ClassMaps,
    value_range: tuple[float, float],
    colour_bar: ColourBar,
    captions: list[str],
    classes: Sequence[int],
) -> bytes:
    """A grid of heatmaps of ``classes``, each topped by its class colour, with one colour bar.

    ``captions`` has one entry per class of the vocabulary.
    """
    height, width = result.image.height, result.image.width
    columns = grid_columns(len(classes), height, width)
    shown = maps(*panel_frame(height, width, columns).pixels())
    panels = [
        Panel(class_strip(heatmap(shown[..., c], *value_range), palette.colour(c)), captions[c]) for c in classes
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
    classes: Sequence[int],
    any_class: bool = False,
) -> tuple[dict, dict[str, bytes]]:
    """Heatmap assets of ``classes`` switched by a dropdown, a colour bar, hover with their values.

    With ``any_class`` and fewer ``classes`` than the vocabulary, the dropdown offers every other
    class too, drawn from an all-class layer: each class's values quantised to 256 levels of
    ``value_range`` on a coarse grid (``ALL_CLASS_BUDGET`` bytes in all), carried in the buttons.
    """
    height, width, total = result.image.height, result.image.width, len(result.vocabulary)
    names = plotly_names(result.vocabulary)
    classes = list(classes)
    shown = maps(*class_map_frame(height, width, len(classes)).pixels())
    assets = {f"{asset_prefix}_{c}": heatmap_png(shown[..., c], *value_range) for c in classes}
    grid = hover_grid(height, width, max(1, len(classes)))
    lines = "<br>".join(f"{names[c]}: %{{customdata[{i}]:.3f}}" for i, c in enumerate(classes))
    values = maps(*grid.pixels())[..., classes]
    data = [
        hover_trace(grid, rounded(values), f"x %{{x:.1f}}, y %{{y:.1f}}<br>{lines}"),
        colour_bar_trace(value_range[0], value_range[1], value_label),
    ]
    images = [layout_image(f"{asset_prefix}_{c}", width, height, visible=i == 0) for i, c in enumerate(classes)]
    others = [c for c in range(total) if c not in classes] if any_class else []
    if not others:
        buttons = [[image_visibility(len(classes), i)] for i in range(len(classes))]
        menu = dropdown([f"Show: {names[c]}" for c in classes], buttons, title="class")
    else:
        layer = any_class_layer(result, maps, value_range, value_label)
        data.append(layer.trace)
        hide_layer = {"visible": [False]}
        buttons = [[hide_layer, image_visibility(len(classes), i), [len(data) - 1]] for i in range(len(classes))]
        buttons += [
            [{"visible": [True], "z": [layer.levels[..., c]], "meta": [names[c]]}, image_visibility(len(classes), -1), [len(data) - 1]]
            for c in others
        ]
        labels = [f"Show: {names[c]}" for c in classes] + [f"Show: {names[c]} (coarse)" for c in others]
        menu = dropdown(labels, buttons, method="update", title="class")
    layout = {**image_layout(width, height, title), "images": images, "updatemenus": [menu]}
    return figure_json({"data": data, "layout": layout}), assets


@dataclass(frozen=True)
class AnyClassLayer:
    """Every class's values on a coarse grid, quantised, and the hidden heatmap that shows one.

    Attributes
    ----------
    levels : ndarray of shape (R, K, C), dtype uint8
        ``round(255 * (value - low) / (high - low))`` of each class at each cell.
    trace : dict
        A hidden viridis heatmap over the image; a dropdown button sets its ``z`` to one class.
    """

    levels: np.ndarray
    trace: dict


def any_class_layer(
    result: PipelineResult, maps: ClassMaps, value_range: tuple[float, float], value_label: str
) -> AnyClassLayer:
    """The all-class layer of a class-map figure (see ``class_maps_figure``)."""
    height, width, total = result.image.height, result.image.width, len(result.vocabulary)
    scale = min(1.0, np.sqrt(ALL_CLASS_BUDGET / (total * height * width)))
    grid = HoverGrid((height, width), (max(1, int(height * scale)), max(1, int(width * scale))))
    low, high = value_range
    levels = np.round(255 * np.clip((maps(*grid.pixels()) - low) / ((high - low) or 1.0), 0, 1)).astype(np.uint8)
    trace = {
        "type": "heatmap",
        "z": levels[..., 0],
        "zmin": 0,
        "zmax": 255,
        "colorscale": plotly_colourscale(),
        "showscale": False,
        "visible": False,
        "meta": plotly_names(result.vocabulary)[0],
        "hovertemplate": f"x %{{x:.0f}}, y %{{y:.0f}}<br>%{{meta}}: {value_label} level %{{z}} of 255 "
        f"({low:g} to {high:g})<extra></extra>",
        **grid.placement(),
    }
    return AnyClassLayer(levels, trace)


def viridis_bar(
    label: str, value_range: tuple[float, float], marks: tuple[tuple[float, str], ...] = ()
) -> ColourBar:
    return ColourBar(label, value_range[0], value_range[1], VIRIDIS, marks)
