"""Plotly kit: light interactive figures over pictures that travel as separate PNG assets.

Figures are plain dicts in Plotly's JSON schema (``{"data": [{"type": "heatmap", ...}],
"layout": {...}}``), written out by ``figure_json``; plotly.py is not imported here.

Budget rules that keep a 1024 px image's figure small:

* pictures are never pixel arrays in the figure: they are ``layout.images`` whose source is
  ``"asset:<name>"``, a key of the step's assets (the site writer saves the PNG and swaps in its
  URL; Plotly's image trace would read pixels through a canvas, which file:// pages may not do);
* hover data sits on transparent heatmaps of at most 64 cells on the long side and at most
  ``HOVER_VALUE_BUDGET`` numbers, sampled at each cell's centre pixel, rounded to 3 decimals;
  labelled areas (classes, regions, masks) get one small heatmap each whose text travels once;
* class layers are SVG path shapes traced from masks at most ``PATH_MAX_SIDE`` cells across,
  coarsened until a figure's paths fit ``PATH_BUDGET`` characters. Shapes carry a legend entry,
  so a legend click toggles a class and a double-click isolates it.

The raw photo is the same asset (``PHOTO_ASSET``, same bytes) in every figure of an image.
"""

from __future__ import annotations

import base64
import functools
import io
import json
import re
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from sitegen.figures.outlines import outline_corners
from sitegen.figures.png import encode_png
from sitegen.figures.overlay import VIRIDIS, Frame, plotly_colourscale
from sitegen.figures.palette import Palette
from sitegen.records import PipelineResult

PHOTO_ASSET = "photo"
ASSET_MAX_SIDE = 800
HOVER_LONG_SIDE = 64
HOVER_VALUE_BUDGET = 8_192
#: Figures are laid out for pictures this many px across, with this much room for the rest.
DESIGN_WIDTH = 760
FRAME_HEIGHT = 170
PATH_MAX_SIDE = 256
MIN_PATH_SIDE = 32
PATH_BUDGET = 40_000
#: Rough JSON characters of hover data, to pick the lighter hover layout.
CELL_CHARS = 5.4  # one float32 cell in base64
VALUE_CHARS = 7  # one rounded number in customdata
TRACE_CHARS = 300  # a hover trace's fixed attributes
TRANSPARENT = [[0, "rgba(0,0,0,0)"], [1, "rgba(0,0,0,0)"]]
FONT = {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "size": 13}
#: ``layout.template`` of every figure: what plotly.py writes for an explicitly empty template.
#: Plotly.js finds no defaults in it, and a figure loaded back into plotly.py does not get
#: plotly.py's default template (which an absent or ``{}`` template would).
NO_TEMPLATE = {"data": {"scatter": [{"type": "scatter"}]}}
#: Plotly.js typed-array codes of the numpy dtypes it decodes (plotly.py's ``plotlyjsShortTypes``).
TYPED_ARRAY_CODES = {
    "int8": "i1",
    "uint8": "u1",
    "int16": "i2",
    "uint16": "u2",
    "int32": "i4",
    "uint32": "u4",
    "float32": "f4",
    "float64": "f8",
}


def figure_json(figure: dict) -> dict:
    """The figure as plain JSON data (what the site embeds), its stacked pictures kept apart.

    Figures are built as plain dicts (``{"data": [{"type": "heatmap", ...}], "layout": {...}}``)
    and serialised here by the json module: plotly.py's graph objects validated every value and
    deep-copied the figure, which took 1.1 s of the 2.5 s an image's 18 steps took. Numpy arrays
    become base64 typed arrays (``typed_array``), numpy scalars numbers, NaN ``null``: the JSON
    plotly.py writes. Put arrays only where Plotly.js reads data arrays (trace attributes such as
    ``z``); the tests check every figure with ``go.Figure``.
    """
    text = json.dumps(figure, default=_plain, separators=(",", ":"))
    data = json.loads(text, parse_constant=lambda _: None)  # NaN and infinities as null
    images = data.get("layout", {}).get("images")
    if images:
        data["layout"]["images"] = separate_stacked_images(images)
    return data


def _plain(value):
    """JSON form of the numpy values ``json`` does not know."""
    if isinstance(value, np.ndarray):
        return typed_array(value)
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def typed_array(array: np.ndarray) -> dict | list:
    """Plotly.js's typed-array spec of an array, as plotly.py >= 6 writes it (a third of a list's bytes).

    ``{"dtype": "f4", "bdata": <base64>, "shape": "R, K"}``; 64-bit integers are narrowed to the
    smallest type that holds them, and arrays Plotly.js cannot decode go as nested lists.
    """
    if array.size and array.dtype in (np.int64, np.uint64):
        low, high = array.min(), array.max()
        kinds = ("int8", "int16", "int32") if array.dtype == np.int64 else ("uint8", "uint16", "uint32")
        narrow = next((k for k in kinds if np.iinfo(k).min <= low and high <= np.iinfo(k).max), None)
        array = array.astype(narrow) if narrow else array
    code = TYPED_ARRAY_CODES.get(str(array.dtype))
    if not array.size or code is None:
        return array.tolist()
    spec = {"dtype": code, "bdata": base64.b64encode(np.ascontiguousarray(array)).decode("ascii")}
    if array.ndim > 1:
        spec["shape"] = str(array.shape)[1:-1]
    return spec


def separate_stacked_images(images: list[dict]) -> list[dict]:
    """Nudge layout images that share a placement by a thousandth of a pixel each.

    Plotly.js tells layout images apart by (xref, x, sizex, yref, y, sizey) and draws only one of
    several with the same placement, so a layer over the photo would silently vanish.
    """
    seen: dict[tuple, int] = {}
    separated = []
    for image in images:
        key = tuple(image.get(k) for k in ("xref", "x", "sizex", "yref", "y", "sizey"))
        repeat = seen.get(key, 0)
        seen[key] = repeat + 1
        separated.append({**image, "x": image["x"] - 0.001 * repeat} if repeat else image)
    return separated


def rounded(values: np.ndarray, decimals: int = 3) -> list:
    """Nested lists of floats rounded to ``decimals`` (how numbers go into figures)."""
    return np.round(np.asarray(values, np.float64), decimals).tolist()


def asset_frame(height: int, width: int) -> Frame:
    """Asset size: shrunk to ``ASSET_MAX_SIDE``, tiny images enlarged (browsers blur stretched pixels)."""
    return Frame.fit(height, width, ASSET_MAX_SIDE, ASSET_MAX_SIDE)


def remember_last(function):
    """Decorator: ``function(key, *args)`` computed once for the last ``key`` (by identity) and ``args``.

    Steps render one image after another, and several of them need the same thing made from it
    (the photo asset, the kept regions' outlines). ``key`` is an array or record of that image,
    held weakly, so nothing is kept past its image; a new key forgets the old values. Steps of
    one image render in parallel threads, so callers take turns: the second waits for the first's
    value instead of computing it again.
    """
    owner = None
    values: dict = {}
    lock = threading.Lock()

    @functools.wraps(function)
    def remembered(key, *args):
        nonlocal owner, values
        with lock:
            if owner is None or owner() is not key:
                owner, values = weakref.ref(key), {}
            if args not in values:
                values[args] = function(key, *args)
            return values[args]

    return remembered


@remember_last
def photo_asset(rgb: np.ndarray) -> bytes:
    """The photo as a PNG asset: at most ``ASSET_MAX_SIDE`` px and 256 colours (a third the bytes).

    Encoded once per image (15 figures of an image show it; 10 ms each for a 512 px photo).
    """
    frame = asset_frame(*rgb.shape[:2])
    quantised = Image.fromarray(frame.photo(rgb)).quantize(256, method=Image.Quantize.FASTOCTREE)
    buffer = io.BytesIO()
    quantised.save(buffer, format="PNG")
    return buffer.getvalue()


def layer_frame(height: int, width: int, max_side: int = 400) -> Frame:
    """The size of a picture layer asset (label colours, masks, thresholds) of an image.

    Sample a layer's inputs to this frame and build the layer there, not at full resolution:
    that is all the browser gets, and nearest neighbour keeps label colours exact. Then
    ``encode_indexed`` gives the PNG an 8-bit palette (several times smaller).
    """
    return Frame.fit(height, width, max_side, max_side)


def encode_indexed(image: np.ndarray) -> bytes:
    """PNG of an (H, W, 3 or 4) uint8 array, palette-based when it has at most 256 colours."""
    channels = image.shape[2]
    packed = np.zeros(image.shape[:2], np.uint32)
    for c in range(channels):
        packed = (packed << 8) | image[..., c]
    codes, index = np.unique(packed.ravel(), return_inverse=True)
    if len(codes) > 256:
        return encode_png(image)
    colours = np.stack([(codes >> (8 * (channels - 1 - c))) & 255 for c in range(channels)], axis=1).astype(
        np.uint8
    )
    picture = Image.fromarray(index.reshape(image.shape[:2]).astype(np.uint8), mode="P")
    picture.putpalette(colours[:, :3].tobytes())
    buffer = io.BytesIO()
    options = {"transparency": colours[:, 3].tobytes()} if channels == 4 else {}
    picture.save(buffer, format="PNG", **options)
    return buffer.getvalue()


#: Heatmap assets' longest side: maps are smooth (SCLIP works on 16 px patches).
HEATMAP_SIDE = 320


def heatmap_asset(values: np.ndarray, vmin: float, vmax: float, max_side: int = HEATMAP_SIDE) -> bytes:
    """An (H, W) float map as a viridis PNG asset with an 8-bit palette (a quarter of RGB's bytes).

    Maps are smooth (SCLIP works on 16 px patches), so 320 px across loses little.
    """
    frame = Frame.fit(values.shape[0], values.shape[1], max_side, max_side)
    return heatmap_png(frame.sample(values), vmin, vmax)


def heatmap_png(values: np.ndarray, vmin: float, vmax: float) -> bytes:
    """An (h, w) float map, already at its display size, as a viridis PNG with an 8-bit palette."""
    index = np.clip((values - vmin) / ((vmax - vmin) or 1.0), 0, 1) * (len(VIRIDIS) - 1)
    image = Image.fromarray(np.round(index).astype(np.uint8), mode="P")
    image.putpalette(VIRIDIS.tobytes())
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


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


@dataclass(frozen=True)
class HoverGrid:
    """A coarse grid of hover cells over an image of ``shape`` (height, width).

    Cell (i, j) spans an equal share of the image; its values are sampled at the pixel under the
    cell's centre.
    """

    shape: tuple[int, int]
    cells: tuple[int, int]  # (rows, cols)

    @property
    def step(self) -> tuple[float, float]:
        """(dx, dy): cell size in image pixels."""
        return self.shape[1] / self.cells[1], self.shape[0] / self.cells[0]

    def pixels(self) -> tuple[np.ndarray, np.ndarray]:
        """The image rows and columns under the cell centres."""
        dx, dy = self.step
        return ((np.arange(self.cells[0]) + 0.5) * dy).astype(int), ((np.arange(self.cells[1]) + 0.5) * dx).astype(int)

    def sample(self, array: np.ndarray) -> np.ndarray:
        """(R, K, ...) values of an (H, W, ...) array at the cell centres."""
        rows, cols = self.pixels()
        return array[rows][:, cols]

    def placement(self, row0: int = 0, col0: int = 0, axes: str = "") -> dict:
        """Heatmap arguments that put cell (row0, col0) of a crop at its place on the image."""
        dx, dy = self.step
        return {
            "x0": (col0 + 0.5) * dx,
            "dx": dx,
            "y0": (row0 + 0.5) * dy,
            "dy": dy,
            "xaxis": f"x{axes}",
            "yaxis": f"y{axes}",
        }


def hover_grid(height: int, width: int, values_per_cell: int) -> HoverGrid:
    """At most 64 cells on the long side and ``HOVER_VALUE_BUDGET`` values in all."""
    scale = min(
        1.0,
        HOVER_LONG_SIDE / max(height, width),
        np.sqrt(HOVER_VALUE_BUDGET / (values_per_cell * height * width)),
    )
    return HoverGrid((height, width), (max(1, int(height * scale)), max(1, int(width * scale))))


def hover_trace(grid: HoverGrid, customdata: list, hovertemplate: str, *, axes: str = "") -> dict:
    """A transparent heatmap over the whole grid that only shows hover labels.

    ``customdata`` is nested lists of shape (R, K, V); ``hovertemplate`` reads
    ``%{customdata[i]}`` and ``%{x}``, ``%{y}`` (the cell's centre in image pixels).
    """
    return {
        "type": "heatmap",
        "z": np.zeros(grid.cells, np.uint8),  # travels as 1 byte per cell
        "customdata": customdata,
        "hovertemplate": hovertemplate + "<extra></extra>",
        "colorscale": TRANSPARENT,
        "showscale": False,
        "showlegend": False,
        **grid.placement(axes=axes),
    }


def labelled_hover(grid: HoverGrid, labels: np.ndarray, texts: dict[int, str], **options) -> list[dict]:
    """``labelled_cells`` of an (H, W) int label map sampled at the grid's cell centres."""
    return labelled_cells(grid, grid.sample(labels), texts, **options)


def labelled_cells(
    grid: HoverGrid,
    cells: np.ndarray,
    texts: dict[int, str],
    *,
    groups: dict[int, str] | None = None,
    values: np.ndarray | None = None,
    prefix: str = "",
    value_template: str = "",
    axes: str = "",
) -> list[dict]:
    """Hover texts for the labelled cells of a grid, each label in whichever layout is lighter.

    * a transparent heatmap of its own over the label's bounding box, its text sent once: light
      for compact labels (regions, masks); ``groups`` ties each to a legend group, so hiding a
      class in the legend hides its hover too;
    * one heatmap shared by the other labels, over their joint bounding box, with each cell's
      text in ``customdata``: light for scattered labels (the classes of a noisy argmax), whose
      bounding boxes would be mostly empty.

    Every label first takes the lighter of the two for itself; if the shared heatmap's empty
    cells then cost more than it saves, the cheaper of "all on their own" and "all shared" wins.
    Cells whose label has no text (say 0 = nothing) get no hover.

    Parameters
    ----------
    cells : ndarray of shape (R, K), dtype int
        The label of each grid cell.
    texts : dict of int to str
        Plain hover text of each label (``<br>`` breaks lines; no ``%{...}`` placeholders).
    values : ndarray of shape (R, K, V), optional
        Per-cell numbers that ``value_template`` reads as ``%{customdata[i]}``.
    prefix : str
        Template before the text (may read ``%{x}``, ``%{y}``).
    """
    present = [label for label in np.unique(cells).tolist() if label in texts]
    value_chars = 0 if values is None else values.shape[2] * VALUE_CHARS
    sizes = {label: int((cells == label).sum()) for label in present}
    boxes = {label: _bounding_box(cells == label) for label in present}

    def own_cost(label: int) -> float:
        r0, r1, c0, c1 = boxes[label]
        return (r1 - r0) * (c1 - c0) * (CELL_CHARS + value_chars) + TRACE_CHARS + len(texts[label])

    def shared_cost(labels: list[int]) -> float:
        if not labels:
            return 0.0
        r0, r1, c0, c1 = _bounding_box(np.isin(cells, labels))
        filled = sum(sizes[label] * len(texts[label]) for label in labels)
        return (r1 - r0) * (c1 - c0) * (CELL_CHARS + value_chars + 4) + filled + TRACE_CHARS

    alone = [label for label in present if own_cost(label) <= sizes[label] * (len(texts[label]) + value_chars + 4)]
    choices = [alone, present, []]
    costs = [
        sum(map(own_cost, own)) + shared_cost([label for label in present if label not in own]) for own in choices
    ]
    own_labels = choices[int(np.argmin(costs))]
    shared_labels = [label for label in present if label not in own_labels]

    common = {
        "type": "heatmap",
        "hoverongaps": False,
        "colorscale": TRANSPARENT,
        "showscale": False,
        "showlegend": False,
    }
    groups = groups or {}
    traces = []
    for label in own_labels:
        r0, r1, c0, c1 = boxes[label]
        trace = {
            "z": np.where(cells[r0:r1, c0:c1] == label, 1.0, np.nan).astype(np.float32),
            "hovertemplate": prefix + texts[label] + value_template + "<extra></extra>",
            **common,
            **grid.placement(r0, c0, axes),
        }
        if values is not None:
            trace["customdata"] = rounded(values[r0:r1, c0:c1])
        if label in groups:
            trace["legendgroup"] = groups[label]
        traces.append(trace)
    if shared_labels:
        r0, r1, c0, c1 = _bounding_box(np.isin(cells, shared_labels))
        crop = cells[r0:r1, c0:c1]
        numbers = np.zeros(crop.shape + (0,)) if values is None else values[r0:r1, c0:c1]
        shown = {label: texts[label] for label in shared_labels}
        data = [
            [[*cell_values, shown.get(label, "")] for label, cell_values in zip(row, value_row)]
            for row, value_row in zip(crop.tolist(), rounded(numbers))
        ]
        traces.append(
            {
                "z": np.where(np.isin(crop, shared_labels), 1.0, np.nan).astype(np.float32),
                "customdata": data,
                "hovertemplate": prefix + f"%{{customdata[{numbers.shape[2]}]}}" + value_template + "<extra></extra>",
                **common,
                **grid.placement(r0, c0, axes),
            }
        )
    return traces


def _bounding_box(mask: np.ndarray) -> tuple[int, int, int, int]:
    """(row0, row1, col0, col1) of the True cells of a non-empty (R, K) mask, ends exclusive."""
    rows, cols = np.nonzero(mask)
    return int(rows.min()), int(rows.max()) + 1, int(cols.min()), int(cols.max()) + 1


def _block_counts(mask: np.ndarray, step: int) -> np.ndarray:
    """How many pixels of each ``step x step`` block are in the mask (edge blocks may be smaller).

    Adds every ``step``-th row, then every ``step``-th column, into small count arrays: no padded
    copy of the full-resolution mask, and ten times faster than ``np.add.reduceat`` at 512 px.
    """
    height, width = mask.shape
    rows = np.zeros((-(-height // step), width), np.int32)
    for offset in range(step):
        part = mask[offset::step]
        rows[: len(part)] += part
    counts = np.zeros((len(rows), -(-width // step)), np.int32)
    for offset in range(step):
        part = rows[:, offset::step]
        counts[:, : part.shape[1]] += part
    return counts


def mask_path(mask: np.ndarray, max_side: int = PATH_MAX_SIDE) -> str:
    """SVG path of the outline of an (H, W) bool mask in image pixel coordinates.

    Outlines (holes included) are traced at the half level on a grid of at most ``max_side``
    cells (a cell is in the mask when at least half its pixels are), reduced to their corners and
    joined so that with the even-odd fill rule holes stay empty. An empty mask gives "".
    """
    if not mask.any():
        return ""
    step = max(1, int(np.ceil(max(mask.shape) / max_side)))
    counts = mask if step == 1 else _block_counts(mask, step)
    small = 2 * counts >= step * step  # edge cells count as padded with pixels outside the mask
    if not small.any():  # a region smaller than half a cell still gets drawn
        small = counts > 0
    polygons = outline_corners(small)
    # Cell (r, c) covers pixels [r * step, (r + 1) * step): its centre is at ((c + 0.5) * step, ...).
    xs, ys = np.round((np.concatenate(polygons)[:, ::-1] + 0.5) * step, 1).T.tolist()
    points = list(map("{:g},{:g}".format, xs, ys))
    parts, start = [], 0
    for polygon in polygons:
        ring = points[start : start + len(polygon)]
        parts.append("M" + "L".join(ring) + "L" + ring[0] + "Z")
        start += len(polygon)
    return "".join(parts)


def class_paths(masks: Sequence[np.ndarray]) -> list[str]:
    """Paths of several masks, coarsened together until they fit ``PATH_BUDGET`` characters.

    Many masks start coarser (the grid side shrinks with the square root of their number), and
    a grid size is abandoned as soon as its paths overflow the budget.
    """
    max_side = int(min(PATH_MAX_SIDE, max(MIN_PATH_SIDE, 2 * PATH_MAX_SIDE / np.sqrt(max(1, len(masks))))))
    while True:
        paths: list[str] = []
        for mask in masks:
            paths.append(mask_path(mask, max_side))
            if sum(map(len, paths)) > PATH_BUDGET and max_side > MIN_PATH_SIDE:
                break
        else:
            return paths
        max_side = max(MIN_PATH_SIDE, max_side // 2)


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


def add_to_layout(figure: dict, key: str, items: list[dict]) -> None:
    """Append ``items`` to the layout list ``key`` (``shapes``, ``images``, ...), if there are any.

    No items, no key: the figure stays exactly what plotly.py used to write for it.
    """
    if items:
        figure["layout"].setdefault(key, []).extend(items)


def photo_figure(result: PipelineResult, title: str) -> tuple[dict, dict[str, bytes]]:
    """A figure showing the raw photo in image pixel axes, and its assets.

    Add traces to ``figure["data"]`` and layout items with ``add_to_layout``.
    """
    width, height = result.image.width, result.image.height
    layout = {**image_layout(width, height, title), "images": [layout_image(PHOTO_ASSET, width, height)]}
    return {"data": [], "layout": layout}, {PHOTO_ASSET: photo_asset(result.image.rgb)}


def relayout(layout: dict, changes: dict) -> None:
    """Apply ``Plotly.relayout`` changes such as ``{"shapes[0].line.color": "red"}`` to a layout dict.

    A figure whose buttons switch between states starts in the state of its first button: build
    that state from the same changes, so the two cannot differ.
    """
    for path, value in changes.items():
        keys = [int(k) if k.isdigit() else k for k in re.findall(r"[^.\[\]]+", path)]
        target = layout
        for key in keys[:-1]:
            target = target[key] if isinstance(key, int) else target.setdefault(key, {})
        target[keys[-1]] = value
