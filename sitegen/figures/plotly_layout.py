"""Plotly kit: layouts, shapes, markers and menus of the light interactive figures.

Figures are plain dicts in Plotly's JSON schema (serialised by ``plotly_json.figure_json``) laid
out over pictures that travel as separate PNG assets (``picture_assets``). Budget rules that
keep a 1024 px image's figure small:

* pictures are ``layout.images`` of ``"asset:<name>"`` sources, never pixel arrays
  (``picture_assets``);
* hover data sits on transparent heatmaps of a coarse grid (``hover``);
* class layers are SVG path shapes traced from masks at most ``outlines.PATH_MAX_SIDE`` cells
  across, coarsened until a figure's paths fit ``outlines.PATH_BUDGET`` characters. Shapes
  carry a legend entry, so a legend click toggles a class and a double-click isolates it.
"""

from __future__ import annotations

import numpy as np

from sitegen.figures.outlines import class_paths
from sitegen.figures.overlay import plotly_colourscale
from sitegen.figures.palette import Palette
from sitegen.figures.picture_assets import PHOTO_ASSET, photo_asset
from sitegen.figures.plotly_json import rounded
from sitegen.records import PipelineResult


#: Figures are laid out for pictures this many px across, with this much room for the rest.
DESIGN_WIDTH = 760
FRAME_HEIGHT = 170
FONT = {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "size": 13}
#: ``layout.template`` of every figure: what plotly.py writes for an explicitly empty template.
#: Plotly.js finds no defaults in it, and a figure loaded back into plotly.py does not get
#: plotly.py's default template (which an absent or ``{}`` template would).
NO_TEMPLATE = {"data": {"scatter": [{"type": "scatter"}]}}


def panel_title(text: str, axes: str = "") -> dict:
    """An annotation centred above the subplot of axes ``x{axes}``/``y{axes}`` (its title)."""
    return {
        "text": text,
        "xref": f"x{axes} domain",
        "yref": f"y{axes} domain",
        "x": 0.5,
        "y": 1.0,
        "yanchor": "bottom",
        "showarrow": False,
    }


def image_layout(width: int, height: int, title: str) -> dict:
    """Axes in image pixels (y down, square pixels), a wrapping legend below, no template."""
    axis = {"showgrid": False, "zeroline": False, "ticks": "outside", "constrain": "domain"}
    return {
        "template": NO_TEMPLATE,
        "title": {"text": title, "x": 0.01, "xanchor": "left"},
        "font": FONT,
        "xaxis": {**axis, "range": [0, width], "title": {"text": "x (px)"}},
        "yaxis": {
            **axis,
            "range": [height, 0],
            "scaleanchor": "x",
            "scaleratio": 1,
            "title": {"text": "y (px)"},
        },
        **figure_size(width, height),
        "margin": {"l": 60, "r": 20, "t": 60, "b": 50},
        "hovermode": "closest",
        "legend": {"orientation": "h", "yanchor": "top", "y": -0.12, "x": 0, "itemclick": "toggle"},
        "plot_bgcolor": "white",
        "paper_bgcolor": "white",
    }


def figure_size(width: int, height: int, columns: int = 1, rows: int = 1, extra: int = 0) -> dict:
    """Layout entries sizing a figure of ``rows x columns`` images of ``width x height`` px.

    ``height``: the pictures at about ``DESIGN_WIDTH`` px across (between 260 and 760 px high),
    plus ``FRAME_HEIGHT + extra`` px for the title, axes and legend. ``meta.picture_height``
    tells the page which part of that is pictures: on a narrower screen sitegen.js shrinks that
    part in proportion (the pictures keep their aspect, so the rest would be empty space).
    """
    aspect = (height * rows) / (width * columns)
    pictures = int(np.clip(DESIGN_WIDTH * aspect, 260, 760))
    return {
        "height": pictures + FRAME_HEIGHT + extra,
        "meta": {"picture_height": pictures, "design_width": DESIGN_WIDTH},
    }


def linked_panels_layout(
    title: str, width: int, height: int, titles: list[str], columns: int, top_margin: int = 70
) -> dict:
    """The layout of a grid of image panels whose zoom and pan are linked, one per title.

    Panels fill the grid row by row; axis suffixes are ``""``, ``"2"``, ... in that order. The
    first panel keeps square pixels (``scaleanchor``); the others match its axes (Plotly ignores
    a scaleanchor on a matching axis), so a zoom keeps the same centre and scale in every panel.
    The caller adds ``images`` and traces; ``top_margin`` leaves room for a menu above.
    """
    rows = -(-len(titles) // columns)
    gap = 0.04
    axis = {"showgrid": False, "zeroline": False, "ticks": "outside", "constrain": "domain"}
    layout: dict = {
        "template": NO_TEMPLATE,
        "font": FONT,
        "title": {"text": title, "x": 0.01, "xanchor": "left"},
        **figure_size(width, height, columns=columns, rows=rows),
        "margin": {"l": 50, "r": 20, "t": top_margin, "b": 40},
        "showlegend": False,
        "hovermode": "closest",
        "plot_bgcolor": "white",
        "images": [],
        "annotations": [],
    }
    for i, text in enumerate(titles):
        suffix = "" if i == 0 else str(i + 1)
        x0 = (i % columns) / columns
        y1 = 1.0 - (i // columns) / rows
        layout[f"xaxis{suffix}"] = {
            **axis,
            "domain": [x0, x0 + 1.0 / columns - gap],
            "range": [0, width],
            "anchor": f"y{suffix}",
            **({"matches": "x"} if suffix else {}),
        }
        layout[f"yaxis{suffix}"] = {
            **axis,
            "domain": [max(0.0, y1 - 1.0 / rows + gap), y1 - gap],
            "range": [height, 0],
            "anchor": f"x{suffix}",
            **({"matches": "y"} if suffix else {"scaleanchor": "x"}),
        }
        layout["annotations"].append(panel_title(text, suffix))
    return layout


def layout_image(
    name: str, width: int, height: int, *, axes: str = "", visible: bool = True, opacity: float = 1.0
) -> dict:
    """A ``layout.images`` entry stretching asset ``name`` over the image's pixel extent.

    ``axes`` is the subplot suffix ("" for x/y, "2" for x2/y2, ...).
    """
    return {
        "source": f"asset:{name}",
        "xref": f"x{axes}",
        "yref": f"y{axes}",
        "x": 0,
        "y": 0,
        "sizex": width,
        "sizey": height,
        "xanchor": "left",
        "yanchor": "top",
        "sizing": "stretch",
        "layer": "below",
        "opacity": opacity,
        "visible": visible,
    }


def class_shapes(
    masks: list[tuple[int, np.ndarray]],
    palette: Palette,
    names: list[str],
    *,
    opacity: float = 0.5,
    axes: str = "",
) -> list[dict]:
    """One filled path shape per non-empty class mask, with a legend entry named after the class.

    Parameters
    ----------
    masks : list of (int, ndarray of shape (H, W), dtype bool)
        Class index and its mask.
    names : list of str
        Class names by index (the legend labels and groups).
    """
    paths = class_paths([mask for _, mask in masks])
    return path_shapes([(index, path) for (index, _), path in zip(masks, paths)], palette, names, opacity, axes)


def path_shapes(
    paths: list[tuple[int, str]], palette: Palette, names: list[str], opacity: float = 0.5, axes: str = ""
) -> list[dict]:
    """``class_shapes`` of outlines already traced: (class index, SVG path) pairs, "" for none."""
    return [
        {
            "type": "path",
            "path": path,
            "xref": f"x{axes}",
            "yref": f"y{axes}",
            "fillcolor": palette.hex(index),
            "fillrule": "evenodd",
            "line": {"color": palette.hex(index), "width": 1},
            "opacity": opacity,
            "layer": "between",  # over the pictures, under the points and hover
            "name": names[index],
            "legendgroup": names[index],
            "showlegend": True,
        }
        for index, path in paths
        if path
    ]


def outline_shape(
    path: str, colour: str, *, name: str, dash: str = "solid", axes: str = "", legend: bool = True
) -> dict:
    """An unfilled path shape (kept or dropped regions, suppressed masks)."""
    return {
        "type": "path",
        "path": path,
        "xref": f"x{axes}",
        "yref": f"y{axes}",
        "line": {"color": colour, "width": 2, "dash": dash},
        "layer": "above",
        "name": name,
        "legendgroup": name,
        "showlegend": legend,
    }


def points_trace(
    xy: np.ndarray,
    *,
    name: str,
    colour: str,
    symbol: str,
    customdata: list,
    hovertemplate: str,
    group: str | None = None,
    size: int = 11,
    line_colour: str = "white",
    showlegend: bool = True,
) -> dict:
    """Point prompts as markers at pixel centres; ``group`` ties them to a class's legend entry."""
    xy = np.asarray(xy, float).reshape(-1, 2)
    return {
        "type": "scatter",
        "x": rounded(xy[:, 0] + 0.5, 1),
        "y": rounded(xy[:, 1] + 0.5, 1),
        "mode": "markers",
        "name": name,
        "legendgroup": group or name,
        "showlegend": showlegend,
        "marker": {
            "color": colour,
            "symbol": symbol,
            "size": size,
            "line": {"color": line_colour, "width": 1.5},
        },
        "customdata": customdata,
        "hovertemplate": hovertemplate + "<extra></extra>",
    }


def colour_bar_trace(vmin: float, vmax: float, title: str) -> dict:
    """A trace that draws nothing but a viridis colour bar from ``vmin`` to ``vmax``."""
    return {
        "type": "scatter",
        "x": [None],
        "y": [None],
        "mode": "markers",
        "showlegend": False,
        "hoverinfo": "skip",
        "marker": {
            "color": [vmin],
            "cmin": vmin,
            "cmax": vmax,
            "colorscale": plotly_colourscale(),
            "showscale": True,
            "colorbar": {"title": {"text": title}, "thickness": 14, "len": 0.8},
        },
    }


def dropdown(
    labels: list[str], args: list[list], *, active: int = 0, method: str = "relayout", title: str = ""
) -> dict:
    """An ``updatemenus`` dropdown above the plot; button i applies ``args[i]`` with ``method``.

    It starts at the plot's left edge and may reach into the right margin: anchored on the right,
    a menu wider than a phone's plot would push the plot off the page.
    """
    return {
        "type": "dropdown",
        "direction": "down",
        "active": active,
        "x": 0.0,
        "xanchor": "left",
        "y": 1.02,
        "yanchor": "bottom",
        "showactive": True,
        "buttons": [{"label": label, "method": method, "args": a} for label, a in zip(labels, args)],
        "pad": {"r": 4, "t": 4},
        "name": title,
    }


def image_visibility(count: int, shown: int, offset: int = 0) -> dict:
    """relayout arguments that show layout image ``offset + shown`` and hide its ``count - 1`` siblings."""
    return {f"images[{offset + i}].visible": i == shown for i in range(count)}


def photo_figure(result: PipelineResult, title: str) -> tuple[dict, dict[str, bytes]]:
    """A figure showing the raw photo in image pixel axes, and its assets.

    Add traces to ``figure["data"]`` and layout items with ``add_to_layout``.
    """
    width, height = result.image.width, result.image.height
    layout = {**image_layout(width, height, title), "images": [layout_image(PHOTO_ASSET, width, height)]}
    return {"data": [], "layout": layout}, {PHOTO_ASSET: photo_asset(result.image.rgb)}
