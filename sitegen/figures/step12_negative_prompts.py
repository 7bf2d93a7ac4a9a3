"""Step 12: negative points: confident pixels of other classes, away from the region they serve."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from sitegen.figures.canvas import LegendItem, Panel, compose, draw_markers
from sitegen.figures.overlay import Frame
from sitegen.figures.palette import Palette
from sitegen.figures.plotly_json import add_to_layout, figure_json, plotly_names
from sitegen.figures.plotly_layout import photo_figure, points_trace
from sitegen.figures.registry import RenderedStep, step_info
from sitegen.figures.step11_positive_prompts import kept_class_shapes
from sitegen.figures.views import class_legend, image_frame, prompts_backdrop
from sitegen.figures.wording import count, no_prompts_reason, paragraphs
from sitegen.options import NEGATIVE_MIN_DISTANCE
from sitegen.records import PipelineResult, RegionPoints

STEP = step_info("12_negative_prompts")
LINK_GREY = (90, 90, 90)


def negative_links(points: tuple[RegionPoints, ...]) -> list[tuple[np.ndarray, np.ndarray]]:
    """(negative point, the region's first positive point) pairs, in source XY."""
    return [(neg, rp.positive[0]) for rp in points for neg in rp.negative]


def describe(result: PipelineResult) -> str:
    options = result.options
    n = options.negative_points_per_cluster
    if not result.points:
        return no_prompts_reason(result)
    if n == 0:
        return "Negative points are off (negative_points_per_cluster 0): SAM gets only positive points."
    total = sum(len(rp.negative) for rp in result.points)
    without = [rp for rp in result.points if len(rp.negative) == 0]
    fewer = [rp for rp in result.points if 0 < len(rp.negative) < n]
    lines = [
        f"negative_points_per_cluster {n}: candidates are pixels whose winning class is another class with "
        f"probability at least negative_confidence_threshold {options.negative_confidence_threshold:g}, lying at "
        f"least {NEGATIVE_MIN_DISTANCE:g} px from the region. The first is the candidate nearest the region, the "
        "rest farthest-point samples. Each cross is coloured by the class it lies on; a thin line joins it to its region.",
        f"{count(total, 'negative point')} for {count(len(result.points), 'region')}.",
    ]
    if without:
        lines.append(f"{count(len(without), 'region')} had no candidates and got no negative points.")
    if fewer:
        lines.append(f"{count(len(fewer), 'region')} had fewer than {n} candidates and got fewer points.")
    return paragraphs(lines)


def _draw_links(picture: np.ndarray, frame: Frame, links) -> np.ndarray:
    canvas = Image.fromarray(picture)
    draw = ImageDraw.Draw(canvas)
    for neg, pos in links:
        (x0, y0), (x1, y1) = frame.points(np.array([neg, pos], float))
        draw.line((x0, y0, x1, y1), fill=LINK_GREY, width=1)
    return np.asarray(canvas)


def render(result: PipelineResult, palette: Palette) -> RenderedStep:
    names = result.vocabulary.names
    frame = image_frame(result)
    points = result.points
    picture = prompts_backdrop(frame, result, palette)
    negatives = np.concatenate([rp.negative for rp in points] or [np.zeros((0, 2))]).reshape(-1, 2)
    sources = np.concatenate([rp.negative_classes for rp in points] or [np.zeros(0, np.int32)]).astype(int)
    picture = _draw_links(picture, frame, negative_links(points))
    picture = draw_markers(picture, frame.points(negatives), "cross", [palette.colour(c) for c in sources], 7)
    source_classes = sorted(set(sources.tolist()))
    message = describe(result) if points and not len(negatives) else ""
    png = compose(
        f"Step 12 - {STEP.title} ({count(len(negatives), 'point')})",
        [Panel(picture, f"negative_points_per_cluster {result.options.negative_points_per_cluster}")],
        legend=tuple(LegendItem(f"on {names[c]}", palette.colour(c), "cross") for c in source_classes)
        + class_legend(
            palette,
            names,
            sorted({rp.class_index for rp in points}),
            {c: " region" for c in range(len(names))},
        ),
        notes=(message,) if message else (),
        random_weights=result.models.random_weights,
    )
    names = plotly_names(result.vocabulary)  # Plotly text from here on: the figure
    figure, assets = photo_figure(
        result, f"{count(len(negatives), 'negative point')}, coloured by the class they lie on"
    )
    add_to_layout(figure, "shapes", kept_class_shapes(result, palette, opacity=0.25))
    links = negative_links(points)
    if links:
        figure["data"].append(
            {
                "type": "scatter",
                "x": [v for neg, pos in links for v in (float(neg[0]) + 0.5, float(pos[0]) + 0.5, None)],
                "y": [v for neg, pos in links for v in (float(neg[1]) + 0.5, float(pos[1]) + 0.5, None)],
                "mode": "lines",
                "line": {"color": "#5a5a5a", "width": 1},
                "hoverinfo": "skip",
                "showlegend": False,
            }
        )
    probability = result.dense.confidence
    for c in source_classes:
        rows = [(rp, xy) for rp in points for xy, src in zip(rp.negative, rp.negative_classes) if src == c]
        figure["data"].append(
            points_trace(
                np.array([xy for _, xy in rows], float),
                name=f"on {names[c]}",
                colour=palette.hex(c),
                symbol="x",
                customdata=[
                    [
                        rp.region_id,
                        names[rp.class_index],
                        round(float(probability[int(xy[1]), int(xy[0])]), 3),
                        rp.negative_candidates,
                    ]
                    for rp, xy in rows
                ],
                hovertemplate=f"negative point on {names[c]} (p %{{customdata[2]:.3f}})<br>"
                "for region %{customdata[0]} (%{customdata[1]})<br>%{customdata[3]:,} candidates",
            )
        )
    facts = {
        "negative_points_per_cluster": result.options.negative_points_per_cluster,
        "negative_confidence_threshold": result.options.negative_confidence_threshold,
        "negative points": len(negatives),
        "regions without candidates": sum(1 for rp in points if rp.negative_candidates == 0),
    }
    return RenderedStep(STEP, png, describe(result), facts, figure_json(figure), assets)
