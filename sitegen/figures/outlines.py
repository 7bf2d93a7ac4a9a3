"""Outlines of a binary grid as closed polygons, traced the way marching squares traces them.

The interactive figures draw masks as SVG paths. ``skimage.measure.find_contours`` gives the
right outlines, but it is written for real-valued fields: it interpolates every crossing and
assembles segments in Python, and on noisy masks (random weights, many small islands) it was
the largest single cost of drawing an image's figures. On a binary grid every crossing lies
half-way between a cell inside and a 4-neighbour outside, so here the crossings are found with
array operations, each one's successor along the outline is read off its 2x2 neighbourhood,
and only the walk along the outlines is a Python loop over plain integers.

The outlines are those of ``find_contours(padded grid, 0.5)``: cells inside that touch only
diagonally stay apart (skimage's default ``fully_connected="low"``), and points where the
outline runs straight on, along an axis or a 45-degree staircase, are dropped.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

PATH_MAX_SIDE = 256
MIN_PATH_SIDE = 32
#: Characters of SVG path data per figure (class outlines over an image): 24,000 keep a mask's
#: outline within a few pixels at the size a page shows it.
PATH_BUDGET = 24_000


def outline_corners(grid: np.ndarray) -> list[np.ndarray]:
    """The closed outlines of the True cells of a 2-D bool grid, reduced to their corners.

    Parameters
    ----------
    grid : ndarray of shape (R, K), dtype bool

    Returns
    -------
    list of ndarray of shape (N, 2), dtype float64
        One polygon per outline (holes included), as (row, col) points in cell coordinates
        (cell (r, c) has its centre at (r, c)); the first point is not repeated at the end.
        Every point lies half-way between a cell inside and a 4-neighbour outside. Polygons
        run as skimage's do: with rows pointing down, the inside is on the right.

    Examples
    --------
    A single cell is a diamond through the midpoints of its sides:

    >>> [p.tolist() for p in outline_corners(np.array([[True]]))]
    [[[-0.5, 0.0], [0.0, 0.5], [0.5, 0.0], [0.0, -0.5]]]
    """
    grid = np.pad(np.asarray(grid, bool), 1)
    # Crossings between horizontal neighbours (r, c) | (r, c + 1), then between vertical ones
    # (r, c) over (r + 1, c). Each gets an id: ``h_ids`` and ``v_ids`` map grid positions to it.
    across = grid[:, :-1] != grid[:, 1:]
    down = grid[:-1, :] != grid[1:, :]
    h_rows, h_cols = np.nonzero(across)
    v_rows, v_cols = np.nonzero(down)
    count_h = len(h_rows)
    total = count_h + len(v_rows)
    if total == 0:
        return []
    h_ids = np.full(across.shape, -1, np.int64)
    h_ids[h_rows, h_cols] = np.arange(count_h)
    v_ids = np.full(down.shape, -1, np.int64)
    v_ids[v_rows, v_cols] = np.arange(count_h, total)

    successor = np.empty(total, np.int64)
    successor[:count_h] = _after_horizontal(grid, h_rows, h_cols, h_ids, v_ids)
    successor[count_h:] = _after_vertical(grid, v_rows, v_cols, h_ids, v_ids)

    # Points in doubled coordinates, so that they are integers.
    points = np.empty((total, 2), np.int64)
    points[:count_h, 0], points[:count_h, 1] = 2 * h_rows, 2 * h_cols + 1
    points[count_h:, 0], points[count_h:, 1] = 2 * v_rows + 1, 2 * v_cols
    predecessor = np.empty_like(successor)
    predecessor[successor] = np.arange(total)
    before = points - points[predecessor]
    after = points[successor] - points
    turns = before[:, 0] * after[:, 1] != before[:, 1] * after[:, 0]

    corners = []
    for loop in _loops(successor):
        kept = loop[turns[loop]][::-1]  # walked with the inside on the left; skimage's way round
        corners.append(points[kept] / 2.0 - 1.0)  # /2 undoes the doubling, -1 the padding
    return corners


def _after_horizontal(grid, r, c, h_ids, v_ids) -> np.ndarray:
    """The next crossing after the crossings between (r, c) and (r, c + 1).

    With the inside cell P on the left, the walk enters the 2x2 square ahead of P and its
    outside neighbour Q. With P' ahead of P and Q' ahead of Q, it turns round P when P' is
    outside, goes straight on to the P'Q' crossing when only Q' is outside, and turns round Q
    otherwise. The padding keeps every index inside the grid.
    """
    # Inside on the left (P at col c): walking up, into rows r - 1 and r.
    up = np.where(
        ~grid[r - 1, c], v_ids[r - 1, c], np.where(~grid[r - 1, c + 1], h_ids[r - 1, c], v_ids[r - 1, c + 1])
    )
    # Inside on the right (P at col c + 1): walking down, into rows r and r + 1.
    down = np.where(~grid[r + 1, c + 1], v_ids[r, c + 1], np.where(~grid[r + 1, c], h_ids[r + 1, c], v_ids[r, c]))
    return np.where(grid[r, c], up, down)


def _after_vertical(grid, r, c, h_ids, v_ids) -> np.ndarray:
    """The next crossing after the crossings between (r, c) and (r + 1, c), by the rule of
    ``_after_horizontal``: with the inside on top the walk goes right, from below it goes left."""
    right = np.where(
        ~grid[r, c + 1], h_ids[r, c], np.where(~grid[r + 1, c + 1], v_ids[r, c + 1], h_ids[r + 1, c])
    )
    left = np.where(~grid[r + 1, c - 1], h_ids[r + 1, c - 1], np.where(~grid[r, c - 1], v_ids[r, c - 1], h_ids[r, c - 1]))
    return np.where(grid[r, c], right, left)


def _loops(successor: np.ndarray) -> list[np.ndarray]:
    """The cycles of a permutation given as each element's successor, each from its lowest id."""
    following = successor.tolist()
    seen = bytearray(len(following))
    loops = []
    for start in range(len(following)):
        if seen[start]:
            continue
        loop = []
        element = start
        while not seen[element]:
            seen[element] = 1
            loop.append(element)
            element = following[element]
        loops.append(np.array(loop))
    return loops


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
