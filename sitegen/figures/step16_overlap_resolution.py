"""Step 16: overlap resolution: within a class, a mask overlapping a more confident kept mask
by more than iou_threshold is suppressed."""

from __future__ import annotations

from sitegen.figures.canvas import LegendItem, Panel, compose, draw_labels
from sitegen.figures.outlines import class_paths
from sitegen.figures.overlay import DROPPED_RED, hatch, outline, paint, union
from sitegen.figures.palette import Palette
from sitegen.figures.plotly_json import add_to_layout, figure_json, plotly_names
from sitegen.figures.plotly_layout import class_shapes, outline_shape, photo_figure
from sitegen.figures.registry import RenderedStep, step_info
from sitegen.figures.step15_mask_selection import anchor_traces, mask_hover, masks_picture, prompt_labels
from sitegen.figures.views import class_legend, image_frame, message_picture
from sitegen.figures.wording import count, listed, no_prompts_reason, paragraphs
from sitegen.records import PipelineResult

STEP = step_info("16_overlap_resolution")


def status_texts(result: PipelineResult) -> dict[int, str]:
    """Prompt index -> "kept" or "suppressed by prompt j (IoU x)"."""
    texts = {i: "kept" for i in result.overlap.kept}
    texts.update(
        {
            s.prompt_index: f"suppressed by prompt {s.winner_index} (IoU {s.iou:.3f})"
            for s in result.overlap.suppressed
        }
    )
    return texts


def describe(result: PipelineResult) -> str:
    overlap = result.overlap
    if not result.candidates.prompts:
        return no_prompts_reason(result)
    lines = [
        "Within each class the chosen masks are taken in descending region confidence; a mask whose IoU with an "
        f"already kept mask of the same class exceeds iou_threshold {overlap.iou_threshold:g} is suppressed, "
        "and the mask it lost to is recorded.",
        f"{count(len(overlap.kept), 'mask')} kept, {len(overlap.suppressed)} suppressed.",
    ]
    if overlap.suppressed:
        lines.append(
            "Suppressed: "
            + listed(
                [
                    f"prompt {s.prompt_index} by prompt {s.winner_index} (IoU {s.iou:.3f})"
                    for s in overlap.suppressed
                ],
                8,
            )
            + "."
        )
    return paragraphs(lines)


def render(result: PipelineResult, palette: Palette) -> RenderedStep:
    overlap = result.overlap
    prompts = result.candidates.prompts
    names = result.vocabulary.names
    masks = result.selection.masks
    texts = status_texts(result)
    suppressed = [s.prompt_index for s in overlap.suppressed]
    frame = image_frame(result)
    if prompts:
        picture = masks_picture(result, palette, list(overlap.kept))
        lost = frame.sample(union(masks, suppressed))
        picture = paint(picture, hatch(lost, 6) | outline(lost), DROPPED_RED)
        if len(prompts) <= 40:
            short = {i: f"{i}: kept" for i in overlap.kept} | {
                s.prompt_index: f"{s.prompt_index}: lost to {s.winner_index}" for s in overlap.suppressed
            }
            picture = draw_labels(picture, prompt_labels(result, sorted(short), short), 13)
    else:
        picture = message_picture(frame, result.image.rgb, no_prompts_reason(result))
    classes = sorted({prompts[i].class_index for i in overlap.kept})
    png = compose(
        f"Step 16 - {STEP.title}: iou_threshold {overlap.iou_threshold:g}",
        [Panel(picture, f"{len(overlap.kept)} kept, {len(suppressed)} suppressed (red hatching)")],
        legend=class_legend(palette, names, classes, {c: " (kept)" for c in classes})
        + (LegendItem("suppressed", DROPPED_RED, "outline"),),
        random_weights=result.models.random_weights,
    )
    names = plotly_names(result.vocabulary)  # Plotly text from here on: the figure
    figure, assets = photo_figure(
        result, f"{len(overlap.kept)} kept, {len(suppressed)} suppressed (hover for IoU and winner)"
    )
    kept_masks = [
        (c, union(masks, [i for i in overlap.kept if prompts[i].class_index == c])) for c in classes
    ]
    shapes = class_shapes(kept_masks, palette, names, opacity=0.45)
    if suppressed:
        shapes.append(
            outline_shape(
                class_paths([union(masks, suppressed)])[0], "#d7191c", name="suppressed", dash="dot"
            )
        )
    add_to_layout(figure, "shapes", shapes)
    names_of = {
        i: f"prompt {i} ({names[p.class_index]}, confidence {p.confidence:.3f})"
        for i, p in enumerate(prompts)
    }
    full = {i: f"{names_of[i]}: {texts[i]}" for i in range(len(prompts))}
    figure["data"] += anchor_traces(result, palette, full, list(range(len(prompts))))
    if prompts:
        # As in the picture: suppressed masks (hatched) on top of the kept ones.
        figure["data"] += mask_hover(
            result, {i: f"prompt {i}: {texts[i]}" for i in range(len(prompts))}, [*overlap.kept, *suppressed]
        )
    facts = {"iou_threshold": overlap.iou_threshold, "kept": len(overlap.kept), "suppressed": len(suppressed)}
    return RenderedStep(STEP, png, describe(result), facts, figure_json(figure), assets)
