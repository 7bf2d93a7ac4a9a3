"""Stage 7: the positive point prompts of every kept region.

The raw centroid of a C- or ring-shaped region lies outside it, and a SAM prompt there would
point at something else; so the first point is the region *pixel* nearest the centroid. Further
points spread over the region by farthest-point sampling to cover elongated shapes.
"""

from __future__ import annotations

import numpy as np

from sitegen.pipeline.sampling import farthest_point_sampling, nearest_index
from sitegen.records import Region, RegionPoints, SizeFilter


def region_pixels(labels: np.ndarray, region: Region) -> np.ndarray:
    """The XY coordinates of a region's pixels in row-major order, read from its bbox only.

    Parameters
    ----------
    labels : ndarray of shape (H, W), int32
    region : Region

    Returns
    -------
    ndarray of shape (region.size, 2), dtype int64
        Columns x (column) and y (row).
    """
    x0, y0, x1, y1 = region.bbox
    rows, cols = np.nonzero(labels[y0:y1, x0:x1] == region.id)
    return np.stack([cols + x0, rows + y0], axis=1)


def place_positive_points(size_filter: SizeFilter, points_per_cluster: int) -> tuple[RegionPoints, ...]:
    """Place up to ``points_per_cluster`` positive points in every kept region.

    The first point is the region pixel nearest the centroid (ties: the first in row-major
    order); the others follow by farthest-point sampling over the region's pixels, starting from
    that first point. A region smaller than ``points_per_cluster`` gets one point per pixel.

    Parameters
    ----------
    size_filter : SizeFilter
        ``labels`` (H, W) int32 and the kept regions.
    points_per_cluster : int
        k >= 1.

    Returns
    -------
    tuple of RegionPoints
        One per kept region, in the same order; ``positive`` of shape (min(k, size), 2) float32,
        XY pixel coordinates (x = column, y = row); no negatives yet.

    Examples
    --------
    A C-shaped region whose centroid (6/7, 1) lies in the hole pixel (1, 1) gets its point on the
    ring instead, at the nearest region pixel (0, 1):

    >>> from sitegen.records import Region, SizeFilter
    >>> labels = np.array([[1, 1, 1], [1, 0, 0], [1, 1, 1]], np.int32)
    >>> region = Region(1, 0, 7, (0, 0, 3, 3), (6 / 7, 1.0), 0.9)
    >>> place_positive_points(SizeFilter(labels, (region,), (), 1), 1)[0].positive.tolist()
    [[0.0, 1.0]]
    """
    if points_per_cluster < 1:
        raise ValueError(f"points_per_cluster must be at least 1, got {points_per_cluster}")
    placed = []
    for region in size_filter.kept:
        pixels = region_pixels(size_filter.labels, region)
        first = nearest_index(pixels, region.centroid)
        chosen = farthest_point_sampling(pixels, first, points_per_cluster)
        placed.append(
            RegionPoints(
                region_id=region.id,
                class_index=region.class_index,
                confidence=region.confidence,
                positive=pixels[chosen].astype(np.float32),
            )
        )
    return tuple(placed)
