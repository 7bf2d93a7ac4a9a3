"""Figures of the evaluation against ground truth: per-class IoU bars, a confusion matrix, and,
per image, the ground truth beside both maps with their error maps.

Pure functions of ``Scores`` and records, like every figure: the two Plotly figures are plain
dicts for the index page, the per-image picture is JPEG bytes for the image page. The two maps
are always the SCLIP argmax (stage 3, ``result.dense.prediction``) and the final map (stage 12,
``result.final.labels``), drawn in that order and in the same two colours everywhere.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from sitegen.evaluation.ground_truth import GroundTruth
from sitegen.evaluation.metrics import CORRECT, IGNORED_PIXEL, WRONG, ImageEvaluation, Scores, error_map
from sitegen.figures.canvas import MUTED, LegendItem, Panel, compose, encode_jpeg
from sitegen.figures.overlay import Frame, blend, hex_to_rgb
from sitegen.figures.palette import Palette
from sitegen.figures.plotly_json import plotly_text
from sitegen.figures.plotly_layout import FONT, NO_TEMPLATE, dropdown
from sitegen.figures.views import class_legend, class_overlay
from sitegen.records import PipelineResult

#: The two maps under evaluation: key, label, colour (Okabe-Ito blue and orange).
MAPS = (
    ("sclip", "SCLIP argmax (stage 3)", "#0072b2"),
    ("final", "final map (stage 12)", "#e69f00"),
)
#: Error-map colours: three lightness levels (correct pale, ignored grey, wrong dark), so they read
#: without colour vision and never repeat a class colour (the palette has no white, grey or black).
ERROR_COLOURS = {CORRECT: "#ffffff", WRONG: "#000000", IGNORED_PIXEL: "#9e9e9e"}
ERROR_MARKERS = {CORRECT: "outline", WRONG: "square", IGNORED_PIXEL: "square"}
ERROR_LABELS = {CORRECT: "correct", WRONG: "wrong class", IGNORED_PIXEL: "ignored (no ground truth)"}
#: How much of the error colour covers the photo (the photo stays readable underneath).
ERROR_ALPHA = 0.8
GROUND_TRUTH_ALPHA = 0.8
#: The longest side of each of the six panels of the per-image picture.
PREVIEW_PANEL = 420


def shown_classes(*scores: Scores) -> list[int]:
    """Classes present (in the ground truth or a prediction) in any of ``scores``, in class order."""
    present = np.zeros(scores[0].num_classes, bool)
    for item in scores:
        present |= item.present
    return [int(c) for c in np.flatnonzero(present)]


def _finite(values) -> list:
    """Floats rounded to 4 decimals with NaN as None (null in JSON: Plotly leaves a gap)."""
    return [None if np.isnan(v) else round(float(v), 4) for v in values]


def _layout(title: str, height: int) -> dict:
    return {
        "template": NO_TEMPLATE,
        "title": {"text": title, "x": 0.01, "xanchor": "left"},
        "font": FONT,
        "height": height,
        "margin": {"l": 70, "r": 20, "t": 80, "b": 60},
        "plot_bgcolor": "white",
        "paper_bgcolor": "white",
    }


def plot_class_iou(names: list[str], sclip: Scores, final: Scores) -> dict:
    """Grouped bars of each present class's IoU for both maps (a Plotly figure dict).

    Hover gives the IoU, the intersection and the union in pixels. A class absent from one map's
    comparison (union 0) has no bar there.
    """
    classes = shown_classes(sclip, final)
    data = []
    for (key, label, colour), scores in zip(MAPS, (sclip, final)):
        data.append(
            {
                "type": "bar",
                "name": label,
                "x": [plotly_text(names[c]) for c in classes],
                "y": _finite(scores.iou[classes]),
                "customdata": [[int(scores.intersection[c]), int(scores.union[c])] for c in classes],
                "marker": {"color": colour},
                "hovertemplate": f"{label}<br>%{{x}}: IoU %{{y:.3f}}<br>"
                "intersection %{customdata[0]:,} px<br>union %{customdata[1]:,} px<extra></extra>",
            }
        )
    layout = _layout(
        f"IoU per class: SCLIP mIoU {sclip.miou:.3f}, final mIoU {final.miou:.3f}", 380
    )
    layout.update(
        {
            "barmode": "group",
            "yaxis": {"title": {"text": "IoU"}, "range": [0, 1], "gridcolor": "#e5e5e5"},
            "xaxis": {"tickangle": -30 if len(classes) > 8 else 0, "automargin": True},
            "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
        }
    )
    return {"data": data, "layout": layout}


def row_normalised(confusion: np.ndarray) -> np.ndarray:
    """Each row divided by its sum (the ground truth's pixels of that class); NaN for empty rows.

    Examples
    --------
    >>> row_normalised(np.array([[1, 3], [0, 0]])).tolist()
    [[0.25, 0.75], [nan, nan]]
    """
    confusion = np.asarray(confusion, dtype=np.float64)
    totals = confusion.sum(axis=1, keepdims=True)
    out = np.full(confusion.shape, np.nan)
    np.divide(confusion, totals, out=out, where=totals > 0)
    return out


def plot_confusion(names: list[str], sclip: Scores, final: Scores) -> dict:
    """The confusion matrix of each map as a heatmap, rows normalised by the ground truth.

    Rows are ground-truth classes, columns predicted classes, both restricted to the classes
    present in either map's comparison. A cell's colour is the share of the row's ground-truth
    pixels; its hover gives the pixel count. A menu switches between the two maps (final first).
    """
    classes = shown_classes(sclip, final)
    labels = [plotly_text(names[c]) for c in classes]
    data = []
    for i, ((key, label, _), scores) in enumerate(reversed(list(zip(MAPS, (sclip, final))))):
        matrix = scores.confusion[np.ix_(classes, classes)]
        data.append(
            {
                "type": "heatmap",
                "name": label,
                "x": labels,
                "y": labels,
                "z": [_finite(row) for row in row_normalised(matrix)],
                "customdata": matrix.tolist(),
                "zmin": 0,
                "zmax": 1,
                "colorscale": "Blues",
                "reversescale": True,  # Plotly's Blues runs dark to light: 0 white, 1 dark blue
                "colorbar": {"title": {"text": "share of row"}, "thickness": 14},
                "visible": i == 0,
                "hovertemplate": "ground truth: %{y}<br>predicted: %{x}<br>%{customdata:,} px "
                "(%{z:.1%} of the row)<extra>" + label + "</extra>",
            }
        )
    size = 160 + 28 * len(classes)
    layout = _layout("Confusion matrix: rows are ground truth, normalised per row", max(420, size + 190))
    layout.update(
        {
            "xaxis": {"title": {"text": "predicted class"}, "side": "bottom", "automargin": True, "tickangle": -30},
            "yaxis": {"title": {"text": "ground-truth class"}, "autorange": "reversed", "automargin": True},
            "updatemenus": [
                dropdown(
                    [label for _, label, _ in reversed(MAPS)],
                    [[{"visible": [True, False]}], [{"visible": [False, True]}]],
                    method="restyle",
                    title="map",
                )
            ],
        }
    )
    return {"data": data, "layout": layout}


def _error_picture(frame, rgb: np.ndarray, errors: np.ndarray) -> np.ndarray:
    shown = frame.sample(errors)
    colours = np.array([hex_to_rgb(ERROR_COLOURS[k]) for k in (CORRECT, WRONG, IGNORED_PIXEL)], np.uint8)
    return blend(frame.photo(rgb), colours[shown], ERROR_ALPHA)


def render_evaluation(
    result: PipelineResult, truth: GroundTruth, evaluation: ImageEvaluation, palette: Palette
) -> bytes:
    """The ground truth beside both maps and their error maps, as a JPEG preview.

    Row 1: the ground truth, the SCLIP argmax and its error map; row 2: the photo, the final map
    and its error map. Ignored ground-truth pixels show the photo in the ground truth panel and
    grey in the error maps. Panels are at most ``PREVIEW_PANEL`` px: six photographs in a PNG
    were 1 to 2 MB per example image, the JPEG is about a tenth of that; the exact maps are in
    the image's ``probabilities.npz`` and its numbers in ``statistics.json``.
    """
    rgb = result.image.rgb
    height, width = truth.labels.shape
    frame = Frame.fit(height, width, PREVIEW_PANEL, PREVIEW_PANEL)
    names = result.vocabulary.names
    panels = [Panel(class_overlay(frame, rgb, truth.labels, palette, GROUND_TRUTH_ALPHA), f"ground truth ({truth.name})")]
    for row, ((key, label, _), prediction) in enumerate(zip(MAPS, (result.dense.prediction, result.final.labels))):
        scores = getattr(evaluation, key)
        if row == 1:
            panels.append(Panel(frame.photo(rgb), "image"))
        panels.append(Panel(class_overlay(frame, rgb, prediction, palette, GROUND_TRUTH_ALPHA), label))
        panels.append(
            Panel(
                _error_picture(frame, rgb, error_map(prediction, truth.labels)),
                f"errors of the {label.split(' (')[0]}: mIoU {scores.miou:.3f}, aAcc {scores.aacc:.3f}",
            )
        )
    errors = tuple(
        LegendItem(ERROR_LABELS[k], MUTED if k == CORRECT else hex_to_rgb(ERROR_COLOURS[k]), ERROR_MARKERS[k])
        for k in (CORRECT, WRONG, IGNORED_PIXEL)
    )
    evaluated = evaluation.final.pixels
    notes = [
        f"{evaluated:,} of {truth.labels.size:,} pixels evaluated; {evaluation.ignored_pixels:,} carry the ignore "
        f"index" + (f" and {sum(n for _, n in evaluation.unmapped):,} an index mapped to no class" if evaluation.unmapped else "")
        + ".",
        f"SAM's refinement changed mIoU by {evaluation.gain:+.3f} on this image.",
    ]
    png = compose(
        f"Evaluation of {result.image.name} against its ground truth",
        panels,
        random_weights=result.models.random_weights,
        columns=3,
        legend=class_legend(palette, names, shown_classes(evaluation.sclip, evaluation.final)) + errors,
        notes=tuple(notes),
    )
    with Image.open(io.BytesIO(png)) as picture:
        return encode_jpeg(np.asarray(picture.convert("RGB")))
