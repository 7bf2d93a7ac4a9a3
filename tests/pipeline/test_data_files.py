import io
import json

import numpy as np

from sitegen import class_scores
from sitegen.pipeline import data_files
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
    assert quantised.dtype == np.uint8 and np.array_equal(quantised, expected.transpose(2, 0, 1)[:, ::2, ::2])


def test_compact_npz_bands_of_a_large_image_match_the_full_maps(monkeypatch):
    monkeypatch.setattr(data_files, "CHUNK_VALUES", 200)  # many bands, odd sizes
    result = make_result(height=37, width=29)
    with np.load(io.BytesIO(compact_probabilities_npz(result))) as data:
        assert data["probabilities"].shape == (3, 19, 15)
        expected = np.rint(result.dense.scores.probabilities()[::2, ::2] * 255).astype(np.uint8)
        assert np.array_equal(data["probabilities"], expected.transpose(2, 0, 1))


def test_json_files_read_back_equal_with_lists_of_numbers_on_one_line():
    result = make_result()
    for record in (data_files.prompts_record(result), data_files.statistics(result)):
        assert json.loads(data_files.to_json_bytes(record)) == record
    prompts = data_files.prompts_record(result)
    lines = data_files.to_json_bytes(prompts).decode("utf-8").splitlines()
    assert len(lines) < len(json.dumps(prompts, indent=2).splitlines()) / 2
    assert '      "bbox": [' + ", ".join(map(str, prompts["regions"][0]["bbox"])) + "]," in lines
    tricky = {"class_name": "odd [1,  2]", "box": [1, 2]}  # a string that reads like a list
    assert json.loads(data_files.to_json_bytes(tricky)) == tricky


def test_compact_npz_of_some_classes_keeps_their_planes_and_says_which():
    result = make_result(height=37, width=29)
    full = np.rint(result.dense.scores.probabilities()[::2, ::2] * 255).astype(np.uint8).transpose(2, 0, 1)
    with np.load(io.BytesIO(compact_probabilities_npz(result, [2, 0]))) as data:
        assert data["class_indices"].tolist() == [0, 2]
        assert np.array_equal(data["probabilities"], full[[0, 2]])
        assert len(data["class_names"]) == 3  # the vocabulary, whatever the planes
    with np.load(io.BytesIO(compact_probabilities_npz(result))) as data:
        assert data["class_indices"].tolist() == [0, 1, 2]
