"""Step 14: SAM's three candidate masks for every prompt, with their predicted-IoU scores."""

from __future__ import annotations

import numpy as np

from sitegen.figures.canvas import LegendItem, Panel, compose, draw_boxes
from sitegen.figures.outlines import class_paths
from sitegen.figures.overlay import NEGATIVE_RED, POSITIVE_GREEN, Frame, backdrop, blend, outline, paint
from sitegen.figures.palette import Palette
from sitegen.figures.picture_assets import PHOTO_ASSET, photo_asset
from sitegen.figures.plotly_json import figure_json, plotly_names, relayout, rounded
from sitegen.figures.plotly_layout import dropdown, layout_image, linked_panels_layout
from sitegen.figures.registry import RenderedStep, step_info
from sitegen.figures.step11_positive_prompts import GREEN_HEX
from sitegen.figures.step13_sam_prompting import RED_HEX
from sitegen.figures.views import draw_prompts, image_frame, message_picture
from sitegen.figures.wording import count, no_prompts_reason, paragraphs
from sitegen.pipeline.mask_selection import SHOWN_CANDIDATE_PROMPTS, shown_candidate_prompts
from sitegen.records import PipelineResult, SamPrompt

STEP = step_info("14_sam_candidates")
#: The PNG and the figure show at most this many prompts (those of the most confident regions).
#: Three photo crops per prompt make the PNG heavy: 6 prompts at 240 px are 0.8 to 1.5 MB on the
#: example site (random weights), 12 at up to 480 px were 2.6 to 3.6 MB.
PNG_PROMPTS = 6
#: The run keeps the candidates of these prompts only (``shown_candidate_prompts``).
FIGURE_PROMPTS = SHOWN_CANDIDATE_PROMPTS
CELL_SIDE = 240  # the long side of one candidate picture in the PNG, at most
#: Subplot suffixes of the figure's three columns, one per candidate.
AXES = ("", "2", "3")


def crop_box(masks: np.ndarray, points: np.ndarray, shape: tuple[int, int]) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) around a prompt's candidate masks (K, H, W) and points, padded 15 %."""
    height, width = shape
    union = masks.any(axis=0)
    ys = np.concatenate([np.flatnonzero(union.any(axis=1)), points[:, 1].astype(int)])
    xs = np.concatenate([np.flatnonzero(union.any(axis=0)), points[:, 0].astype(int)])
    pad = max(8, int(0.15 * max(xs.max() - xs.min(), ys.max() - ys.min())))
    return (
        max(0, xs.min() - pad),
        max(0, ys.min() - pad),
        min(width, xs.max() + 1 + pad),
        min(height, ys.max() + 1 + pad),
    )


def shown_prompts(result: PipelineResult, limit: int) -> list[SamPrompt]:
    """The prompts of the ``limit`` most confident regions, in prompt order."""
    prompts = result.candidates.prompts
    return [prompts[i] for i in shown_candidate_prompts(prompts, limit)]


def candidate_picture(
    result: PipelineResult, palette: Palette, prompt: SamPrompt, k: int, frame: Frame, box
) -> np.ndarray:
    """One candidate mask over the faded photo crop, with the prompt's points."""
    x0, y0, x1, y1 = box
    mask = frame.sample(result.candidates.masks[prompt.index, k, y0:y1, x0:x1])
    picture = frame.photo(result.image.rgb[y0:y1, x0:x1])
    colour = palette.colour(prompt.class_index)
    picture = blend(backdrop(picture, 0.3), np.array(colour, np.uint8)[None, None], 0.55 * mask)
    picture = paint(picture, outline(mask), colour)
    points = prompt.points - np.array([x0, y0], np.float32)
    return draw_prompts(picture, frame, points, prompt.labels, 6)


def describe(result: PipelineResult) -> str:
    candidates = result.candidates
    prompts = candidates.prompts
    if not prompts:
        return no_prompts_reason(result)
    best_counts = np.bincount(candidates.scores.argmax(axis=1), minlength=3)
    lines = [
        "With multimask_output SAM 2 returns 3 candidate masks per prompt (often a part, the object, and a "
        "larger whole) and predicts each mask's IoU with the true object: that score is shown with each candidate.",
        f"{count(len(prompts), 'prompt')}, {len(prompts) * 3} candidates; scores range from {candidates.scores.min():.3f} "
        f"to {candidates.scores.max():.3f}. The best-scoring candidate was candidate 0 for {best_counts[0]}, "
        f"candidate 1 for {best_counts[1]} and candidate 2 for {best_counts[2]} prompts.",
    ]
    if len(prompts) > PNG_PROMPTS:
        lines.append(
            f"The static picture shows {PNG_PROMPTS} of the {len(prompts)} prompts (those of the most confident "
            f"regions); the interactive view lets you pick any of the {min(len(prompts), FIGURE_PROMPTS)} "
            "most confident."
        )
    else:
        lines.append(f"The static picture shows all {count(len(prompts), 'prompt')}.")
    return paragraphs(lines)


def _png(result: PipelineResult, palette: Palette) -> bytes:
    names = result.vocabulary.names
    candidates = result.candidates
    panels = []
    for prompt in shown_prompts(result, PNG_PROMPTS):
        box = crop_box(candidates.masks[prompt.index], prompt.points, candidates.masks.image_shape)
        frame = Frame.fit(box[3] - box[1], box[2] - box[0], CELL_SIDE, CELL_SIDE)
        best = int(np.argmax(candidates.scores[prompt.index]))
        for k in range(3):
            picture = candidate_picture(result, palette, prompt, k, frame, box)
            if k == best:
                picture = draw_boxes(
                    picture, [(0, 0, picture.shape[1], picture.shape[0])], [POSITIVE_GREEN], 4
                )
            caption = (
                f"prompt {prompt.index} ({names[prompt.class_index]}), candidate {k}: {candidates.scores[prompt.index, k]:.3f}"
                + (" best" if k == best else "")
            )
            panels.append(Panel(picture, caption))
    notes = ()
    if not panels:
        frame = image_frame(result)
        panels = [Panel(message_picture(frame, result.image.rgb, no_prompts_reason(result)), "no prompts")]
    elif len(candidates.prompts) > PNG_PROMPTS:
        notes = (f"Showing {PNG_PROMPTS} of {len(candidates.prompts)} prompts (the most confident regions).",)
    return compose(
        f"Step 14 - {STEP.title} ({count(len(candidates.prompts), 'prompt')} x 3)",
        panels,
        columns=3 if len(panels) > 1 else 1,
        legend=(
            LegendItem("positive point", POSITIVE_GREEN, "circle"),
            LegendItem("negative point", NEGATIVE_RED, "cross"),
            LegendItem("best-scoring candidate", POSITIVE_GREEN, "outline"),
        ),
        notes=notes,
        random_weights=result.models.random_weights,
    )


def _figure(result: PipelineResult, palette: Palette) -> tuple[dict | None, dict[str, bytes]]:
    candidates = result.candidates
    prompts = shown_prompts(result, FIGURE_PROMPTS)
    names = plotly_names(result.vocabulary)
    height, width = result.image.height, result.image.width
    paths = dict(
        zip(
            [(p.index, k) for p in prompts for k in range(3)],
            class_paths(candidates.masks.each([(p.index, k) for p in prompts for k in range(3)])),
        )
    )
    title = "SAM's 3 candidates per prompt (pick a prompt)"
    if len(candidates.prompts) > FIGURE_PROMPTS:
        title = (
            f"SAM's 3 candidates for the {FIGURE_PROMPTS} most confident of {len(candidates.prompts)} prompts"
        )
    layout = linked_panels_layout(title, width, height, [""] * len(AXES), columns=len(AXES), top_margin=90)
    layout["images"] = [layout_image(PHOTO_ASSET, width, height, axes=a) for a in AXES]

    def view(prompt: SamPrompt) -> tuple[dict, dict]:
        box = crop_box(candidates.masks[prompt.index], prompt.points, (height, width))
        best = int(np.argmax(candidates.scores[prompt.index]))
        colour = palette.hex(prompt.class_index)
        changes = {"xaxis.range": [box[0], box[2]], "yaxis.range": [box[3], box[1]]}
        for k in range(3):
            changes[f"shapes[{k}].path"] = paths[prompt.index, k] or "M0,0Z"
            changes[f"shapes[{k}].fillcolor"] = colour
            changes[f"shapes[{k}].line.color"] = colour
            changes[f"annotations[{k}].text"] = (  # two short lines fit three columns on a phone
                f"candidate {k}:<br>{candidates.scores[prompt.index, k]:.3f}" + (" (best)" if k == best else "")
            )
        points = {
            "x": [rounded(prompt.points[:, 0] + 0.5, 1)] * 3,
            "y": [rounded(prompt.points[:, 1] + 0.5, 1)] * 3,
            "marker.color": [[GREEN_HEX if v == 1 else RED_HEX for v in prompt.labels.tolist()]] * 3,
        }
        return points, changes

    assets = {PHOTO_ASSET: photo_asset(result.image.rgb)}
    if not prompts:
        layout["annotations"] = [
            {
                "text": no_prompts_reason(result),
                "xref": "paper",
                "yref": "paper",
                "x": 0.5,
                "y": 0.5,
                "showarrow": False,
            }
        ]
        return figure_json({"data": [], "layout": layout}), assets
    # One shape, title and points trace per column, all set by the dropdown; it starts on prompt 0.
    views = [view(prompt) for prompt in prompts]
    layout["shapes"] = [
        {
            "type": "path",
            "path": "M0,0Z",
            "xref": f"x{a}",
            "yref": f"y{a}",
            "opacity": 0.5,
            "fillrule": "evenodd",
            "line": {"width": 2},
            "layer": "between",
        }
        for a in AXES
    ]
    first_points, first_changes = views[0]
    data = [
        {
            "type": "scatter",
            "x": first_points["x"][k],
            "y": first_points["y"][k],
            "xaxis": f"x{a}",
            "yaxis": f"y{a}",
            "mode": "markers",
            "marker": {
                "size": 10,
                "color": first_points["marker.color"][k],
                "line": {"color": "white", "width": 1.5},
            },
            "hovertemplate": "x %{x:.1f}, y %{y:.1f}<extra></extra>",
        }
        for k, a in enumerate(AXES)
    ]
    relayout(layout, first_changes)
    labels = [f"prompt {p.index}: {names[p.class_index]}, region {p.region_id}" for p in prompts]
    args = [[points, changes, [0, 1, 2]] for points, changes in views]
    layout["updatemenus"] = [{**dropdown(labels, args, method="update", title="prompt"), "y": 1.12}]
    return figure_json({"data": data, "layout": layout}), assets


def render(result: PipelineResult, palette: Palette) -> RenderedStep:
    candidates = result.candidates
    figure, assets = _figure(result, palette)
    facts = {"prompts": len(candidates.prompts), "candidates": 3 * len(candidates.prompts)}
    if candidates.prompts:
        facts.update(
            {
                "best score": round(float(candidates.scores.max()), 3),
                "lowest score": round(float(candidates.scores.min()), 3),
            }
        )
    return RenderedStep(STEP, _png(result, palette), describe(result), facts, figure, assets)
