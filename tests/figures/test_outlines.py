"""The binary outline tracer against skimage's marching squares, which it replaces in figures."""

import numpy as np
import pytest
from skimage import measure

from sitegen.figures.outlines import outline_corners


def _straight_points_dropped(contour: np.ndarray) -> np.ndarray:
    """A closed find_contours contour (first point repeated) without its straight-on points."""
    ring = contour[:-1]
    before = ring - np.roll(ring, 1, axis=0)
    after = np.roll(ring, -1, axis=0) - ring
    turns = np.abs(before[:, 0] * after[:, 1] - before[:, 1] * after[:, 0]) > 1e-9
    return ring[turns]


def _from_lowest_point(polygon: np.ndarray) -> tuple:
    """The polygon as a tuple of points, rotated to start at its lowest point (order kept)."""
    points = [tuple(map(float, point)) for point in polygon]
    start = points.index(min(points))
    return tuple(points[start:] + points[:start])


def _skimage_outlines(grid: np.ndarray) -> list[tuple]:
    contours = measure.find_contours(np.pad(grid, 1).astype(np.float32), 0.5)
    return sorted(_from_lowest_point(_straight_points_dropped(c) - 1) for c in contours)


@pytest.mark.parametrize("seed", range(6))
def test_outlines_equal_find_contours_on_random_grids(seed):
    rng = np.random.default_rng(seed)
    for _ in range(40):
        grid = rng.random(tuple(rng.integers(1, 40, 2))) < rng.random()
        mine = sorted(_from_lowest_point(polygon) for polygon in outline_corners(grid))
        assert mine == _skimage_outlines(grid)


def test_diagonal_neighbours_stay_apart_and_holes_are_outlines():
    grid = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 0]], bool)
    assert len(outline_corners(grid)) == 2
    ring = np.ones((5, 5), bool)
    ring[2, 2] = False
    outer, hole = sorted(outline_corners(ring), key=len, reverse=True)
    assert outer.tolist() == [[-0.5, 0.0], [-0.5, 4.0], [0.0, 4.5], [4.0, 4.5], [4.5, 4.0], [4.5, 0.0], [4.0, -0.5], [0.0, -0.5]]
    assert sorted(hole.tolist()) == [[1.5, 2.0], [2.0, 1.5], [2.0, 2.5], [2.5, 2.0]]


def test_empty_and_full_grids():
    assert outline_corners(np.zeros((4, 3), bool)) == []
    (square,) = outline_corners(np.ones((2, 3), bool))
    assert sorted(square.tolist()) == sorted(
        [[-0.5, 0.0], [-0.5, 2.0], [0.0, 2.5], [1.0, 2.5], [1.5, 2.0], [1.5, 0.0], [1.0, -0.5], [0.0, -0.5]]
    )
