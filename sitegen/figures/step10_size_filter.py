"""Step 10: the region size filter: regions below min_region_size are dropped."""

from __future__ import annotations

import numpy as np

from sitegen.figures.canvas import LegendItem, Panel, compose
from sitegen.figures.hover import hover_grid, labelled_hover
from sitegen.figures.outlines import class_paths
from sitegen.figures.overlay import DROPPED_RED, hatch, outline, paint
from sitegen.figures.palette import Palette
from sitegen.figures.plotly_json import add_to_layout, figure_json, plotly_names
from sitegen.figures.plotly_layout import outline_shape, photo_figure, points_trace
from sitegen.figures.registry import RenderedStep, step_info
from sitegen.figures.step09_connected_components import (
    MAX_RINGS,
    SMALL_ON_SCREEN,
    region_text,
    regions_anchor_traces,
)
from sitegen.figures.step11_positive_prompts import kept_class_shapes
from sitegen.figures.views import (
    class_legend,
    grid_columns,
    panel_frame,
    region_anchor,
    regions_picture,
    ring_small_regions,
)
from sitegen.figures.wording import count, listed, paragraphs
from sitegen.records import PipelineResult

STEP = step_info("10_size_filter")


def describe(result: PipelineResult) -> str:
    size_filter = result.size_filter
    limit = size_filter.min_region_size
    kept, dropped = size_filter.kept, size_filter.dropped
    if not kept and not dropped:
        return (
            f"min_region_size {limit} px. There were no regions to filter: no pixel passed "
            f"min_confidence {result.options.min_confidence:g}."
        )
    lines = [
        f"Regions with fewer than min_region_size {limit} px are dropped as noise; the rest go on to become prompts."
    ]
    if dropped:
        sizes = sorted((r.size for r in dropped), reverse=True)
        lines.append(
            f"{count(len(dropped), 'region')} smaller than {limit} px "
            f"{'was' if len(dropped) == 1 else 'were'} dropped (sizes {listed(sizes)}); {count(len(kept), 'region')} kept."
        )
    else:
        lines.append(
            f"Every region has at least {limit} px: all {count(len(kept), 'region')} kept, none dropped."
        )
    if kept:
        lines.append(f"The smallest kept region has {min(r.size for r in kept):,} px.")
    return paragraphs(lines)


def _png(result: PipelineResult, palette: Palette) -> bytes:
    components, size_filter = result.components, result.size_filter
    names = result.vocabulary.names
    columns = grid_columns(2, *components.labels.shape)
    frame = panel_frame(*components.labels.shape, columns)
    before = regions_picture(frame, result.image.rgb, components.labels, components.regions, palette)
    after = regions_picture(frame, result.image.rgb, size_filter.labels, size_filter.kept, palette)
    dropped_ids = [r.id for r in size_filter.dropped]
    dropped = frame.sample(np.isin(components.labels, dropped_ids))
    after = paint(after, dropped, DROPPED_RED, 0.25)
    after = paint(after, hatch(dropped, 6) | outline(dropped), DROPPED_RED)
    sx, sy = frame.scale
    small = [
        region_anchor(components.labels, r) for r in size_filter.dropped if r.size * sx * sy < SMALL_ON_SCREEN
    ]
    if len(small) <= MAX_RINGS:
        after = ring_small_regions(after, frame, small, DROPPED_RED)
    limit = size_filter.min_region_size
    return compose(
        f"Step 10 - {STEP.title}: min_region_size {limit} px",
        [
            Panel(before, f"before: {count(len(components.regions), 'region')}"),
            Panel(after, f"after: {len(size_filter.kept)} kept, {len(size_filter.dropped)} dropped (red)"),
        ],
        columns=columns,
        legend=class_legend(palette, names, range(len(names)))
        + (LegendItem(f"dropped (< {limit} px)", DROPPED_RED, "outline"),),
        random_weights=result.models.random_weights,
    )


def _figure(result: PipelineResult, palette: Palette) -> tuple[dict, dict[str, bytes]]:
    components, size_filter = result.components, result.size_filter
    names = plotly_names(result.vocabulary)
    limit = size_filter.min_region_size
    figure, assets = photo_figure(
        result,
        f"min_region_size {limit} px: {len(size_filter.kept)} kept, {len(size_filter.dropped)} dropped",
    )
    shapes = kept_class_shapes(result, palette, opacity=0.5)
    if size_filter.dropped:
        dropped_path = class_paths([np.isin(components.labels, [r.id for r in size_filter.dropped])])[0]
        shapes.append(outline_shape(dropped_path, "#d7191c", name=f"dropped (< {limit} px)", dash="dot"))
    add_to_layout(figure, "shapes", shapes)
    texts = {r.id: region_text(r, names) + "<br>kept" for r in size_filter.kept}
    texts.update({r.id: region_text(r, names) + f"<br>dropped (< {limit} px)" for r in size_filter.dropped})
    figure["data"] += regions_anchor_traces(result, palette, components.labels, size_filter.kept, texts)
    if size_filter.dropped:
        figure["data"].append(
            points_trace(
                np.array([region_anchor(components.labels, r) for r in size_filter.dropped], float),
                name=f"dropped (< {limit} px)",
                colour="#d7191c",
                symbol="x",
                size=9,
                customdata=[[texts[r.id]] for r in size_filter.dropped],
                hovertemplate="%{customdata[0]}",
                showlegend=False,
            )
        )
    grid = hover_grid(*components.labels.shape, 1)
    groups = {r.id: names[r.class_index] for r in components.regions}
    figure["data"] += labelled_hover(grid, components.labels, texts, groups=groups)
    return figure_json(figure), assets


def render(result: PipelineResult, palette: Palette) -> RenderedStep:
    size_filter = result.size_filter
    figure, assets = _figure(result, palette)
    facts = {
        "min_region_size (px)": size_filter.min_region_size,
        "regions before": len(result.components.regions),
        "kept": len(size_filter.kept),
        "dropped": len(size_filter.dropped),
    }
    return RenderedStep(STEP, _png(result, palette), describe(result), facts, figure, assets)
