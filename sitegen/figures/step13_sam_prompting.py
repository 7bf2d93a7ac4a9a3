"""Step 13: every prompt SAM received: green positive points, red negative points."""

from __future__ import annotations

from sitegen.figures.canvas import LegendItem, Panel, compose
from sitegen.figures.overlay import NEGATIVE_RED, POSITIVE_GREEN
from sitegen.figures.palette import Palette
from sitegen.figures.plotly_json import add_to_layout, figure_json, plotly_names
from sitegen.figures.plotly_layout import photo_figure, points_trace
from sitegen.figures.registry import RenderedStep, step_info
from sitegen.figures.step11_positive_prompts import GREEN_HEX, kept_class_shapes
from sitegen.figures.views import (
    class_legend,
    draw_prompts,
    image_frame,
    kept_regions_tint,
    message_picture,
    prompt_points,
)
from sitegen.figures.wording import count, no_prompts_reason, paragraphs, span
from sitegen.records import PipelineResult

STEP = step_info("13_sam_prompting")
RED_HEX = "#dc141e"


def describe(result: PipelineResult) -> str:
    prompts = result.candidates.prompts
    if not prompts:
        return no_prompts_reason(result)
    mode = result.options.prompt_mode
    positives = [int((p.labels == 1).sum()) for p in prompts]
    negatives = [int((p.labels == 0).sum()) for p in prompts]
    how = (
        "one prompt per kept region, holding all of its positive (label 1) and negative (label 0) points"
        if mode == "joint"
        else "one prompt per positive point, each with its region's negative points (label 0)"
    )
    return paragraphs(
        [
            f"prompt_mode {mode}: {how}. SAM 2 embeds the image once and all prompts go to it in batched calls, "
            "each asking for 3 candidate masks.",
            f"{count(len(prompts), 'prompt')} with {span(positives)} positive and "
            f"{span(negatives)} negative points each ({count(sum(positives), 'positive point')}, "
            f"{count(sum(negatives), 'negative point')} in all).",
        ]
    )


def render(result: PipelineResult, palette: Palette) -> RenderedStep:
    names = result.vocabulary.names
    prompts = result.candidates.prompts
    frame = image_frame(result)
    xy, labels, owner = prompt_points(result)
    picture = (
        kept_regions_tint(frame, result, palette, alpha=0.15)
        if prompts
        else message_picture(frame, result.image.rgb, no_prompts_reason(result))
    )
    picture = draw_prompts(picture, frame, xy, labels)
    classes = sorted({p.class_index for p in prompts})
    png = compose(
        f"Step 13 - {STEP.title} ({count(len(prompts), 'prompt')})",
        [Panel(picture, f"prompt_mode {result.options.prompt_mode}")],
        legend=(
            LegendItem("positive point", POSITIVE_GREEN, "circle"),
            LegendItem("negative point", NEGATIVE_RED, "cross"),
        )
        + class_legend(palette, names, classes, {c: " region" for c in classes}),
        random_weights=result.models.random_weights,
    )
    names = plotly_names(result.vocabulary)  # Plotly text from here on: the figure
    figure, assets = photo_figure(
        result, f"{count(len(prompts), 'prompt')} (click a class in the legend to toggle it)"
    )
    add_to_layout(figure, "shapes", kept_class_shapes(result, palette, opacity=0.2))
    for c in classes:
        for label, kind, colour, symbol in (
            (1, "positive", GREEN_HEX, "circle"),
            (0, "negative", RED_HEX, "x"),
        ):
            chosen = [i for i in range(len(xy)) if labels[i] == label and prompts[owner[i]].class_index == c]
            if not chosen:
                continue
            figure["data"].append(
                points_trace(
                    xy[chosen],
                    name=f"{names[c]} {kind}",
                    group=names[c],
                    colour=colour,
                    line_colour=palette.hex(c),
                    symbol=symbol,
                    customdata=[[int(owner[i]), prompts[owner[i]].region_id] for i in chosen],
                    hovertemplate=f"{kind} point (label {label})<br>"
                    f"prompt %{{customdata[0]}}, region %{{customdata[1]}} ({names[c]})",
                    showlegend=False,
                )
            )
    facts = {
        "prompt_mode": result.options.prompt_mode,
        "prompts": len(prompts),
        "positive points": int((labels == 1).sum()),
        "negative points": int((labels == 0).sum()),
    }
    return RenderedStep(STEP, png, describe(result), facts, figure_json(figure), assets)
