"""Step 11: positive points, one set per kept region: the pixel nearest the centroid, then
farthest-point samples."""

from __future__ import annotations

import numpy as np

from sitegen.figures.canvas import LegendItem, Panel, compose, draw_markers
from sitegen.figures.memo import remember_last
from sitegen.figures.outlines import class_paths
from sitegen.figures.overlay import POSITIVE_GREEN
from sitegen.figures.palette import Palette
from sitegen.figures.plotly_json import add_to_layout, figure_json, plotly_names
from sitegen.figures.plotly_layout import path_shapes, photo_figure, points_trace
from sitegen.figures.registry import RenderedStep, step_info
from sitegen.figures.views import class_legend, image_frame, prompts_backdrop
from sitegen.figures.wording import count, no_prompts_reason, paragraphs
from sitegen.records import PipelineResult

STEP = step_info("11_positive_prompts")
GREEN_HEX = "#00aa3c"


def point_roles(k: int) -> list[str]:
    return ["nearest the centroid" if i == 0 else f"farthest-point sample {i}" for i in range(k)]


def kept_class_shapes(result: PipelineResult, palette: Palette, opacity: float = 0.3) -> list[dict]:
    """Filled shapes of the kept regions, one per class with a legend entry."""
    return path_shapes(kept_class_paths(result), palette, plotly_names(result.vocabulary), opacity)


@remember_last
def kept_class_paths(result: PipelineResult) -> list[tuple[int, str]]:
    """(class, outline of its kept regions): traced once per run, steps 10 to 13 all show them."""
    kept = result.size_filter.kept
    classes = sorted({r.class_index for r in kept})
    masks = [np.isin(result.size_filter.labels, [r.id for r in kept if r.class_index == c]) for c in classes]
    return list(zip(classes, class_paths(masks)))


def describe(result: PipelineResult) -> str:
    points = result.points
    k = result.options.points_per_cluster
    if not points:
        return no_prompts_reason(result)
    total = sum(len(rp.positive) for rp in points)
    lines = [
        f"points_per_cluster {k}: in each kept region the first point is the region pixel nearest the region's "
        "centroid (always inside the region, unlike the centroid itself)"
        + (", the others are chosen by farthest-point sampling over the region's pixels." if k > 1 else "."),
        f"{count(len(points), 'region')} gave {count(total, 'positive point')}.",
    ]
    short = [rp for rp in points if len(rp.positive) < k]
    if short:
        lines.append(f"{count(len(short), 'region')} had fewer than {k} pixels and got one point per pixel.")
    return paragraphs(lines)


def render(result: PipelineResult, palette: Palette) -> RenderedStep:
    names = result.vocabulary.names
    frame = image_frame(result)
    points = result.points
    picture = prompts_backdrop(frame, result, palette)
    firsts = np.array([rp.positive[0] for rp in points], float).reshape(-1, 2)
    others = np.concatenate([rp.positive[1:] for rp in points] or [np.zeros((0, 2))]).reshape(-1, 2)
    picture = draw_markers(picture, frame.points(others), "circle", [POSITIVE_GREEN] * len(others), 5)
    picture = draw_markers(picture, frame.points(firsts), "circle", [POSITIVE_GREEN] * len(firsts), 8)
    total = sum(len(rp.positive) for rp in points)
    classes = sorted({rp.class_index for rp in points})
    png = compose(
        f"Step 11 - {STEP.title} ({count(total, 'point')})",
        [
            Panel(
                picture,
                f"points_per_cluster {result.options.points_per_cluster}" if points else "no positive points",
            )
        ],
        legend=(
            LegendItem("nearest the centroid", POSITIVE_GREEN, "circle"),
            LegendItem("farthest-point samples (small)", POSITIVE_GREEN, "circle"),
        )
        + class_legend(palette, names, classes),
        random_weights=result.models.random_weights,
    )
    names = plotly_names(result.vocabulary)  # Plotly text from here on: the figure
    figure, assets = photo_figure(
        result, f"{count(total, 'positive point')} (hover for class, region, confidence)"
    )
    add_to_layout(figure, "shapes", kept_class_shapes(result, palette))
    for c in classes:
        mine = [rp for rp in points if rp.class_index == c]
        figure["data"].append(
            points_trace(
                np.concatenate([rp.positive for rp in mine]),
                name=f"{names[c]} points",
                group=names[c],
                colour=GREEN_HEX,
                line_colour=palette.hex(c),
                symbol="circle",
                customdata=[
                    [rp.region_id, round(rp.confidence, 3), role]
                    for rp in mine
                    for role in point_roles(len(rp.positive))
                ],
                hovertemplate=f"positive point of {names[c]}<br>"
                "region %{customdata[0]}, confidence %{customdata[1]:.3f}<br>%{customdata[2]}",
                showlegend=False,
            )
        )
    facts = {
        "points_per_cluster": result.options.points_per_cluster,
        "regions": len(points),
        "positive points": total,
    }
    return RenderedStep(STEP, png, describe(result), facts, figure_json(figure), assets)
