import numpy as np
import pytest

from sitegen import class_scores
from sitegen.pipeline.dense_prediction import predict_dense
from sitegen.records import DenseSimilarity

WINDOWS = np.array([[0, 0, 2, 1]], np.int32)


def similarity(cosines) -> DenseSimilarity:
    cosines = np.asarray(cosines, np.float32)
    return DenseSimilarity(cosines=cosines, windows=WINDOWS, resized_size=(cosines.shape[1], cosines.shape[0]))


def test_softmax_over_all_queries_then_max_per_class_by_hand():
    # Class 0 has one query, class 1 two synonyms. At logit scale ln(2), exp(logit) = 2 ** cosine.
    cosines = [[[1.0, 1.0, 0.0], [0.0, 1.0, 2.0]]]
    dense = predict_dense(similarity(cosines), np.array([0, 1, 1]), 2, float(np.log(2)))
    # Pixel 0: 2, 2, 1 -> 2/5, 2/5, 1/5 -> classes (2/5, max(2/5, 1/5)); the tie goes to class 0.
    # Pixel 1: 1, 2, 4 -> 1/7, 2/7, 4/7 -> classes (1/7, 4/7).
    probabilities, similarities = dense.scores.probabilities(), dense.scores.similarities()
    np.testing.assert_allclose(probabilities, [[[0.4, 0.4], [1 / 7, 4 / 7]]], rtol=1e-6)
    np.testing.assert_array_equal(similarities, [[[1.0, 1.0], [0.0, 2.0]]])
    np.testing.assert_array_equal(dense.prediction, [[0, 1]])
    np.testing.assert_allclose(dense.confidence, [[0.4, 4 / 7]], rtol=1e-6)
    assert probabilities.dtype == similarities.dtype == dense.confidence.dtype == np.float32
    assert dense.prediction.dtype == np.int32
    # The summary: per class over both pixels.
    np.testing.assert_allclose(dense.summary.probability_mean, [(0.4 + 1 / 7) / 2, (0.4 + 4 / 7) / 2], rtol=1e-6)
    np.testing.assert_allclose(dense.summary.probability_max, [0.4, 4 / 7], rtol=1e-6)
    np.testing.assert_array_equal(dense.summary.similarity_min, [0.0, 1.0])
    np.testing.assert_array_equal(dense.summary.similarity_mean, [0.5, 1.5])
    np.testing.assert_array_equal(dense.summary.similarity_max, [1.0, 2.0])
    assert dense.windows is WINDOWS and dense.resized_size == (2, 1)


def test_chunked_rows_match_a_plain_softmax(monkeypatch):
    monkeypatch.setattr(class_scores, "CHUNK_VALUES", 7)  # a few rows per chunk, ragged end
    rng = np.random.default_rng(0)
    cosines = rng.uniform(-1, 1, size=(9, 5, 4)).astype(np.float32)
    query_class = np.array([2, 0, 2, 1])
    dense = predict_dense(similarity(cosines), query_class, 3, 40.0)

    logits = 40.0 * cosines.astype(np.float64)
    softmax = np.exp(logits) / np.exp(logits).sum(axis=2, keepdims=True)
    expected = np.stack([softmax[..., query_class == c].max(axis=2) for c in range(3)], axis=2)
    np.testing.assert_allclose(dense.scores.probabilities(), expected, rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(dense.scores.similarities()[..., 2], np.maximum(cosines[..., 0], cosines[..., 2]))
    np.testing.assert_array_equal(dense.prediction, expected.argmax(axis=2))
    np.testing.assert_allclose(dense.confidence, expected.max(axis=2), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(dense.summary.probability_mean, expected.mean(axis=(0, 1)), rtol=1e-5)


def test_huge_logits_stay_finite():
    dense = predict_dense(similarity([[[1.0, -1.0]]]), np.array([0, 1]), 2, 1000.0)
    np.testing.assert_array_equal(dense.scores.probabilities(), [[[1.0, 0.0]]])


@pytest.mark.parametrize("query_class", [[0, 0], [0, 2], [0]])
def test_every_class_needs_a_query_of_its_own(query_class):
    with pytest.raises(ValueError, match="query"):
        predict_dense(similarity([[[0.1, 0.2]]]), np.array(query_class), 2, 40.0)


def test_resize_to_the_image_matches_torch_bilinear_then_softmax():
    import torch

    rng = np.random.default_rng(3)
    canvas = rng.uniform(-0.3, 0.4, size=(7, 11, 5)).astype(np.float32)
    query_class = np.array([0, 1, 1, 2, 0])
    for width, height in [(23, 13), (11, 7), (5, 3), (40, 9)]:
        record = DenseSimilarity(canvas, WINDOWS, (11, 7), image_size=(width, height))
        dense = predict_dense(record, query_class, 3, 40.0)
        resized = torch.nn.functional.interpolate(
            torch.from_numpy(canvas).permute(2, 0, 1)[None], size=(height, width), mode="bilinear", align_corners=False
        )[0].permute(1, 2, 0)
        softmax = torch.softmax(40.0 * resized.double(), dim=-1).numpy()
        expected = np.stack([softmax[..., query_class == c].max(axis=2) for c in range(3)], axis=2)
        probabilities = dense.scores.probabilities()
        assert probabilities.shape == (height, width, 3)
        np.testing.assert_allclose(probabilities, expected, atol=2e-6)
        np.testing.assert_allclose(dense.scores.similarities()[..., 1], resized.numpy()[..., 1:3].max(axis=2), atol=1e-6)
        assert np.array_equal(dense.prediction, probabilities.argmax(axis=2))


def test_scores_at_any_pixels_equal_the_full_maps_there(monkeypatch):
    # What figures sample (a display grid) is exactly the full-resolution maps at those pixels.
    monkeypatch.setattr(class_scores, "CHUNK_VALUES", 40)
    rng = np.random.default_rng(5)
    canvas = rng.uniform(-0.3, 0.4, size=(6, 9, 4)).astype(np.float32)
    record = DenseSimilarity(canvas, WINDOWS, (9, 6), image_size=(31, 17))
    dense = predict_dense(record, np.array([0, 1, 0, 2]), 3, 40.0)
    scores = dense.scores
    # The band-by-band argmax is numpy's on the full maps (ties to the lowest class included).
    np.testing.assert_array_equal(dense.prediction, scores.probabilities().argmax(axis=2))
    np.testing.assert_array_equal(dense.confidence, scores.probabilities().max(axis=2))
    rows, cols = np.array([16, 0, 3, 3, 9]), np.array([30, 0, 7, 12])
    similarities, probabilities = scores.at(rows, cols)
    np.testing.assert_array_equal(similarities, scores.similarities()[rows][:, cols])
    np.testing.assert_array_equal(probabilities, scores.probabilities()[rows][:, cols])
    bands = list(scores.bands())
    assert len(bands) > 2 and bands[0][0].start == 0 and bands[-1][0].stop == 17
    for band_rows, band_similarities, band_probabilities in bands:  # class first
        np.testing.assert_array_equal(band_similarities, scores.similarities()[band_rows].transpose(2, 0, 1))
        np.testing.assert_array_equal(band_probabilities, scores.probabilities()[band_rows].transpose(2, 0, 1))


def test_a_pickled_result_holds_the_cosines_once():
    # The cache and the worker processes get the canvas, not the query-first copy made on use.
    import pickle

    rng = np.random.default_rng(2)
    canvas = rng.uniform(-1, 1, size=(30, 40, 5)).astype(np.float32)
    scores = predict_dense(similarity(canvas), np.array([0, 1, 1, 2, 0]), 3, 50.0).scores
    probabilities = scores.probabilities()  # makes the cached planes
    data = pickle.dumps(scores, protocol=pickle.HIGHEST_PROTOCOL)
    assert canvas.nbytes < len(data) < 1.1 * canvas.nbytes
    again = pickle.loads(data)
    np.testing.assert_array_equal(again.probabilities(), probabilities)
    np.testing.assert_array_equal(again.cosines, canvas)
