"""Stage 8: negative point prompts, taken from confident pixels of competing classes.

A negative point tells SAM "not this": it must sit on another class that SCLIP is sure about
(``p >= negative_confidence_threshold`` for the winning class there) and at least
``NEGATIVE_MIN_DISTANCE`` pixels (Euclidean, pixel centre to pixel centre) from the region, so it
cannot land on the region's own fuzzy border.

Distances come from ``scipy.ndimage.distance_transform_edt`` of the complement of the region
mask, computed on the region's bbox padded by a margin rather than on the whole image, which is
exact, not an approximation. Every region pixel lies inside the padded crop, so the nearest
region pixel of any crop pixel is inside the crop too and its crop distance is its true distance.
A pixel outside the crop is at least ``margin + 1`` from the bbox, hence from the region, so it
qualifies (the margin is at least ``NEGATIVE_MIN_DISTANCE``); and if a qualifying candidate in
the crop is nearer than ``margin + 1``, no candidate outside can be the nearest. When the crop
cannot decide that, the margin grows (x4) until it can or the crop is the whole image. Candidate
rows are sorted (row-major order), so the candidates inside a crop are found by binary search.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy import ndimage

from sitegen.options import NEGATIVE_MIN_DISTANCE
from sitegen.pipeline.sampling import farthest_point_sampling
from sitegen.records import DensePrediction, Region, RegionPoints, SizeFilter

#: First padding around a region's bbox for its distance transform; at least NEGATIVE_MIN_DISTANCE.
_CROP_MARGIN = max(64, int(np.ceil(NEGATIVE_MIN_DISTANCE)))


def place_negative_points(
    points: tuple[RegionPoints, ...],
    size_filter: SizeFilter,
    dense: DensePrediction,
    negative_points_per_cluster: int,
    negative_confidence_threshold: float,
) -> tuple[RegionPoints, ...]:
    """Add up to ``negative_points_per_cluster`` negative points to every region's prompts.

    Candidates are the pixels whose argmax is a class other than the region's, with that class's
    probability ``>= negative_confidence_threshold`` (compared in float32, as in thresholding),
    and whose distance to the region is ``>= NEGATIVE_MIN_DISTANCE``. The first negative is the
    candidate nearest the region (ties: first in row-major order), the rest follow by
    farthest-point sampling over the candidates. A region without candidates gets no negatives
    and ``negative_candidates == 0``; that is recorded, not an error. With
    ``negative_points_per_cluster == 0`` nothing is computed and ``points`` come back as given.

    Parameters
    ----------
    points : tuple of RegionPoints
        Stage 7 output, one per kept region.
    size_filter : SizeFilter
        ``labels`` (H, W) int32 and the kept regions the points belong to.
    dense : DensePrediction
        ``prediction`` (H, W) int32 and ``probabilities`` (H, W, C) float32.
    negative_points_per_cluster : int
        n >= 0.
    negative_confidence_threshold : float
        In [0, 1].

    Returns
    -------
    tuple of RegionPoints
        New records (same order) with ``negative`` of shape (n', 2) float32 XY, n' <= n,
        ``negative_classes`` of shape (n',) int32 and ``negative_candidates``.
    """
    if negative_points_per_cluster < 0:
        raise ValueError(f"negative_points_per_cluster must be 0 or more, got {negative_points_per_cluster}")
    if negative_points_per_cluster == 0:
        return points
    confident = dense.confidence >= np.float32(negative_confidence_threshold)
    regions = {region.id: region for region in size_filter.kept}
    candidates_of_class: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    placed = []
    for region_points in points:
        region = regions[region_points.region_id]
        if region.class_index not in candidates_of_class:
            rows, cols = np.nonzero(confident & (dense.prediction != region.class_index))
            candidates_of_class[region.class_index] = rows, cols, np.stack([cols, rows], axis=1).astype(np.float64)
        rows, cols, xy = candidates_of_class[region.class_index]
        first, too_close = _screen_candidates(size_filter.labels, region, rows, cols)
        if first is None:
            placed.append(dataclasses.replace(region_points, negative_candidates=0))
            continue
        chosen = farthest_point_sampling(xy, first, negative_points_per_cluster, excluded=too_close)
        placed.append(
            dataclasses.replace(
                region_points,
                negative=xy[chosen].astype(np.float32),
                negative_classes=dense.prediction[rows[chosen], cols[chosen]].astype(np.int32),
                negative_candidates=len(rows) - len(too_close),
            )
        )
    return tuple(placed)


def _screen_candidates(
    labels: np.ndarray, region: Region, rows: np.ndarray, cols: np.ndarray
) -> tuple[int | None, np.ndarray]:
    """Find the nearest qualifying candidate and the candidates too close to ``region``.

    Parameters
    ----------
    labels : ndarray of shape (H, W), int32
    region : Region
    rows, cols : ndarray of shape (M,), int
        Candidate pixels in row-major order.

    Returns
    -------
    first : int or None
        Index of the candidate nearest the region among those at least NEGATIVE_MIN_DISTANCE
        away (ties: lowest index); None when there is none.
    too_close : ndarray of shape (E,), int64
        Indices of the candidates nearer than NEGATIVE_MIN_DISTANCE (all inside the crop).
    """
    height, width = labels.shape
    x0, y0, x1, y1 = region.bbox
    margin = _CROP_MARGIN
    while True:
        top, bottom = max(0, y0 - margin), min(height, y1 + margin)
        left, right = max(0, x0 - margin), min(width, x1 + margin)
        start, stop = np.searchsorted(rows, (top, bottom))
        in_crop = start + np.flatnonzero((cols[start:stop] >= left) & (cols[start:stop] < right))
        crop_distance = ndimage.distance_transform_edt(labels[top:bottom, left:right] != region.id)
        distance = crop_distance[rows[in_crop] - top, cols[in_crop] - left]
        far_enough = distance >= NEGATIVE_MIN_DISTANCE
        nearest = in_crop[far_enough][np.argmin(distance[far_enough])] if far_enough.any() else None
        decided = nearest is not None and distance[far_enough].min() < margin + 1
        if decided or len(in_crop) == len(rows):
            return (None if nearest is None else int(nearest)), in_crop[~far_enough]
        margin *= 4
