"""Stage 5: split every class's passing pixels into 8-connected regions.

Regions of different classes never merge, even when they touch, because each class is labelled
on its own. Region ids are 1-based and unique in the image: class 0's regions first, then class
1's, each class in scipy's label order (the raster order of a region's first pixel).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from sitegen.records import Components, DensePrediction, Region, Thresholding

#: 8-connectivity: diagonal neighbours join.
_EIGHT_CONNECTED = np.ones((3, 3), dtype=bool)


def find_components(dense: DensePrediction, thresholding: Thresholding) -> Components:
    """Label the 8-connected components of each class's passing mask and measure them.

    Parameters
    ----------
    dense : DensePrediction
        ``prediction`` (H, W) int32 and ``confidence`` (H, W) float32.
    thresholding : Thresholding
        ``passing`` (H, W) bool.

    Returns
    -------
    Components
        ``labels`` of shape (H, W) int32 (region id, 0 = none) and one ``Region`` per id, in id
        order, with its size, exclusive bbox ``(x0, y0, x1, y1)``, centroid ``(x, y)`` (the
        mean pixel coordinate) and confidence (the mean p_c over its pixels).

    Examples
    --------
    >>> from sitegen.pipeline.dense_prediction import predict_dense
    >>> from sitegen.records import DenseSimilarity, Thresholding
    >>> wins = np.array([[0, 1, 1], [1, 0, 0]])
    >>> cosines = np.stack([wins == 0, wins == 1], axis=2).astype(np.float32)  # argmax: wins
    >>> dense = predict_dense(DenseSimilarity(cosines, np.zeros((0, 4), np.int32), (3, 2)), np.arange(2), 2, 40.0)
    >>> passing = np.ones((2, 3), bool)
    >>> result = find_components(dense, Thresholding(passing, 0.5, np.array([3, 3])))
    >>> result.labels.tolist()  # diagonal neighbours join: one region per class
    [[1, 2, 2], [2, 1, 1]]
    """
    prediction = dense.prediction
    passing = thresholding.passing
    if passing.shape != prediction.shape:
        raise ValueError(f"passing {passing.shape} and prediction {prediction.shape} differ in shape")
    labels = np.zeros(prediction.shape, np.int32)
    region_class: list[int] = []
    for c in range(dense.num_classes):
        class_labels, count = ndimage.label(passing & (prediction == c), structure=_EIGHT_CONNECTED)
        inside = class_labels > 0
        labels[inside] = class_labels[inside] + len(region_class)
        region_class.extend([c] * count)
    return Components(labels=labels, regions=_measure(labels, region_class, dense.confidence))


def _measure(labels: np.ndarray, region_class: list[int], confidence: np.ndarray) -> tuple[Region, ...]:
    """Size, bbox, centroid and mean confidence of regions 1..N, with bincounts over the labels."""
    count = len(region_class)
    rows, cols = np.nonzero(labels)
    ids = labels[rows, cols]
    sizes = np.bincount(ids, minlength=count + 1)
    sum_x = np.bincount(ids, weights=cols, minlength=count + 1)
    sum_y = np.bincount(ids, weights=rows, minlength=count + 1)
    sum_p = np.bincount(ids, weights=confidence[rows, cols].astype(np.float64), minlength=count + 1)
    boxes = ndimage.find_objects(labels, max_label=count)
    return tuple(
        Region(
            id=i,
            class_index=region_class[i - 1],
            size=int(sizes[i]),
            bbox=(box[1].start, box[0].start, box[1].stop, box[0].stop),
            centroid=(float(sum_x[i] / sizes[i]), float(sum_y[i] / sizes[i])),
            confidence=float(sum_p[i] / sizes[i]),
        )
        for i, box in enumerate(boxes, start=1)
    )
