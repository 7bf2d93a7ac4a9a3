"""Stage 3, the numpy half: from raw CLIP cosines to the argmax class and its probability.

The CLIP model (``sitegen.models``) produces one cosine per resized-image pixel and *query*; a
class may have several queries (synonyms). Here the cosines are resized bilinearly to the
original image and, as in SCLIP, the softmax runs over all queries, so synonyms compete with
every other query, and a class then takes the best of its own queries (``ClassScores``). One
pass over bands of rows keeps what later stages need at full resolution, the argmax and its
probability, plus per-class statistics; the per-class maps stay computable on demand.
"""

from __future__ import annotations

import numpy as np

from sitegen.class_scores import ClassScores
from sitegen.records import DensePrediction, DenseSimilarity, ScoreSummary


def predict_dense(
    similarity: DenseSimilarity,
    query_class: np.ndarray,
    num_classes: int,
    logit_scale: float,
) -> DensePrediction:
    """Turn per-query cosines into the argmax class, its probability and per-class scores.

    ``logits = logit_scale * cosine``; a numerically stable softmax over all Q queries; a class's
    probability is the max over its queries and its similarity the max cosine over its queries.
    The prediction is the argmax over classes, ties going to the lowest class index. Rows are
    processed in bands to bound memory on large images. Everything is computed in float32.

    Parameters
    ----------
    similarity : DenseSimilarity
        ``cosines`` of shape (h, w, Q), float32, resized here to ``image_size`` (W, H) when it
        is given.
    query_class : ndarray of shape (Q,), int
        The class index of each query (``Vocabulary.query_class``).
    num_classes : int
        C; every class must own at least one query.
    logit_scale : float
        SCLIP uses 40.

    Returns
    -------
    DensePrediction
        ``prediction`` (H, W) int32, ``confidence`` (H, W) float32, the per-class ``scores``
        (computed on demand) and their ``summary``.

    Examples
    --------
    Two classes, the second with two synonyms; at logit scale ln(2) the cosines 1, 1, 0 give
    logits whose exponentials are 2, 2, 1, so the softmax is 0.4, 0.4, 0.2 and both classes get
    0.4; the tie goes to class 0:

    >>> cos = np.array([[[1.0, 1.0, 0.0]]], np.float32)
    >>> dense = predict_dense(DenseSimilarity(cos, np.zeros((0, 4), np.int32), (1, 1)),
    ...                       np.array([0, 1, 1]), 2, float(np.log(2)))
    >>> np.allclose(dense.scores.probabilities(), [[[0.4, 0.4]]]), dense.prediction.tolist()
    (True, [[0]])
    """
    cosines = np.asarray(similarity.cosines, dtype=np.float32)
    query_class = np.asarray(query_class)
    if cosines.ndim != 3:
        raise ValueError(f"cosines must have shape (h, w, Q), got {cosines.shape}")
    num_queries = cosines.shape[2]
    if query_class.shape != (num_queries,):
        raise ValueError(f"query_class must have shape ({num_queries},), got {query_class.shape}")
    owned = np.bincount(query_class.astype(np.int64), minlength=num_classes)
    if num_classes < 1 or len(owned) != num_classes or np.any(owned == 0):
        raise ValueError(f"query_class must give each of the {num_classes} classes at least one query")

    image_size = similarity.image_size or (cosines.shape[1], cosines.shape[0])
    scores = ClassScores(cosines, query_class, num_classes, float(logit_scale), image_size)
    height, width, _ = scores.shape
    prediction = np.empty((height, width), np.int32)
    confidence = np.empty((height, width), np.float32)
    statistics = _Statistics(num_classes)
    for rows, similarities, probabilities in scores.bands():
        _argmax_into(probabilities, prediction[rows], confidence[rows])
        statistics.add(similarities, probabilities)
    return DensePrediction(
        prediction=prediction,
        confidence=confidence,
        scores=scores,
        summary=statistics.summary(height * width),
        windows=similarity.windows,
        resized_size=similarity.resized_size,
    )


def _argmax_into(probabilities: np.ndarray, winner: np.ndarray, best: np.ndarray) -> None:
    """The argmax over classes of (C, rows, W) maps and its value, written into ``winner`` and
    ``best``; ties go to the lowest class, as with ``np.argmax``. Class by class, whole planes at
    a time: ``np.argmax`` over the first axis would reduce a dozen values per pixel."""
    best[...] = probabilities[0]
    winner[...] = 0
    for c in range(1, len(probabilities)):
        better = probabilities[c] > best
        winner[better] = c
        np.maximum(best, probabilities[c], out=best)


class _Statistics:
    """Per-class min, sum and max of the similarity and probability maps, band by band."""

    def __init__(self, num_classes: int):
        self.similarity_min = np.full(num_classes, np.inf, np.float32)
        self.similarity_max = np.full(num_classes, -np.inf, np.float32)
        self.probability_max = np.full(num_classes, -np.inf, np.float32)
        self.similarity_sum = np.zeros(num_classes, np.float64)
        self.probability_sum = np.zeros(num_classes, np.float64)

    def add(self, similarities: np.ndarray, probabilities: np.ndarray) -> None:
        """Take in a band of (C, rows, W) maps."""
        similarities = similarities.reshape(len(similarities), -1)
        probabilities = probabilities.reshape(len(probabilities), -1)
        np.minimum(self.similarity_min, similarities.min(axis=1), out=self.similarity_min)
        np.maximum(self.similarity_max, similarities.max(axis=1), out=self.similarity_max)
        np.maximum(self.probability_max, probabilities.max(axis=1), out=self.probability_max)
        self.similarity_sum += similarities.sum(axis=1, dtype=np.float64)
        self.probability_sum += probabilities.sum(axis=1, dtype=np.float64)

    def summary(self, pixels: int) -> ScoreSummary:
        return ScoreSummary(
            similarity_min=self.similarity_min,
            similarity_mean=self.similarity_sum / pixels,
            similarity_max=self.similarity_max,
            probability_mean=self.probability_sum / pixels,
            probability_max=self.probability_max,
        )
