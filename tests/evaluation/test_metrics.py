"""The metrics against a plainly written loop over images and classes, and hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sitegen.evaluation.ground_truth import IGNORED, GroundTruth
from sitegen.evaluation.metrics import (
    CORRECT,
    IGNORED_PIXEL,
    WRONG,
    confusion_matrix,
    error_map,
    evaluate_image,
    scores_from_confusion,
    sum_scores,
)

NAN = float("nan")


def reference_metrics(predictions, truths, num_classes):
    """IoUMetric written out the long way: one boolean mask per image and class, unions by OR."""
    intersection = [0] * num_classes
    union = [0] * num_classes
    pred_area = [0] * num_classes
    label_area = [0] * num_classes
    correct = evaluated = 0
    for prediction, truth in zip(predictions, truths):
        for y in range(truth.shape[0]):
            for x in range(truth.shape[1]):
                if truth[y, x] != IGNORED:
                    evaluated += 1
                    correct += int(prediction[y, x] == truth[y, x])
        counted = truth != IGNORED
        for c in range(num_classes):
            predicted_c = (prediction == c) & counted
            true_c = truth == c
            intersection[c] += int(np.sum(predicted_c & true_c))
            union[c] += int(np.sum(predicted_c | true_c))
            pred_area[c] += int(np.sum(predicted_c))
            label_area[c] += int(np.sum(true_c))
    iou = [intersection[c] / union[c] if union[c] else NAN for c in range(num_classes)]
    acc = [intersection[c] / label_area[c] if label_area[c] else NAN for c in range(num_classes)]
    present_iou = [v for v in iou if not math.isnan(v)]
    present_acc = [v for v in acc if not math.isnan(v)]
    return {
        "intersection": intersection,
        "union": union,
        "pred_area": pred_area,
        "label_area": label_area,
        "iou": iou,
        "acc": acc,
        "aacc": correct / evaluated if evaluated else NAN,
        "miou": sum(present_iou) / len(present_iou) if present_iou else NAN,
        "macc": sum(present_acc) / len(present_acc) if present_acc else NAN,
    }


def random_maps(rng, shape, num_classes=7):
    """A prediction and a truth with every kind of class the metric must treat specially.

    Class 3: in the ground truth, predicted nowhere. Class 4: absent from both sides except
    predicted on ignored pixels (so it must count as absent). Class 5: predicted, never true.
    Class 6: absent everywhere.
    """
    truth = rng.choice([0, 1, 2, 3], size=shape).astype(np.int32)
    prediction = rng.choice([0, 1, 2, 5], size=shape).astype(np.int32)
    ignored = rng.random(shape) < 0.15
    truth[ignored] = IGNORED
    prediction[ignored & (rng.random(shape) < 0.5)] = 4
    return prediction, truth


def assert_matches(scores, expected):
    for name in ("intersection", "union", "pred_area", "label_area"):
        assert getattr(scores, name).tolist() == expected[name], name
    for name in ("iou", "acc"):
        np.testing.assert_allclose(getattr(scores, name), expected[name], rtol=1e-12, equal_nan=True)
    for name in ("aacc", "miou", "macc"):
        assert getattr(scores, name) == pytest.approx(expected[name], rel=1e-12, nan_ok=True), name


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_dataset_and_per_image_scores_match_a_plain_loop(seed):
    rng = np.random.default_rng(seed)
    shapes = [(13, 17), (8, 5), (21, 9)]
    maps = [random_maps(rng, shape) for shape in shapes]
    evaluations = [
        evaluate_image(f"{i}.png", prediction, prediction, GroundTruth(f"{i}.png", truth, 0), 7)
        for i, (prediction, truth) in enumerate(maps)
    ]
    for evaluation, (prediction, truth) in zip(evaluations, maps):
        assert_matches(evaluation.sclip, reference_metrics([prediction], [truth], 7))
    total = sum_scores([e.sclip for e in evaluations], 7)
    expected = reference_metrics([p for p, _ in maps], [t for _, t in maps], 7)
    assert_matches(total, expected)
    # The special classes behave as IoUMetric says.
    assert total.iou[3] == 0.0 and total.acc[3] == 0.0  # true, predicted nowhere
    assert math.isnan(total.iou[4]) and math.isnan(total.acc[4])  # predicted on ignored pixels only
    assert total.iou[5] == 0.0 and math.isnan(total.acc[5])  # predicted, never true
    assert math.isnan(total.iou[6])  # absent everywhere
    assert total.present.tolist() == [True, True, True, True, False, True, False]


def test_dataset_scores_are_not_the_mean_of_image_scores():
    # Image a: class 0 all right on 1 px. Image b: class 0 wrong on 3 px (predicted 1).
    a = scores_from_confusion(np.array([[1, 0], [0, 0]]))
    b = scores_from_confusion(np.array([[0, 3], [0, 0]]))
    total = sum_scores([a, b], 2)
    assert total.iou.tolist() == [0.25, 0.0]  # 1 / (4 + 1 - 1), and class 1: 0 / 3
    assert total.miou == 0.125
    assert (a.miou + b.miou) / 2 != total.miou


def test_hand_computed_two_by_three():
    truth = np.array([[0, 0, 1], [1, IGNORED, 2]])
    prediction = np.array([[0, 1, 1], [2, 0, 2]])
    confusion = confusion_matrix(prediction, truth, 3)
    assert confusion.tolist() == [[1, 1, 0], [0, 1, 1], [0, 0, 1]]
    scores = scores_from_confusion(confusion)
    # class 0: I 1, U 2; class 1: I 1, U 3; class 2: I 1, U 2.
    assert scores.iou.tolist() == [0.5, 1 / 3, 0.5]
    assert scores.acc.tolist() == [0.5, 0.5, 1.0]
    assert scores.aacc == 3 / 5
    assert scores.miou == pytest.approx((0.5 + 1 / 3 + 0.5) / 3)
    assert scores.macc == pytest.approx(2 / 3)
    assert scores.pixels == 5


def test_perfect_prediction_scores_one_and_nothing_evaluated_is_nan():
    truth = np.array([[0, 1], [IGNORED, 1]])
    perfect = scores_from_confusion(confusion_matrix(np.array([[0, 1], [2, 1]]), truth, 3))
    assert (perfect.miou, perfect.macc, perfect.aacc) == (1.0, 1.0, 1.0)
    empty = scores_from_confusion(confusion_matrix(np.zeros((2, 2), int), np.full((2, 2), IGNORED), 3))
    assert math.isnan(empty.miou) and math.isnan(empty.aacc) and empty.pixels == 0


def test_confusion_refuses_classes_outside_the_vocabulary_and_other_shapes():
    with pytest.raises(ValueError, match="outside 0..1"):
        confusion_matrix(np.array([[0, 2]]), np.array([[0, 0]]), 2)
    with pytest.raises(ValueError, match="differ in shape"):
        confusion_matrix(np.zeros((2, 2), int), np.zeros((2, 3), int), 2)


def test_error_map_and_gain():
    truth = np.array([[0, 1, IGNORED]])
    assert error_map(np.array([[0, 0, 1]]), truth).tolist() == [[CORRECT, WRONG, IGNORED_PIXEL]]
    evaluation = evaluate_image(
        "a.png", np.array([[1, 1, 1]]), np.array([[0, 1, 1]]), GroundTruth("a.png", truth, 1), 2
    )
    assert evaluation.sclip.miou == 0.25  # class 0: 0/1, class 1: 1/2
    assert evaluation.final.miou == 1.0
    assert evaluation.gain == 0.75
