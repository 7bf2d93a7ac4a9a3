"""Step 9: 8-connected components of each class's passing pixels, before the size filter."""

from __future__ import annotations

from collections import Counter

import numpy as np

from sitegen.figures.canvas import Panel, compose, draw_labels
from sitegen.figures.hover import hover_grid, labelled_hover
from sitegen.figures.palette import Palette
from sitegen.figures.plotly_json import add_to_layout, figure_json, plotly_names
from sitegen.figures.plotly_layout import class_shapes, photo_figure, points_trace
from sitegen.figures.registry import RenderedStep, step_info
from sitegen.figures.views import (
    class_legend,
    image_frame,
    region_anchor,
    regions_picture,
    ring_small_regions,
)
from sitegen.figures.wording import count, listed, paragraphs
from sitegen.records import PipelineResult, Region

STEP = step_info("09_connected_components")
#: Above this many regions the PNG leaves out the id labels (they would cover the picture).
MAX_LABELLED = 80
#: Regions smaller than this on screen (display px) get a ring so they can be found, unless
#: there are more than MAX_RINGS of them (then rings would hide the picture).
SMALL_ON_SCREEN = 40
MAX_RINGS = 25


def region_text(region: Region, names: list[str]) -> str:
    return f"region {region.id} ({names[region.class_index]}): {region.size:,} px, mean p {region.confidence:.3f}"


def regions_png(
    title: str,
    result: PipelineResult,
    palette: Palette,
    labels: np.ndarray,
    regions: tuple[Region, ...],
    caption: str,
    legend_suffix: dict[int, str],
):
    """Regions in shades of their class colour with their ids; tiny ones ringed."""
    frame = image_frame(result)
    picture = regions_picture(frame, result.image.rgb, labels, regions, palette)
    anchors = {r.id: region_anchor(labels, r) for r in regions}
    sx, sy = frame.scale
    small = [r for r in regions if r.size * sx * sy < SMALL_ON_SCREEN]
    for region in small if len(small) <= MAX_RINGS else []:
        picture = ring_small_regions(picture, frame, [anchors[region.id]], palette.colour(region.class_index))
    if len(regions) <= MAX_LABELLED:
        points = frame.points(np.array([anchors[r.id] for r in regions], float).reshape(-1, 2))
        picture = draw_labels(picture, [(x, y, str(r.id)) for (x, y), r in zip(points, regions)], 13)
    names = result.vocabulary.names
    return compose(
        title,
        [Panel(picture, caption)],
        legend=class_legend(palette, names, range(len(names)), legend_suffix),
        random_weights=result.models.random_weights,
    )


def regions_anchor_traces(
    result: PipelineResult,
    palette: Palette,
    labels: np.ndarray,
    regions: tuple[Region, ...],
    texts: dict[int, str],
) -> list:
    """One marker per region at its anchor pixel, grouped with its class's legend entry."""
    names = plotly_names(result.vocabulary)
    traces = []
    for c in sorted({r.class_index for r in regions}):
        mine = [r for r in regions if r.class_index == c]
        traces.append(
            points_trace(
                np.array([region_anchor(labels, r) for r in mine], float),
                name=f"{names[c]} regions",
                group=names[c],
                colour=palette.hex(c),
                symbol="circle",
                size=7,
                customdata=[[texts[r.id]] for r in mine],
                hovertemplate="%{customdata[0]}",
                showlegend=False,
            )
        )
    return traces


def describe(result: PipelineResult) -> str:
    regions = result.components.regions
    names = result.vocabulary.names
    if not regions:
        return (
            "Connected components of each class's passing pixels (8-connectivity: diagonal neighbours touch). "
            f"No pixel passed min_confidence {result.options.min_confidence:g}, so there are no regions."
        )
    per_class = Counter(r.class_index for r in regions)
    sizes = sorted((r.size for r in regions), reverse=True)
    return paragraphs(
        [
            "Connected components of each class's passing pixels, 8-connectivity (diagonal neighbours touch); "
            "every component gets its own id.",
            f"{count(len(regions), 'region')}: "
            + "; ".join(f"{names[c]} {n}" for c, n in sorted(per_class.items()))
            + ".",
            f"Sizes from {sizes[0]:,} down to {sizes[-1]:,} px (largest first: {listed(sizes, 8)}).",
        ]
    )


def render(result: PipelineResult, palette: Palette) -> RenderedStep:
    components = result.components
    names = result.vocabulary.names
    regions = components.regions
    per_class = Counter(r.class_index for r in regions)
    png = regions_png(
        f"Step 9 - {STEP.title} ({count(len(regions), 'region')})",
        result,
        palette,
        components.labels,
        regions,
        "each region in a shade of its class colour, with its id",
        {c: f" ({count(per_class.get(c, 0), 'region')})" for c in range(len(names))},
    )
    names = plotly_names(result.vocabulary)  # Plotly text from here on: the figure
    figure, assets = photo_figure(result, f"{count(len(regions), 'region')} (hover for id, class, size)")
    passing = result.thresholding.passing
    add_to_layout(
        figure,
        "shapes",
        class_shapes([(c, passing & (result.dense.prediction == c)) for c in sorted(per_class)], palette, names),
    )
    texts = {r.id: region_text(r, names) for r in regions}
    figure["data"] += regions_anchor_traces(result, palette, components.labels, regions, texts)
    grid = hover_grid(*components.labels.shape, 1)
    groups = {r.id: names[r.class_index] for r in regions}
    figure["data"] += labelled_hover(grid, components.labels, texts, groups=groups)
    facts = {"regions": len(regions), "connectivity": 8}
    if regions:
        facts.update(
            {"largest (px)": max(r.size for r in regions), "smallest (px)": min(r.size for r in regions)}
        )
    return RenderedStep(STEP, png, describe(result), facts, figure_json(figure), assets)
