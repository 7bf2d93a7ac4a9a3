"""Step 7: how sure SCLIP is: the winning probability, a weighted overlay, uncertain pixels."""

from __future__ import annotations

import numpy as np

from sitegen.figures.canvas import Panel, compose
from sitegen.figures.class_maps import viridis_bar
from sitegen.figures.hover import hover_grid, labelled_hover
from sitegen.figures.overlay import UNCERTAIN_RED, backdrop, colourise, heatmap, paint
from sitegen.figures.palette import Palette
from sitegen.figures.picture_assets import encode_indexed, heatmap_asset, layer_frame
from sitegen.figures.plotly_json import add_to_layout, figure_json, plotly_names
from sitegen.figures.plotly_layout import (
    colour_bar_trace,
    dropdown,
    image_visibility,
    layout_image,
    photo_figure,
)
from sitegen.figures.registry import RenderedStep, step_info
from sitegen.figures.views import class_legend, class_overlay, grid_columns, panel_frame
from sitegen.figures.wording import paragraphs, percent
from sitegen.records import PipelineResult

STEP = step_info("07_prediction_confidences")
VIEWS = ("max probability", "confidence-weighted overlay", "uncertain pixels (red)")


def describe(result: PipelineResult) -> str:
    confidence = result.dense.confidence
    threshold = result.options.min_confidence
    uncertain = int((confidence < threshold).sum())
    return paragraphs(
        [
            "The probability of the winning class at each pixel: 1 means SCLIP is sure; a pixel where all "
            f"{len(result.vocabulary.queries)} queries are equally likely would score 1/{len(result.vocabulary.queries)}.",
            f"Here it ranges from {confidence.min():.3f} to {confidence.max():.3f} (mean {confidence.mean():.3f}, "
            f"median {np.median(confidence):.3f}). {uncertain:,} pixels ({percent(uncertain, confidence.size)}) are below "
            f"min_confidence {threshold:g} and shown in red: they cannot become prompts.",
            "The weighted overlay paints each pixel's class colour with an opacity equal to its probability.",
        ]
    )


def _layers(result: PipelineResult, palette: Palette) -> dict[str, bytes]:
    frame = layer_frame(*result.dense.confidence.shape)
    confidence = frame.sample(result.dense.confidence)
    colours = colourise(frame.sample(result.dense.prediction), palette)
    # Opacity in 16 steps keeps the layer within a 256-colour palette for up to 16 classes.
    weighted = np.dstack([colours, (np.round(15 * confidence) * 17).astype(np.uint8)])
    uncertain = np.zeros(confidence.shape + (4,), np.uint8)
    uncertain[confidence < result.options.min_confidence] = (*UNCERTAIN_RED, 200)
    return {
        "max_probability": heatmap_asset(result.dense.confidence, 0.0, 1.0),
        "weighted_overlay": encode_indexed(weighted),
        "uncertain": encode_indexed(uncertain),
    }


def render(result: PipelineResult, palette: Palette) -> RenderedStep:
    confidence = result.dense.confidence
    threshold = result.options.min_confidence
    names = result.vocabulary.names
    columns = grid_columns(3, *confidence.shape)
    frame = panel_frame(*confidence.shape, columns)
    uncertain = frame.sample(confidence < threshold)
    png = compose(
        f"Step 7 - {STEP.title}",
        [
            Panel(heatmap(frame.sample(confidence), 0.0, 1.0), "max probability"),
            Panel(
                class_overlay(frame, result.image.rgb, result.dense.prediction, palette, confidence),
                "class colour, opacity = probability",
            ),
            Panel(
                paint(backdrop(frame.photo(result.image.rgb)), uncertain, UNCERTAIN_RED, 0.75),
                f"below min_confidence {threshold:g} in red ({percent(int((confidence < threshold).sum()), confidence.size)})",
            ),
        ],
        columns=columns,
        colour_bar=viridis_bar(
            "probability of the winning class", (0.0, 1.0), ((threshold, f"min_confidence {threshold:g}"),)
        ),
        legend=class_legend(palette, names, range(len(names))),
        random_weights=result.models.random_weights,
    )
    names = plotly_names(result.vocabulary)  # Plotly text from here on: the figure
    figure, assets = photo_figure(result, "Prediction confidence (pick a view)")
    layers = _layers(result, palette)
    height, width = confidence.shape
    add_to_layout(
        figure, "images", [layout_image(name, width, height, visible=i == 0) for i, name in enumerate(layers)]
    )
    assets.update(layers)
    figure["layout"]["updatemenus"] = [
        dropdown(
            list(VIEWS),
            [[image_visibility(len(VIEWS), i, offset=1)] for i in range(len(VIEWS))],
            title="view",
        )
    ]
    grid = hover_grid(height, width, 4)  # a text costs about three numbers
    figure["data"] += labelled_hover(
        grid,
        result.dense.prediction,
        dict(enumerate(names)),
        groups=dict(enumerate(names)),
        values=grid.sample(confidence)[..., None],
        prefix="x %{x:.1f}, y %{y:.1f}<br>",
        value_template=f": %{{customdata[0]:.3f}}<br>(min_confidence {threshold:g})",
    )
    figure["data"].append(colour_bar_trace(0.0, 1.0, "probability"))
    facts = {
        "min_confidence": threshold,
        "mean probability": round(float(confidence.mean()), 4),
        "uncertain pixels": int((confidence < threshold).sum()),
        "uncertain (%)": round(100.0 * float((confidence < threshold).mean()), 1),
    }
    return RenderedStep(STEP, png, describe(result), facts, figure_json(figure), assets)
