"""The evaluation figures: bars and heatmap carry the scores' exact numbers, the picture shows errors."""

from __future__ import annotations

import io

import numpy as np
import plotly.graph_objects as go
from PIL import Image

from sitegen.evaluation.ground_truth import IGNORED, GroundTruth
from sitegen.evaluation.metrics import evaluate_image, scores_from_confusion
from sitegen.figures import make_palette
from sitegen.figures.canvas import BANNER_RED
from sitegen.figures.evaluation import (
    ERROR_COLOURS,
    plot_class_iou,
    plot_confusion,
    render_evaluation,
    shown_classes,
)
from sitegen.figures.overlay import hex_to_rgb
from tests.synthetic import make_result

NAMES = ["sky", "cat", "dog", "car"]
# Class 2 (dog) is absent from both sides in both maps: no bar, no row, no column.
SCLIP = scores_from_confusion(np.array([[6, 2, 0, 0], [1, 3, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]))
FINAL = scores_from_confusion(np.array([[8, 0, 0, 0], [0, 3, 0, 1], [0, 0, 0, 0], [0, 0, 0, 0]]))


def test_shown_classes_are_those_present_in_either_map():
    assert shown_classes(SCLIP, FINAL) == [0, 1, 3]
    assert shown_classes(SCLIP) == [0, 1]


def test_iou_bars_hold_each_maps_iou_and_areas():
    figure = plot_class_iou(NAMES, SCLIP, FINAL)
    go.Figure(figure)  # valid Plotly
    sclip, final = figure["data"]
    assert sclip["x"] == final["x"] == ["sky", "cat", "car"]
    assert sclip["y"] == [round(6 / 9, 4), round(3 / 6, 4), None]  # car: union 0 for SCLIP, no bar
    assert final["y"] == [1.0, 0.75, 0.0]
    assert final["customdata"] == [[8, 8], [3, 4], [0, 1]]
    assert "mIoU 0.583" in figure["layout"]["title"]["text"]  # SCLIP mIoU (2/3 + 1/2) / 2


def test_confusion_heatmap_is_row_normalised_with_counts_on_hover():
    figure = plot_confusion(NAMES, SCLIP, FINAL)
    go.Figure(figure)
    final, sclip = figure["data"]
    assert final["visible"] is True and sclip["visible"] is False
    assert final["y"] == ["sky", "cat", "car"]
    assert sclip["customdata"] == [[6, 2, 0], [1, 3, 0], [0, 0, 0]]
    assert sclip["z"] == [[0.75, 0.25, 0.0], [0.25, 0.75, 0.0], [None, None, None]]
    assert final["z"][1] == [0.0, 0.75, 0.25]
    assert "%{customdata:,} px" in final["hovertemplate"]
    buttons = figure["layout"]["updatemenus"][0]["buttons"]
    assert [b["args"][0]["visible"] for b in buttons] == [[True, False], [False, True]]


def test_evaluation_picture_colours_correct_and_wrong_pixels():
    result = make_result()
    height, width = result.final.labels.shape
    truth_labels = result.final.labels.copy()
    truth_labels[:, : width // 2] = IGNORED
    # the right half is the final map, except one wrongly labelled block
    wrong = (slice(height // 4, height // 2), slice(3 * width // 4, width))
    truth_labels[wrong] = (result.final.labels[wrong] + 1) % len(result.vocabulary)
    truth = GroundTruth("scene.png", truth_labels.astype(np.int32), ignored_pixels=height * (width // 2))
    evaluation = evaluate_image(
        result.image.name, result.dense.prediction, result.final.labels, truth, len(result.vocabulary)
    )
    jpeg = render_evaluation(result, truth, evaluation, make_palette(len(result.vocabulary)))
    assert jpeg[:3] == b"\xff\xd8\xff"
    picture = np.asarray(Image.open(io.BytesIO(jpeg)).convert("RGB")).reshape(-1, 3)
    colours = {tuple(c) for c in picture}
    banner = (np.abs(picture.astype(int) - np.array(BANNER_RED)).max(axis=1) < 30).sum()
    assert (banner > 1000) == result.models.random_weights
    # blended over the photo, the error colours dominate their pixels: look for pixels close to each
    for key in ERROR_COLOURS:
        target = np.array(hex_to_rgb(ERROR_COLOURS[key]), float)
        distance = np.abs(picture.astype(float) - target).max(axis=1)
        assert (distance < 0.3 * 255).sum() > 100, key
    assert len(colours) > 50
