import io

import numpy as np

from sitegen import class_scores
from sitegen.pipeline.data_files import compact_probabilities_npz, confidences_npy
from tests.synthetic import make_result


def test_confidences_npy_holds_the_full_probability_maps(monkeypatch):
    monkeypatch.setattr(class_scores, "CHUNK_VALUES", 500)  # several bands
    result = make_result(height=37, width=29)
    saved = np.load(io.BytesIO(confidences_npy(result)), allow_pickle=False)
    expected = result.dense.scores.probabilities()
    assert saved.dtype == np.float32 and saved.shape == (37, 29, 3)
    assert np.array_equal(saved, expected)
    assert expected.std() > 0.01  # real maps, not a constant


def test_compact_npz_quantises_the_same_maps():
    result = make_result()
    with np.load(io.BytesIO(compact_probabilities_npz(result))) as data:
        quantised = data["probabilities"]
        assert np.array_equal(data["prediction"], result.dense.prediction)
        assert data["prediction"].dtype == data["final"].dtype == np.uint8  # 3 classes
        assert np.array_equal(data["final"], result.final.labels)
    expected = np.rint(result.dense.scores.probabilities() * 255).astype(np.uint8)
    assert quantised.dtype == np.uint8 and np.array_equal(quantised, expected.transpose(2, 0, 1))
