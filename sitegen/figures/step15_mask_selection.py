"""Step 15: the chosen mask of every prompt: its highest-scoring candidate."""

from __future__ import annotations

import numpy as np

from sitegen.figures.canvas import Panel, compose, draw_labels
from sitegen.figures.hover import hover_grid, labelled_cells
from sitegen.figures.overlay import backdrop, outline, paint_into, union
from sitegen.figures.palette import Palette
from sitegen.figures.plotly_json import add_to_layout, figure_json, plotly_names
from sitegen.figures.plotly_layout import class_shapes, photo_figure, points_trace
from sitegen.figures.registry import RenderedStep, step_info
from sitegen.figures.views import class_legend, image_frame, message_picture
from sitegen.figures.wording import count, no_prompts_reason, paragraphs
from sitegen.records import PipelineResult

STEP = step_info("15_mask_selection")


def masks_picture(
    result: PipelineResult, palette: Palette, indices: list[int], alpha: float = 0.45
) -> np.ndarray:
    """Chosen masks ``indices`` over the faded photo, in class colours, later masks on top."""
    frame = image_frame(result)
    picture = backdrop(frame.photo(result.image.rgb), 0.35)
    prompts = result.candidates.prompts
    for i in indices:
        mask = frame.sample(result.selection.masks[i])
        colour = palette.colour(prompts[i].class_index)
        paint_into(picture, mask, colour, alpha)
        paint_into(picture, outline(mask), colour)
    return picture


def prompt_labels(
    result: PipelineResult, indices: list[int], texts: dict[int, str]
) -> list[tuple[float, float, str]]:
    """Label positions: each prompt's first positive point in display coordinates."""
    frame = image_frame(result)
    prompts = result.candidates.prompts
    anchors = np.array([prompts[i].points[0] for i in indices], float).reshape(-1, 2)
    return [(x, y - 12, texts[i]) for (x, y), i in zip(frame.points(anchors), indices)]


def mask_hover(result: PipelineResult, texts: dict[int, str], order: list[int]) -> list:
    """Hover areas naming the mask on top at each cell; ``order`` lists masks bottom to top.

    Masks hidden under others are still found through their anchor markers.
    """
    grid = hover_grid(result.image.height, result.image.width, 1)
    covering = np.stack([grid.sample(result.selection.masks[i]) for i in order], axis=-1)
    position = np.where(covering, np.arange(len(order)), -1).max(axis=-1)
    top = np.where(position >= 0, np.array(order)[np.maximum(position, 0)], -1)
    return labelled_cells(grid, top, texts)


def anchor_traces(
    result: PipelineResult, palette: Palette, texts: dict[int, str], indices: list[int]
) -> list:
    """A marker at each prompt's first positive point carrying its hover text, grouped by class."""
    prompts = result.candidates.prompts
    names = plotly_names(result.vocabulary)
    traces = []
    for c in sorted({prompts[i].class_index for i in indices}):
        mine = [i for i in indices if prompts[i].class_index == c]
        traces.append(
            points_trace(
                np.array([prompts[i].points[0] for i in mine], float),
                name=f"{names[c]} prompts",
                group=names[c],
                colour=palette.hex(c),
                symbol="diamond",
                size=9,
                customdata=[[texts[i]] for i in mine],
                hovertemplate="%{customdata[0]}",
                showlegend=False,
            )
        )
    return traces


def chosen_text(result: PipelineResult, i: int) -> str:
    prompt = result.candidates.prompts[i]
    selection = result.selection
    return (
        f"prompt {i} ({plotly_names(result.vocabulary)[prompt.class_index]}, region {prompt.region_id}): "
        f"candidate {int(selection.best[i])}, score {selection.scores[i]:.3f}, {int(selection.masks.counts[i]):,} px"
    )


def describe(result: PipelineResult) -> str:
    selection = result.selection
    if not len(selection.best):
        return no_prompts_reason(result)
    sizes = selection.masks.pixel_counts()
    return paragraphs(
        [
            "Each prompt keeps the candidate with the highest predicted-IoU score.",
            f"{count(len(selection.best), 'mask')} chosen, scores {selection.scores.min():.3f} to {selection.scores.max():.3f} "
            f"(mean {selection.scores.mean():.3f}); mask sizes {int(sizes.min()):,} to {int(sizes.max()):,} px.",
        ]
    )


def render(result: PipelineResult, palette: Palette) -> RenderedStep:
    selection = result.selection
    prompts = result.candidates.prompts
    names = result.vocabulary.names
    sizes = selection.masks.pixel_counts()
    indices = sorted(range(len(prompts)), key=lambda i: -int(sizes[i]))  # small masks last, on top
    picture = (
        masks_picture(result, palette, indices)
        if prompts
        else message_picture(image_frame(result), result.image.rgb, no_prompts_reason(result))
    )
    if len(prompts) <= 40:
        picture = draw_labels(
            picture,
            prompt_labels(result, indices, {i: f"{i}: {selection.scores[i]:.2f}" for i in indices}),
            13,
        )
    classes = sorted({p.class_index for p in prompts})
    png = compose(
        f"Step 15 - {STEP.title} ({count(len(prompts), 'mask')})",
        [Panel(picture, "chosen mask per prompt, labelled prompt: score")],
        legend=class_legend(palette, names, classes),
        random_weights=result.models.random_weights,
    )
    names = plotly_names(result.vocabulary)  # Plotly text from here on: the figure
    figure, assets = photo_figure(
        result, f"{count(len(prompts), 'chosen mask')} (hover for prompt and score)"
    )
    class_masks = [
        (c, union(selection.masks, [i for i in range(len(prompts)) if prompts[i].class_index == c]))
        for c in classes
    ]
    add_to_layout(figure, "shapes", class_shapes(class_masks, palette, names, opacity=0.4))
    texts = {i: chosen_text(result, i) for i in range(len(prompts))}
    figure["data"] += anchor_traces(result, palette, texts, list(range(len(prompts))))
    if prompts:
        short = {
            i: f"prompt {i} ({names[p.class_index]}): {selection.scores[i]:.3f}"
            for i, p in enumerate(prompts)
        }
        figure["data"] += mask_hover(result, short, indices)
    facts = {"masks": len(prompts)}
    if prompts:
        facts.update(
            {
                "mean score": round(float(selection.scores.mean()), 3),
                "lowest score": round(float(selection.scores.min()), 3),
            }
        )
    return RenderedStep(STEP, png, describe(result), facts, figure_json(figure), assets)
