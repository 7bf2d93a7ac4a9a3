"""Hover labels of the interactive figures: transparent heatmaps over a coarse grid of cells.

Hover data sits on transparent heatmaps of at most ``HOVER_LONG_SIDE`` cells on the long side
and at most ``HOVER_VALUE_BUDGET`` numbers, sampled at each cell's centre pixel, rounded to 3
decimals; labelled areas (classes, regions, masks) get one small heatmap each whose text
travels once, or share one when that is lighter (``labelled_cells``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sitegen.figures.plotly_json import rounded


HOVER_LONG_SIDE = 64
#: Numbers per hover grid: 4,096 still give a cell per SCLIP patch (28 x 21 at the default
#: --short-side 336) to a few values per cell, and keep hover data, most of a figures.js, small
#: enough for sites of thousands of images (8,192 made it half again as large).
HOVER_VALUE_BUDGET = 4_096
#: Rough JSON characters of hover data, to pick the lighter hover layout.
CELL_CHARS = 5.4  # one float32 cell in base64
VALUE_CHARS = 7  # one rounded number in customdata
TRACE_CHARS = 300  # a hover trace's fixed attributes
TRANSPARENT = [[0, "rgba(0,0,0,0)"], [1, "rgba(0,0,0,0)"]]


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
    """At most ``HOVER_LONG_SIDE`` cells on the long side and ``HOVER_VALUE_BUDGET`` values in all."""
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
