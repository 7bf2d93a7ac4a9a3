"""Small record builders shared by the pipeline stage tests."""

from __future__ import annotations

import numpy as np

from sitegen.records import DensePrediction


def make_dense(probabilities) -> DensePrediction:
    """A DensePrediction whose similarities equal the given (H, W, C) probabilities and whose
    prediction is their argmax (as ``predict_dense`` defines it)."""
    probabilities = np.asarray(probabilities, dtype=np.float32)
    height, width = probabilities.shape[:2]
    return DensePrediction(
        similarities=probabilities,
        probabilities=probabilities,
        prediction=np.argmax(probabilities, axis=2).astype(np.int32),
        windows=np.zeros((0, 4), np.int32),
        resized_size=(width, height),
    )
