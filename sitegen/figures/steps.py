"""The step registry and dispatch: ``render_steps`` turns one run into its 18 rendered steps."""

from __future__ import annotations

from collections.abc import Callable

from sitegen.figures import (
    step01_raw_image,
    step02_text_prompts,
    step03_sclip_patches,
    step04_similarity,
    step05_confidence_maps,
    step06_dense_prediction,
    step07_prediction_confidences,
    step08_thresholding,
    step09_connected_components,
    step10_size_filter,
    step11_positive_prompts,
    step12_negative_prompts,
    step13_sam_prompting,
    step14_sam_candidates,
    step15_mask_selection,
    step16_overlap_resolution,
    step17_final_segmentation,
    step18_comparison_grid,
)
from sitegen.figures.palette import Palette
from sitegen.figures.registry import STEPS, RenderedStep, StepInfo
from sitegen.records import PipelineResult

__all__ = ["STEPS", "RenderedStep", "StepInfo", "render_step", "render_steps"]

RENDERERS: dict[str, Callable[[PipelineResult, Palette], RenderedStep]] = {
    module.STEP.slug: module.render
    for module in (
        step01_raw_image,
        step02_text_prompts,
        step03_sclip_patches,
        step04_similarity,
        step05_confidence_maps,
        step06_dense_prediction,
        step07_prediction_confidences,
        step08_thresholding,
        step09_connected_components,
        step10_size_filter,
        step11_positive_prompts,
        step12_negative_prompts,
        step13_sam_prompting,
        step14_sam_candidates,
        step15_mask_selection,
        step16_overlap_resolution,
        step17_final_segmentation,
        step18_comparison_grid,
    )
}


def render_step(step: StepInfo, result: PipelineResult, palette: Palette) -> RenderedStep:
    """Render one step of one run: its PNG, description, facts and interactive figure.

    Raises ValueError when the palette has fewer colours than the run has classes.
    """
    if len(palette) < len(result.vocabulary):
        raise ValueError(
            f"the palette has {len(palette)} colours for {len(result.vocabulary)} classes; "
            f"make it with make_palette({len(result.vocabulary)})"
        )
    return RENDERERS[step.slug](result, palette)


def render_steps(result: PipelineResult, palette: Palette) -> list[RenderedStep]:
    """All 18 steps of one run, in order."""
    return [render_step(step, result, palette) for step in STEPS]
