"""Step 8: which pixels pass min_confidence, with the distribution of winning probabilities.

The interactive figure precomputes the passing pixels at every threshold from 0.05 to 0.95 (and
the run's own value) as small PNG layers; a slider switches them and moves the histogram line.
"""

from __future__ import annotations

import numpy as np

from sitegen.figures.canvas import Panel, compose
from sitegen.figures.charts import histogram_chart
from sitegen.figures.overlay import backdrop, blend, colourise
from sitegen.figures.palette import Palette
from sitegen.figures.picture_assets import PHOTO_ASSET, encode_indexed, layer_frame, photo_asset
from sitegen.figures.plotly_json import figure_json, plotly_names
from sitegen.figures.plotly_layout import FONT, NO_TEMPLATE, figure_size, image_visibility, layout_image
from sitegen.figures.registry import RenderedStep, step_info
from sitegen.figures.views import class_legend, panel_frame
from sitegen.figures.wording import paragraphs, percent
from sitegen.records import PipelineResult

STEP = step_info("08_thresholding")
BINS = 50
SLIDER_STEP = 0.05
LAYER_MAX_SIDE = 160
HISTOGRAM_GREY = (120, 120, 120)
#: Below this page width the histogram goes under the picture, given this many px more height.
NARROW_BELOW = 600
STACKED_HISTOGRAM = 260


def slider_thresholds(run_value: float) -> list[float]:
    """0.05, 0.10, ..., 0.95 and the run's own min_confidence, sorted."""
    grid = {round(float(t), 2) for t in np.arange(SLIDER_STEP, 1.0 - 1e-9, SLIDER_STEP)}
    return sorted(grid | {round(float(run_value), 4)})


def describe(result: PipelineResult) -> str:
    thresholding = result.thresholding
    names = result.vocabulary.names
    passing = int(thresholding.passing.sum())
    total = thresholding.passing.size
    per_class = "; ".join(f"{names[c]} {int(n):,}" for c, n in enumerate(thresholding.pixels_per_class[:12]))
    more = f" and {len(names) - 12} more classes" if len(names) > 12 else ""
    return paragraphs(
        [
            f"A pixel passes when the probability of its winning class is at least min_confidence "
            f"{thresholding.min_confidence:g}. The same rule feeds the figures and the prompts.",
            f"{passing:,} of {total:,} pixels ({percent(passing, total)}) pass. Passing pixels per class: {per_class}{more}.",
            "The histogram shows the winning probability of every pixel with the threshold as a red line; the "
            "slider of the interactive view shows what other thresholds would let through.",
        ]
    )


def passing_layers(result: PipelineResult, palette: Palette, thresholds: list[float]) -> list[np.ndarray]:
    """(h, w, 4) uint8 layers at ``LAYER_MAX_SIDE``: class colours where the winning probability
    reaches each threshold (colourised once, at layer size)."""
    frame = layer_frame(*result.dense.prediction.shape, LAYER_MAX_SIDE)
    colours = colourise(frame.sample(result.dense.prediction), palette)
    confidence = frame.sample(result.dense.confidence)
    return [np.dstack([colours, np.where(confidence >= t, 230, 0).astype(np.uint8)]) for t in thresholds]


def _png(result: PipelineResult, palette: Palette, counts: np.ndarray, edges: np.ndarray) -> bytes:
    thresholding = result.thresholding
    names = result.vocabulary.names
    frame = panel_frame(*thresholding.passing.shape, 2)
    shown = frame.sample(thresholding.passing)
    picture = blend(
        backdrop(frame.photo(result.image.rgb)),
        colourise(frame.sample(result.dense.prediction), palette),
        0.9 * shown,
    )
    chart = histogram_chart(
        counts,
        edges,
        (max(260, frame.size[0]), 440),
        colour=HISTOGRAM_GREY,
        xlabel="probability of the winning class",
        threshold=thresholding.min_confidence,
        threshold_label=f"min_confidence {thresholding.min_confidence:g}",
    )
    passing = int(thresholding.passing.sum())
    return compose(
        f"Step 8 - {STEP.title} at min_confidence {thresholding.min_confidence:g}",
        [
            Panel(picture, f"passing pixels: {passing:,} ({percent(passing, thresholding.passing.size)})"),
            Panel(chart, "winning probability of every pixel"),
        ],
        legend=class_legend(
            palette,
            names,
            range(len(names)),
            {c: f" ({int(n):,} px)" for c, n in enumerate(thresholding.pixels_per_class)},
        ),
        random_weights=result.models.random_weights,
    )


def _size(width: int, height: int) -> dict:
    """Height and meta: picture and histogram side by side, on a phone the histogram below."""
    side_by_side = figure_size(width, height, columns=2, extra=60)
    stacked = figure_size(width, height, extra=60 + STACKED_HISTOGRAM)
    narrow = {
        "height": stacked["height"],
        "meta.picture_height": stacked["meta"]["picture_height"],
        "xaxis.domain": [0, 1],
        "yaxis.domain": [0.4, 1],
        "xaxis2.domain": [0, 1],
        "yaxis2.domain": [0, 0.26],
        "sliders[0].pad.t": 80,
    }
    return {**side_by_side, "meta": {**side_by_side["meta"], "narrow": {"below": NARROW_BELOW, "layout": narrow}}}


def _figure(
    result: PipelineResult, palette: Palette, counts: np.ndarray, edges: np.ndarray
) -> tuple[dict, dict[str, bytes]]:
    confidence = result.dense.confidence
    height, width = confidence.shape
    run_value = result.thresholding.min_confidence
    thresholds = slider_thresholds(run_value)
    names = plotly_names(result.vocabulary)
    assets = {PHOTO_ASSET: photo_asset(result.image.rgb)}
    images = [layout_image(PHOTO_ASSET, width, height)]
    for t, layer in zip(thresholds, passing_layers(result, palette, thresholds)):
        name = f"passing_{round(t * 1000):04d}"
        assets[name] = encode_indexed(layer)
        images.append(layout_image(name, width, height, visible=t == round(run_value, 4)))

    def status(t: float) -> str:
        n = int((confidence >= t).sum())
        return f"min_confidence {t:g}:<br>{n:,} px ({percent(n, confidence.size)}) pass"

    steps = [
        {
            "label": f"{t:g}" + (" (run)" if t == round(run_value, 4) else ""),
            "method": "relayout",
            "args": [
                {
                    **image_visibility(len(thresholds), i, offset=1),
                    "shapes[0].x0": t,
                    "shapes[0].x1": t,
                    "annotations[0].text": status(t),
                }
            ],
        }
        for i, t in enumerate(thresholds)
    ]
    axis = {"showgrid": False, "zeroline": False, "ticks": "outside"}
    layout = {
        "template": NO_TEMPLATE,
        "font": FONT,
        "title": {"text": "Pixels passing min_confidence (drag the slider)", "x": 0.01, "xanchor": "left"},
        **_size(width, height),
        "margin": {"l": 60, "r": 20, "t": 90, "b": 40},
        "xaxis": {**axis, "domain": [0, 0.58], "range": [0, width], "constrain": "domain"},
        "yaxis": {**axis, "range": [height, 0], "scaleanchor": "x", "scaleratio": 1, "constrain": "domain"},
        "xaxis2": {
            **axis,
            "domain": [0.66, 1],
            "range": [0, 1],
            "anchor": "y2",
            "title": {"text": "probability of the winning class"},
        },
        "yaxis2": {**axis, "anchor": "x2", "title": {"text": "pixels"}},
        "images": images,
        "shapes": [
            {
                "type": "line",
                "xref": "x2",
                "yref": "y2 domain",
                "x0": run_value,
                "x1": run_value,
                "y0": 0,
                "y1": 1,
                "line": {"color": "#d7191c", "width": 3},
            }
        ],
        "annotations": [
            {
                "text": status(run_value),
                "xref": "x2 domain",
                "yref": "y2 domain",
                "x": 0.5,
                "y": 1.06,
                "showarrow": False,
            }
        ],
        "sliders": [
            {
                "active": thresholds.index(round(run_value, 4)),
                "steps": steps,
                "currentvalue": {"prefix": "min_confidence: "},
                "pad": {"t": 40},
            }
        ],
        "legend": {
            "orientation": "h",
            "x": 0,
            "y": 1.05,
            "yanchor": "bottom",
            "itemclick": False,
            "itemdoubleclick": False,
        },
        "hovermode": "closest",
        "plot_bgcolor": "white",
    }
    histogram = {
        "type": "bar",
        "x": ((edges[:-1] + edges[1:]) / 2).round(3).tolist(),
        "y": counts.tolist(),
        "width": 1.0 / BINS,
        "marker": {"color": "#787878"},
        "xaxis": "x2",
        "yaxis": "y2",
        "showlegend": False,
        "hovertemplate": "probability %{x:.2f}: %{y:,} px<extra></extra>",
    }
    legend = [  # one legend entry per class colour, nothing drawn
        {
            "type": "scatter",
            "x": [None],
            "y": [None],
            "mode": "markers",
            "name": name,
            "marker": {"color": palette.hex(c), "symbol": "square", "size": 12},
            "hoverinfo": "skip",
        }
        for c, name in enumerate(names)
    ]
    return figure_json({"data": [histogram, *legend], "layout": layout}), assets


def render(result: PipelineResult, palette: Palette) -> RenderedStep:
    confidence = result.dense.confidence
    counts, edges = np.histogram(confidence, bins=BINS, range=(0.0, 1.0))
    figure, assets = _figure(result, palette, counts, edges)
    thresholding = result.thresholding
    passing = int(thresholding.passing.sum())
    facts = {
        "min_confidence": thresholding.min_confidence,
        "passing pixels": passing,
        "passing (%)": round(100.0 * passing / thresholding.passing.size, 1),
        "classes with passing pixels": int((thresholding.pixels_per_class > 0).sum()),
    }
    return RenderedStep(STEP, _png(result, palette, counts, edges), describe(result), facts, figure, assets)
