"""Step 18: Raw | SCLIP | confidences | final side by side; zooming one zooms all."""

from __future__ import annotations

import numpy as np

from sitegen.figures.canvas import Panel, compose
from sitegen.figures.class_maps import viridis_bar
from sitegen.figures.hover import hover_grid, hover_trace
from sitegen.figures.overlay import colourise, heatmap
from sitegen.figures.palette import Palette
from sitegen.figures.picture_assets import (
    PHOTO_ASSET,
    encode_indexed,
    heatmap_asset,
    layer_frame,
    photo_asset,
)
from sitegen.figures.plotly_json import figure_json, plotly_names
from sitegen.figures.plotly_layout import layout_image, linked_panels_layout
from sitegen.figures.registry import RenderedStep, step_info
from sitegen.figures.views import class_legend, class_overlay, panel_frame
from sitegen.figures.wording import paragraphs, percent
from sitegen.records import PipelineResult

STEP = step_info("18_comparison_grid")
TITLES = ("Raw image", "SCLIP argmax", "Confidence", "Final segmentation")
#: Each of the four hover grids holds this share of the usual hover budget.
HOVER_SHARE = 16


def comparison_columns(height: int, width: int) -> int:
    """4 in a row for landscape images, 2 x 2 for portrait ones, stacked for very wide ones."""
    aspect = width / height
    return 1 if aspect > 4 else (4 if aspect >= 1 else 2)


def class_layer(labels: np.ndarray, palette: Palette, alpha: int = 150) -> np.ndarray:
    """(H, W, 4) uint8 class colours at a fixed opacity, to lay over the photo."""
    return np.dstack([colourise(labels, palette), np.full(labels.shape, alpha, np.uint8)])


def describe(result: PipelineResult) -> str:
    final, prediction = result.final, result.dense.prediction
    changed = int((final.labels != prediction).sum())
    return paragraphs(
        [
            "The whole pipeline at a glance: the input, SCLIP's argmax, SCLIP's confidence (probability of the "
            "winning class) and the final segmentation after SAM's masks were painted in.",
            f"SAM refined {percent(int((final.source >= 0).sum()), final.labels.size)} of the pixels and changed the "
            f"class of {changed:,} ({percent(changed, final.labels.size)}). In the interactive view the four panels "
            "share their axes: zoom or pan one and the others follow.",
        ]
    )


def _figure(result: PipelineResult, palette: Palette) -> tuple[dict, dict[str, bytes]]:
    height, width = result.image.height, result.image.width
    names = plotly_names(result.vocabulary)
    confidence = result.dense.confidence
    frame = layer_frame(height, width)
    assets = {
        PHOTO_ASSET: photo_asset(result.image.rgb),
        "sclip_layer": encode_indexed(class_layer(frame.sample(result.dense.prediction), palette)),
        "confidence": heatmap_asset(confidence, 0.0, 1.0),
        "final_layer": encode_indexed(class_layer(frame.sample(result.final.labels), palette)),
    }
    layout = linked_panels_layout("Comparison (zoom one panel, all follow)", width, height, list(TITLES), columns=2)
    layout["images"] = [layout_image(PHOTO_ASSET, width, height, axes=a) for a in ("", "2", "4")] + [
        layout_image("sclip_layer", width, height, axes="2"),
        layout_image("confidence", width, height, axes="3"),
        layout_image("final_layer", width, height, axes="4"),
    ]
    grid = hover_grid(height, width, 3 * HOVER_SHARE)
    data = [
        [[names[s], p, names[f]] for s, p, f in zip(*rows)]
        for rows in zip(
            grid.sample(result.dense.prediction).tolist(),
            np.round(grid.sample(confidence), 3).tolist(),
            grid.sample(result.final.labels).tolist(),
        )
    ]
    text = "x %{x:.1f}, y %{y:.1f}<br>SCLIP: %{customdata[0]} (%{customdata[1]:.3f})<br>final: %{customdata[2]}"
    traces = [hover_trace(grid, data, text, axes=a) for a in ("", "2", "3", "4")]
    return figure_json({"data": traces, "layout": layout}), assets


def render(result: PipelineResult, palette: Palette) -> RenderedStep:
    height, width = result.image.height, result.image.width
    names = result.vocabulary.names
    columns = comparison_columns(height, width)
    frame = panel_frame(height, width, columns)
    rgb = result.image.rgb
    panels = [
        Panel(frame.photo(rgb), TITLES[0]),
        Panel(class_overlay(frame, rgb, result.dense.prediction, palette), TITLES[1]),
        Panel(heatmap(frame.sample(result.dense.confidence), 0.0, 1.0), TITLES[2]),
        Panel(class_overlay(frame, rgb, result.final.labels, palette), TITLES[3]),
    ]
    png = compose(
        f"Step 18 - {STEP.title}: Raw | SCLIP | Confidences | Final",
        panels,
        columns=columns,
        colour_bar=viridis_bar("confidence", (0.0, 1.0)),
        legend=class_legend(palette, names, range(len(names))),
        random_weights=result.models.random_weights,
    )
    figure, assets = _figure(result, palette)
    facts = {
        "pixels refined by SAM (%)": round(100.0 * float((result.final.source >= 0).mean()), 1),
        "pixels changed (%)": round(
            100.0 * float((result.final.labels != result.dense.prediction).mean()), 1
        ),
        "mean confidence": round(float(result.dense.confidence.mean()), 3),
    }
    return RenderedStep(STEP, png, describe(result), facts, figure, assets)
