"""Small record builders shared by the pipeline stage tests."""

from __future__ import annotations

import dataclasses

import numpy as np

from sitegen.pipeline.dense_prediction import predict_dense
from sitegen.records import DensePrediction, DenseSimilarity


def make_dense(probabilities) -> DensePrediction:
    """A DensePrediction whose prediction is the argmax of the given (H, W, C) probabilities and
    whose confidence is their max, exactly (stages 4-8 read only these two).

    Its scores are ``predict_dense``'s of cosines log(p) at logit scale 1, which reproduce p
    where a pixel's probabilities sum to 1.
    """
    probabilities = np.asarray(probabilities, dtype=np.float32)
    height, width, num_classes = probabilities.shape
    cosines = np.log(np.maximum(probabilities, np.float32(1e-30)))
    similarity = DenseSimilarity(cosines, np.zeros((0, 4), np.int32), (width, height))
    dense = predict_dense(similarity, np.arange(num_classes), num_classes, 1.0)
    return dataclasses.replace(
        dense, prediction=np.argmax(probabilities, axis=2).astype(np.int32), confidence=probabilities.max(axis=2)
    )
