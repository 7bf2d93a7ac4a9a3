"""Stage 3, the numpy half: from raw CLIP cosines to class probabilities and the argmax.

The CLIP model (``sitegen.models``) produces one cosine per resized-image pixel and *query*; a
class may have several queries (synonyms). Here the cosines are resized bilinearly to the
original image (as ``torch.nn.functional.interpolate(mode="bilinear", align_corners=False)``
does) and, as in SCLIP, the softmax runs over all queries, so synonyms compete with every other
query, and a class then takes the best of its own queries. Resize and softmax run together a
few rows at a time: a 24-megapixel image with 20 queries never holds its 2 GB of cosines.
"""

from __future__ import annotations

import numpy as np

from sitegen.records import DensePrediction, DenseSimilarity

#: Work on at most this many float32 values of the (rows, W, Q) logits at a time, so a large
#: image never needs more than a few extra buffers of this size (16 MiB each).
_CHUNK_VALUES = 1 << 22


def bilinear_positions(out_size: int, in_size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where each output pixel samples its input along one axis, for a bilinear resize.

    The convention of ``torch.nn.functional.interpolate(mode="bilinear", align_corners=False)``
    without antialias: source = (i + 0.5) * in / out - 0.5, clamped at 0, in float32.

    Returns
    -------
    below, above : ndarray of shape (out_size,), dtype int64
        The two input indices each output index blends (equal at the last input pixel).
    weight : ndarray of shape (out_size,), dtype float32
        The weight of ``above`` (``below`` gets ``1 - weight``).

    Examples
    --------
    >>> below, above, weight = bilinear_positions(4, 2)
    >>> below.tolist(), above.tolist(), weight.tolist()
    ([0, 0, 0, 1], [1, 1, 1, 1], [0.0, 0.25, 0.75, 0.25])
    """
    source = (np.arange(out_size, dtype=np.float32) + np.float32(0.5)) * np.float32(in_size / out_size)
    source = np.maximum(source - np.float32(0.5), np.float32(0.0))
    below = np.minimum(source.astype(np.int64), in_size - 1)
    above = np.minimum(below + 1, in_size - 1)
    return below, above, (source - below).astype(np.float32)


def predict_dense(
    similarity: DenseSimilarity,
    query_class: np.ndarray,
    num_classes: int,
    logit_scale: float,
) -> DensePrediction:
    """Turn per-query cosines into per-class similarities, probabilities and the argmax.

    ``logits = logit_scale * cosine``; a numerically stable softmax over all Q queries; a class's
    probability is the max over its queries and its similarity the max cosine over its queries.
    The prediction is the argmax over classes, ties going to the lowest class index. Rows are
    processed in chunks to bound memory on large images. Everything is computed in float32.

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
        ``similarities`` (H, W, C) float16, ``probabilities`` (H, W, C) float32, ``prediction``
        (H, W) int32.

    Examples
    --------
    Two classes, the second with two synonyms; at logit scale ln(2) the cosines 1, 1, 0 give
    logits whose exponentials are 2, 2, 1, so the softmax is 0.4, 0.4, 0.2 and both classes get
    0.4; the tie goes to class 0:

    >>> cos = np.array([[[1.0, 1.0, 0.0]]], np.float32)
    >>> dense = predict_dense(DenseSimilarity(cos, np.zeros((0, 4), np.int32), (1, 1)),
    ...                       np.array([0, 1, 1]), 2, float(np.log(2)))
    >>> np.allclose(dense.probabilities, [[[0.4, 0.4]]]), dense.prediction.tolist()
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

    width, height = similarity.image_size or (cosines.shape[1], cosines.shape[0])
    rows_below, rows_above, row_weights = bilinear_positions(height, cosines.shape[0])
    cols_below, cols_above, col_weights = bilinear_positions(width, cosines.shape[1])
    col_weights = col_weights[None, :, None]
    class_queries = [np.flatnonzero(query_class == c) for c in range(num_classes)]
    similarities = np.empty((height, width, num_classes), np.float16)  # shown only: see DensePrediction
    probabilities = np.empty((height, width, num_classes), np.float32)
    scale = np.float32(logit_scale)
    rows = max(1, _CHUNK_VALUES // max(1, width * num_queries))
    for start in range(0, height, rows):
        stop = min(start + rows, height)
        weight = row_weights[start:stop, None, None]
        vertical = cosines[rows_below[start:stop]] * (1 - weight) + cosines[rows_above[start:stop]] * weight
        chunk = vertical[:, cols_below] * (1 - col_weights) + vertical[:, cols_above] * col_weights
        logits = chunk * scale
        logits -= logits.max(axis=2, keepdims=True)
        np.exp(logits, out=logits)
        logits /= logits.sum(axis=2, keepdims=True)
        for c, queries in enumerate(class_queries):
            similarities[start:stop, :, c] = chunk[..., queries].max(axis=2)
            probabilities[start:stop, :, c] = logits[..., queries].max(axis=2)
    prediction = np.argmax(probabilities, axis=2).astype(np.int32)
    return DensePrediction(
        similarities=similarities,
        probabilities=probabilities,
        prediction=prediction,
        windows=similarity.windows,
        resized_size=similarity.resized_size,
    )
