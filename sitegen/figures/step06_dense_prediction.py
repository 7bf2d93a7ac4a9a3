"""Step 6: SCLIP's dense prediction, the argmax over classes at every pixel."""

from __future__ import annotations

import numpy as np

from sitegen.figures.canvas import Panel, compose
from sitegen.figures.hover import hover_grid, labelled_hover
from sitegen.figures.overlay import colourise
from sitegen.figures.palette import Palette
from sitegen.figures.plotly_json import add_to_layout, figure_json, plotly_names
from sitegen.figures.plotly_layout import class_shapes, photo_figure
from sitegen.figures.registry import RenderedStep, step_info
from sitegen.figures.views import class_overlay, class_share_legend, grid_columns, panel_frame
from sitegen.figures.wording import paragraphs, percent
from sitegen.records import PipelineResult

STEP = step_info("06_dense_prediction")


def class_shares(labels: np.ndarray, num_classes: int) -> np.ndarray:
    """(C,) int64 pixel count of each class in an (H, W) class map."""
    return np.bincount(labels.ravel(), minlength=num_classes)[:num_classes]


def labelled_class_figure(
    result: PipelineResult,
    palette: Palette,
    labels: np.ndarray,
    title: str,
    hover_labels: np.ndarray,
    hover_texts: dict[int, str],
    hover_classes: dict[int, int],
    values: np.ndarray | None = None,
    value_template: str = "",
):
    """Photo, one toggleable shape per class of ``labels`` and a hover text per labelled area.

    ``hover_labels`` (H, W) int splits the image into areas with text ``hover_texts[label]`` and
    class ``hover_classes[label]`` (the legend group); ``values`` (H, W, V) adds per-pixel numbers
    that ``value_template`` reads. Shared by step 6 and step 17.
    """
    names = plotly_names(result.vocabulary)
    figure, assets = photo_figure(result, title)
    present = [int(c) for c in np.unique(labels)]
    add_to_layout(figure, "shapes", class_shapes([(c, labels == c) for c in present], palette, names))
    value_count = 0 if values is None else values.shape[2]
    grid = hover_grid(*labels.shape, 3 + value_count)  # a text costs about three numbers
    figure["data"] += labelled_hover(
        grid,
        hover_labels,
        hover_texts,
        groups={label: names[c] for label, c in hover_classes.items()},
        values=None if values is None else grid.sample(values),
        prefix="x %{x:.1f}, y %{y:.1f}<br>",
        value_template=value_template,
    )
    return figure_json(figure), assets


def describe(result: PipelineResult) -> str:
    prediction = result.dense.prediction
    counts = class_shares(prediction, len(result.vocabulary))
    order = np.argsort(-counts)
    names = result.vocabulary.names
    shares = "; ".join(f"{names[c]} {percent(counts[c], prediction.size)}" for c in order[:10] if counts[c])
    absent = [names[c] for c in range(len(names)) if counts[c] == 0]
    lines = [
        "Each pixel takes the class with the highest probability (the argmax over classes), before any "
        f"confidence threshold. Share of pixels: {shares}"
        + (" and more." if (counts > 0).sum() > 10 else "."),
    ]
    if absent:
        lines.append(
            f"Never the winner anywhere: {', '.join(absent[:10])}"
            + (f" and {len(absent) - 10} more." if len(absent) > 10 else ".")
        )
    return paragraphs(lines)


def render(result: PipelineResult, palette: Palette) -> RenderedStep:
    prediction = result.dense.prediction
    names = result.vocabulary.names
    counts = class_shares(prediction, len(names))
    columns = grid_columns(2, *prediction.shape)
    frame = panel_frame(*prediction.shape, columns)
    png = compose(
        f"Step 6 - {STEP.title} (argmax)",
        [
            Panel(colourise(frame.sample(prediction), palette), "argmax class map"),
            Panel(class_overlay(frame, result.image.rgb, prediction, palette), "over the image"),
        ],
        columns=columns,
        legend=class_share_legend(palette, names, counts, prediction.size),
        random_weights=result.models.random_weights,
    )
    figure, assets = labelled_class_figure(
        result,
        palette,
        prediction,
        "Argmax class map (click a legend entry to toggle a class)",
        prediction,
        {c: f"class: {name}" for c, name in enumerate(plotly_names(result.vocabulary))},
        {c: c for c in range(len(names))},
        result.dense.confidence[..., None],
        "<br>probability: %{customdata[0]:.3f}",
    )
    facts = {"classes present": int((counts > 0).sum())}
    facts.update(
        {
            f"{names[c]} (% px)": round(100.0 * int(counts[c]) / prediction.size, 1)
            for c in np.argsort(-counts)[:8]
            if counts[c]
        }
    )
    return RenderedStep(STEP, png, describe(result), facts, figure, assets)
