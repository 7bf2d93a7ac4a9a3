"""The per-class view (``--per-class-details``): one class followed through every stage.

One composed PNG (confidence map, components, size filter, prompt points, final mask, the
confidence histogram, the region sizes and the SAM candidates of the class's prompts) and three
interactive figures: ``confidence``, ``prompts`` and ``statistics``.
"""

from __future__ import annotations

import numpy as np

from sitegen.figures.canvas import LegendItem, Panel, compose
from sitegen.figures.charts import bar_chart, histogram_chart, table_image
from sitegen.figures.class_maps import class_map_frame, viridis_bar
from sitegen.figures.hover import hover_grid, hover_trace
from sitegen.figures.outlines import class_paths
from sitegen.figures.overlay import (
    DROPPED_RED,
    NEGATIVE_RED,
    POSITIVE_GREEN,
    Frame,
    hatch,
    heatmap,
    outline,
    paint,
)
from sitegen.figures.palette import Palette
from sitegen.figures.picture_assets import heatmap_png
from sitegen.figures.plotly_json import add_to_layout, figure_json, plotly_text, rounded
from sitegen.figures.plotly_layout import (
    FONT,
    NO_TEMPLATE,
    colour_bar_trace,
    image_layout,
    layout_image,
    outline_shape,
    photo_figure,
    points_trace,
)
from sitegen.figures.registry import ClassDetails
from sitegen.figures.shown_classes import shown_classes
from sitegen.figures.step14_sam_candidates import CELL_SIDE, candidate_picture, crop_box
from sitegen.pipeline.mask_selection import SHOWN_CANDIDATE_PROMPTS
from sitegen.figures.views import draw_prompts, message_picture, panel_frame, regions_picture
from sitegen.figures.wording import count, percent
from sitegen.records import PipelineResult

COLUMNS = 3
#: The PNG shows the candidates of at most this many of the class's prompts.
PNG_PROMPTS = 4
BINS = 40
GREEN_HEX, RED_HEX = "#00aa3c", "#dc141e"


def class_facts(result: PipelineResult, c: int) -> dict[str, str | int | float]:
    """Key numbers of class ``c`` in this run."""
    argmax = result.dense.prediction == c
    prompts = [p for p in result.candidates.prompts if p.class_index == c]
    suppressed = {s.prompt_index for s in result.overlap.suppressed}
    return {
        "argmax pixels (%)": round(100.0 * float(argmax.mean()), 1),
        "mean probability where argmax": (
            round(float(result.dense.confidence[argmax].mean()), 3) if argmax.any() else 0.0
        ),
        "passing pixels": int(result.thresholding.pixels_per_class[c]),
        "regions": sum(r.class_index == c for r in result.components.regions),
        "kept regions": sum(r.class_index == c for r in result.size_filter.kept),
        "dropped regions": sum(r.class_index == c for r in result.size_filter.dropped),
        "positive points": sum(len(rp.positive) for rp in result.points if rp.class_index == c),
        "negative points": sum(len(rp.negative) for rp in result.points if rp.class_index == c),
        "prompts": len(prompts),
        "suppressed masks": sum(p.index in suppressed for p in prompts),
        "final pixels (%)": round(100.0 * float((result.final.labels == c).mean()), 1),
    }


def _pictures(result: PipelineResult, palette: Palette, c: int, frame: Frame) -> list[Panel]:
    name = result.vocabulary.names[c]
    colour = palette.colour(c)
    rgb = result.image.rgb
    regions = tuple(r for r in result.components.regions if r.class_index == c)
    kept = tuple(r for r in result.size_filter.kept if r.class_index == c)
    dropped_ids = [r.id for r in result.size_filter.dropped if r.class_index == c]
    components = regions_picture(frame, rgb, result.components.labels, regions, palette)
    filtered = regions_picture(frame, rgb, result.size_filter.labels, kept, palette)
    lost = frame.sample(np.isin(result.components.labels, dropped_ids))
    filtered = paint(filtered, hatch(lost, 6) | outline(lost), DROPPED_RED)
    prompts = [p for p in result.candidates.prompts if p.class_index == c]
    if prompts:
        xy = np.concatenate([p.points for p in prompts])
        labels = np.concatenate([p.labels for p in prompts])
        points = draw_prompts(filtered.copy(), frame, xy, labels)
    else:
        points = message_picture(frame, rgb, f"No prompts for {name}.")
    final = frame.sample(result.final.labels == c)
    final_picture = paint(paint(frame.photo(rgb), final, colour, 0.5), outline(final), colour)
    return [
        Panel(heatmap(result.dense.scores.probabilities_at(*frame.pixels())[..., c], 0.0, 1.0), f"probability of {name}"),
        Panel(components, f"connected components: {len(regions)}"),
        Panel(filtered, f"size filter: {len(kept)} kept, {len(dropped_ids)} dropped (red)"),
        Panel(points, f"prompt points: {count(len(prompts), 'prompt')}"),
        Panel(
            final_picture,
            f"final mask: {percent(int((result.final.labels == c).sum()), result.final.labels.size)} of pixels",
        ),
    ]


def _charts(result: PipelineResult, palette: Palette, c: int, size: tuple[int, int]) -> list[Panel]:
    colour = palette.colour(c)
    argmax = result.dense.prediction == c
    counts, edges = np.histogram(result.dense.confidence[argmax], bins=BINS, range=(0.0, 1.0))
    threshold = result.options.min_confidence
    histogram = histogram_chart(
        counts,
        edges,
        size,
        colour=colour,
        xlabel=f"probability where {result.vocabulary.names[c]} wins",
        threshold=threshold,
        threshold_label=f"min_confidence {threshold:g}",
    )
    regions = sorted((r for r in result.components.regions if r.class_index == c), key=lambda r: -r.size)
    limit = result.options.min_region_size
    sizes = bar_chart(
        np.array([r.size for r in regions], float),
        [colour if r.size >= limit else DROPPED_RED for r in regions],
        size,
        xlabel="regions, largest first",
        ylabel="pixels (log)",
        threshold=limit,
        threshold_label=f"min_region_size {limit}",
    )
    return [Panel(histogram, "confidence histogram"), Panel(sizes, f"region sizes ({len(regions)} regions)")]


def _with_candidates(result: PipelineResult, c: int) -> list:
    """The prompts of class ``c`` whose three candidates the run kept (those step 14 shows)."""
    return [p for p in result.candidates.prompts if p.class_index == c and p.index in result.candidates.masks]


def _candidates(result: PipelineResult, palette: Palette, c: int) -> list[Panel]:
    prompts = sorted(_with_candidates(result, c), key=lambda p: -p.confidence)[:PNG_PROMPTS]
    panels = []
    for prompt in prompts:
        box = crop_box(result.candidates.masks[prompt.index], prompt.points, result.candidates.masks.image_shape)
        frame = Frame.fit(box[3] - box[1], box[2] - box[0], CELL_SIDE, CELL_SIDE)
        best = int(result.selection.best[prompt.index])
        for k in range(3):
            score = result.candidates.scores[prompt.index, k]
            caption = f"prompt {prompt.index}, candidate {k}: {score:.3f}" + (
                " (chosen)" if k == best else ""
            )
            panels.append(Panel(candidate_picture(result, palette, prompt, k, frame, box), caption))
    return panels


def _png(result: PipelineResult, palette: Palette, c: int) -> bytes:
    names = result.vocabulary.names
    frame = panel_frame(result.image.height, result.image.width, COLUMNS)
    chart_size = (max(220, min(frame.size[0], 360)), max(360, frame.size[1]))
    facts = [
        [label, f"{value:,}" if isinstance(value, int) else str(value)]
        for label, value in class_facts(result, c).items()
    ]
    table = Panel(table_image(["statistic", "value"], facts, max_width=chart_size[1], size=13), "statistics")
    overview = _pictures(result, palette, c, frame) + _charts(result, palette, c, chart_size) + [table]
    candidates = _candidates(result, palette, c)
    prompts = sum(p.class_index == c for p in result.candidates.prompts)
    shown = min(PNG_PROMPTS, len(_with_candidates(result, c)))
    notes = (
        (
            f"SAM candidates shown for {shown} of {prompts} prompts: the most confident among those whose "
            f"candidates step 14 keeps (the prompts of the {SHOWN_CANDIDATE_PROMPTS} most confident regions).",
        )
        if prompts > shown
        else ()
    )
    return compose(
        f"Class {c}: {names[c]}",
        overview + candidates,
        columns=COLUMNS,
        breaks=(len(overview),),
        colour_bar=viridis_bar(
            f"probability of {names[c]}",
            (0.0, 1.0),
            ((result.options.min_confidence, f"min_confidence {result.options.min_confidence:g}"),),
        ),
        legend=(
            LegendItem(names[c], palette.colour(c)),
            LegendItem("dropped / below threshold", DROPPED_RED, "outline"),
            LegendItem("positive point", POSITIVE_GREEN, "circle"),
            LegendItem("negative point", NEGATIVE_RED, "cross"),
        ),
        notes=notes,
        random_weights=result.models.random_weights,
    )


def _confidence_figure(result: PipelineResult, c: int) -> tuple[dict, dict[str, bytes]]:
    height, width = result.image.height, result.image.width
    name = plotly_text(result.vocabulary.names[c])
    layout = {
        **image_layout(width, height, f"Probability of {name}"),
        "images": [layout_image("class_confidence", width, height)],
    }
    grid = hover_grid(height, width, 1)
    probability = result.dense.scores.probabilities_at
    asset = class_map_frame(height, width, len(shown_classes(result).indices))  # step 5's picture of it
    data = [
        hover_trace(
            grid,
            rounded(probability(*grid.pixels())[..., c : c + 1]),
            f"x %{{x:.1f}}, y %{{y:.1f}}<br>p({name}) = %{{customdata[0]:.3f}}",
        ),
        colour_bar_trace(0.0, 1.0, "probability"),
    ]
    return figure_json({"data": data, "layout": layout}), {
        "class_confidence": heatmap_png(probability(*asset.pixels())[..., c], 0.0, 1.0)
    }


def _prompts_figure(result: PipelineResult, palette: Palette, c: int) -> tuple[dict, dict[str, bytes]]:
    name = plotly_text(result.vocabulary.names[c])
    figure, assets = photo_figure(result, f"{name}: regions, prompts and chosen masks")
    kept = [r.id for r in result.size_filter.kept if r.class_index == c]
    dropped = [r.id for r in result.size_filter.dropped if r.class_index == c]
    prompts = [p for p in result.candidates.prompts if p.class_index == c]
    suppressed = {s.prompt_index: s for s in result.overlap.suppressed}
    masks = [np.isin(result.size_filter.labels, kept), np.isin(result.components.labels, dropped)]
    masks += [result.selection.masks[p.index] for p in prompts]
    paths = class_paths(masks)
    shapes = []
    if paths[0]:
        shapes.append(
            {
                **outline_shape(paths[0], palette.hex(c), name="kept regions"),
                "fillcolor": palette.hex(c),
                "opacity": 0.35,
            }
        )
    if paths[1]:
        shapes.append(outline_shape(paths[1], "#d7191c", name="dropped regions", dash="dot"))
    for prompt, path in zip(prompts, paths[2:]):
        lost = suppressed.get(prompt.index)
        label = f"mask of prompt {prompt.index}" + (f" (suppressed by {lost.winner_index})" if lost else "")
        shapes.append(
            outline_shape(
                path, "#d7191c" if lost else palette.hex(c), name=label, dash="dash" if lost else "solid"
            )
        )
    add_to_layout(figure, "shapes", shapes)
    for kind, value, colour, symbol in (("positive", 1, GREEN_HEX, "circle"), ("negative", 0, RED_HEX, "x")):
        rows = [(p, xy) for p in prompts for xy, v in zip(p.points, p.labels) if v == value]
        if rows:
            figure["data"].append(
                points_trace(
                    np.array([xy for _, xy in rows], float),
                    name=f"{kind} points",
                    colour=colour,
                    symbol=symbol,
                    customdata=[[p.index, p.region_id] for p, _ in rows],
                    hovertemplate=f"{kind} point<br>prompt %{{customdata[0]}}, region %{{customdata[1]}}",
                )
            )
    return figure_json(figure), assets


def _statistics_figure(result: PipelineResult, palette: Palette, c: int) -> dict:
    name = plotly_text(result.vocabulary.names[c])
    argmax = result.dense.prediction == c
    counts, edges = np.histogram(result.dense.confidence[argmax], bins=BINS, range=(0.0, 1.0))
    regions = sorted((r for r in result.components.regions if r.class_index == c), key=lambda r: -r.size)
    limit = result.options.min_region_size
    threshold = result.options.min_confidence
    axis = {"showgrid": True, "zeroline": False, "ticks": "outside"}
    layout = {
        "template": NO_TEMPLATE,
        "font": FONT,
        "title": {"text": f"{name}: confidence and region sizes", "x": 0.01, "xanchor": "left"},
        "height": 420,
        "margin": {"l": 60, "r": 20, "t": 60, "b": 60},
        "showlegend": False,
        "xaxis": {
            **axis,
            "domain": [0, 0.46],
            "range": [0, 1],
            "title": {"text": f"probability where {name} wins"},
        },
        "yaxis": {**axis, "title": {"text": "pixels"}},
        "xaxis2": {**axis, "domain": [0.56, 1], "anchor": "y2", "title": {"text": "region (largest first)"}},
        "yaxis2": {**axis, "anchor": "x2", "type": "log", "title": {"text": "pixels"}},
        "shapes": [
            {
                "type": "line",
                "xref": "x",
                "yref": "y domain",
                "x0": threshold,
                "x1": threshold,
                "y0": 0,
                "y1": 1,
                "line": {"color": "#d7191c", "width": 2},
            },
            {
                "type": "line",
                "xref": "x2 domain",
                "yref": "y2",
                "x0": 0,
                "x1": 1,
                "y0": limit,
                "y1": limit,
                "line": {"color": "#d7191c", "width": 2, "dash": "dot"},
            },
        ],
        "plot_bgcolor": "white",
    }
    data = [
        {
            "type": "bar",
            "x": rounded((edges[:-1] + edges[1:]) / 2),
            "y": counts.tolist(),
            "width": 1.0 / BINS,
            "marker": {"color": palette.hex(c)},
            "hovertemplate": "p %{x:.3f}: %{y:,} px<extra></extra>",
        },
        {
            "type": "bar",
            "x": [f"region {r.id}" for r in regions],
            "y": [r.size for r in regions],
            "xaxis": "x2",
            "yaxis": "y2",
            "marker": {"color": [palette.hex(c) if r.size >= limit else "#d7191c" for r in regions]},
            "customdata": [
                ["kept" if r.size >= limit else f"dropped (< {limit} px)", round(r.confidence, 3)]
                for r in regions
            ],
            "hovertemplate": "%{x}: %{y:,} px, mean p %{customdata[1]:.3f}<br>%{customdata[0]}<extra></extra>",
        },
    ]
    return figure_json({"data": data, "layout": layout})


def render_class_details(result: PipelineResult, palette: Palette, class_index: int) -> ClassDetails:
    """Everything about one class in one run: a composed PNG, three figures, their assets, facts.

    Raises IndexError for a class index the run does not have.
    """
    if not 0 <= class_index < len(result.vocabulary):
        raise IndexError(f"class {class_index} does not exist; the run has {len(result.vocabulary)} classes")
    confidence, confidence_assets = _confidence_figure(result, class_index)
    prompts, prompt_assets = _prompts_figure(result, palette, class_index)
    return ClassDetails(
        class_index=class_index,
        png=_png(result, palette, class_index),
        figures={
            "confidence": confidence,
            "prompts": prompts,
            "statistics": _statistics_figure(result, palette, class_index),
        },
        assets={**confidence_assets, **prompt_assets},
        facts=class_facts(result, class_index),
    )
