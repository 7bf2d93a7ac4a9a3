"""The evaluation's records for the pages and metrics.json, on hand-made evaluations."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from sitegen.errors import GroundTruthError
from sitegen.evaluation.ground_truth import IGNORED, GroundTruth, LabelMapping
from sitegen.evaluation.metrics import evaluate_image
from sitegen.pipeline.vocabulary import read_vocabulary_file, vocabulary_from_names
from sitegen.site.evaluation import (
    EvaluationTally,
    GroundTruthSource,
    card_numbers,
    class_context,
    image_context,
    index_context,
    metrics_json,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NAMES = ["sky", "cat", "dog"]


def evaluation(name, prediction, final, truth):
    return evaluate_image(name, np.array(prediction), np.array(final), GroundTruth(f"{name}.png", np.array(truth), 0), 3)


@pytest.fixture
def tally(tmp_path):
    source = GroundTruthSource(tmp_path, {}, LabelMapping(None, 3))
    tally = EvaluationTally(source, NAMES)
    # a: sky right everywhere; cat half right in SCLIP, right in the final map.
    tally.add(evaluation("a.jpg", [[0, 0, 1, 0]], [[0, 0, 1, 1]], [[0, 0, 1, 1]]), "images/a.html")
    # b: cat predicted as dog everywhere; dog absent from the truth; one ignored pixel.
    tally.add(evaluation("b.jpg", [[2, 2, 2]], [[2, 2, 1]], [[1, 1, IGNORED]]), "images/b.html")
    tally.leave_out("c.jpg", "c.png: ground truth is 4x3 but image c.jpg is 4x2")
    return tally


def test_voc_example_files_parse(tmp_path):
    voc21 = read_vocabulary_file(EXAMPLES / "voc" / "voc21.txt")
    assert len(voc21) == 21 and voc21.names[0] == "background" and voc21.names[15] == "person"
    voc20 = read_vocabulary_file(EXAMPLES / "voc" / "voc20.txt")
    source = GroundTruthSource.open(tmp_path, voc20, EXAMPLES / "voc" / "voc20-labels.txt")
    assert source.mapping.classes == {i: i - 1 for i in range(1, 21)}
    assert source.describe()["gt_labels"] == "voc20-labels.txt"


def test_source_finds_files_by_stem_and_refuses_a_bad_labels_file(tmp_path):
    (tmp_path / "a.png").write_bytes(b"")
    source = GroundTruthSource.open(tmp_path, vocabulary_from_names(NAMES))
    assert source.path_for("a.jpg") == tmp_path / "a.png"
    assert source.path_for("z.tif") == tmp_path / "z.png"
    labels = tmp_path / "labels.txt"
    labels.write_text("1 horse\n")
    with pytest.raises(GroundTruthError, match="labels.txt line 1: 'horse' is not a vocabulary class"):
        GroundTruthSource.open(tmp_path, vocabulary_from_names(NAMES), labels)


def test_metrics_json_sums_the_images(tally):
    record = json.loads(metrics_json(tally, total_images=3))
    assert record["images"] == {
        "with_pages": 3,
        "evaluated": 2,
        "left_out": [{"image": "c.jpg", "reason": "c.png: ground truth is 4x3 but image c.jpg is 4x2"}],
    }
    final = record["dataset"]["final"]
    # final: sky I 2 U 2; cat: truth 4 px (a: 2, b: 2), predicted 2 (a's; b's cat pixel is
    # ignored and does not count), intersection 2 -> IoU 2 / 4; dog: predicted 2, true 0 -> 0.
    assert [(c["name"], c["IoU"]) for c in final["classes"]] == [("sky", 1.0), ("cat", 0.5), ("dog", 0.0)]
    assert final["mIoU"] == 0.5 and final["aAcc"] == round(4 / 6, 6)
    assert final["confusion"] == [[2, 0, 0], [0, 2, 2], [0, 0, 0]]
    sclip = record["dataset"]["sclip"]
    assert [(c["name"], c["IoU"]) for c in sclip["classes"]] == [("sky", round(2 / 3, 6)), ("cat", 0.25), ("dog", 0.0)]
    assert record["dataset"]["gain_mIoU"] == round(0.5 - (2 / 3 + 0.25) / 3, 6)
    assert [row["image"] for row in record["per_image"]] == ["a.jpg", "b.jpg"]
    b = record["per_image"][1]
    assert b["final"]["classes"] == [
        {"index": 1, "name": "cat", "IoU": 0.0, "Acc": 0.0, "intersection": 0, "union": 2, "pred_area": 0, "label_area": 2},
        {"index": 2, "name": "dog", "IoU": 0.0, "Acc": None, "intersection": 0, "union": 2, "pred_area": 2, "label_area": 0},
    ]
    assert "confusion" not in b["final"]


def test_class_context_lists_images_worst_first(tally):
    rows = class_context(tally, 1, 3, lambda path: "../" + path)["rows"]
    assert [(r["name"], r["sclip"], r["final"], r["gain"]) for r in rows] == [
        ("b.jpg", 0.0, 0.0, 0.0),
        ("a.jpg", 0.5, 1.0, 0.5),
    ]
    assert rows[0]["href"] == "../images/b.html"
    sky = class_context(tally, 0, 3, str)
    assert sky["absent"] == 1 and [r["name"] for r in sky["rows"]] == ["a.jpg"]
    assert sky["count_text"] == "2 of 3 images evaluated against ground truth"


def test_card_and_index_numbers(tally):
    numbers = card_numbers(tally)
    # a's SCLIP map: sky I 2 U 3, cat I 1 U 2.
    assert numbers["a.jpg"] == {
        "sclip": round((2 / 3 + 0.5) / 2, 6), "final": 1.0, "gain": round(1 - 7 / 12, 6), "left_out": None
    }
    assert numbers["c.jpg"] == {
        "sclip": None, "final": None, "gain": None, "left_out": "c.png: ground truth is 4x3 but image c.jpg is 4x2"
    }
    context = index_context(tally, 3, str)
    assert [row["miou"] for row in context["summary"]] == [round((2 / 3 + 0.25) / 3, 6), 0.5]
    assert set(context["figures"]) == {"iou", "confusion"}


def test_image_context_rows_per_present_class():
    evaluated = type("E", (), {"evaluation": evaluation("a.jpg", [[0, 0, 1, 0]], [[0, 0, 1, 1]], [[0, 0, 1, 1]])})
    context = image_context(evaluated, None, NAMES, "a/evaluation.png")
    assert [(r["name"], r["label_area"], r["sclip"], r["final"], r["gain"]) for r in context["rows"]] == [
        ("sky", 2, round(2 / 3, 6), 1.0, round(1 - 2 / 3, 6)),
        ("cat", 2, 0.5, 1.0, 0.5),
    ]
    assert image_context(None, "missing", NAMES, None) == {"left_out": "missing"}
