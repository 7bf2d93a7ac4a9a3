"""Stage 4: keep the pixels whose winning class is confident enough.

One rule, used by the figures and by the prompts alike: a pixel passes for class c when the
argmax is c and ``p_c >= min_confidence``.
"""

from __future__ import annotations

import numpy as np

from sitegen.records import DensePrediction, Thresholding


def threshold_confidence(dense: DensePrediction, min_confidence: float) -> Thresholding:
    """Mark the pixels whose argmax probability reaches ``min_confidence``.

    The comparison is done in float32, the dtype of the probabilities, so a probability equal to
    the threshold as the user wrote it passes (0.7 as float32 is 0.69999999, which a float64
    comparison with 0.7 would reject).

    Parameters
    ----------
    dense : DensePrediction
        ``probabilities`` (H, W, C) float32 and ``prediction`` (H, W) int32.
    min_confidence : float
        In [0, 1].

    Returns
    -------
    Thresholding
        ``passing`` of shape (H, W) bool and ``pixels_per_class`` of shape (C,) int64.

    Examples
    --------
    >>> from sitegen.pipeline.dense_prediction import predict_dense
    >>> from sitegen.records import DenseSimilarity
    >>> cosines = np.log(np.array([[[0.7, 0.3], [0.4, 0.6]]], np.float32))  # softmax: these at scale 1
    >>> dense = predict_dense(DenseSimilarity(cosines, np.zeros((0, 4), np.int32), (2, 1)), np.arange(2), 2, 1.0)
    >>> result = threshold_confidence(dense, 0.65)
    >>> result.passing.tolist(), result.pixels_per_class.tolist()
    ([[True, False]], [1, 0])
    """
    passing = dense.confidence >= np.float32(min_confidence)
    num_classes = dense.num_classes
    pixels_per_class = np.bincount(dense.prediction[passing], minlength=num_classes).astype(np.int64)
    return Thresholding(passing=passing, min_confidence=float(min_confidence), pixels_per_class=pixels_per_class)
