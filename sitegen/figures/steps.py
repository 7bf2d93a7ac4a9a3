"""The step registry and dispatch: ``render_steps`` turns one run into its 18 rendered steps."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from sitegen.figures.palette import Palette
from sitegen.figures.registry import STEPS, RenderedStep, StepInfo
from sitegen.records import PipelineResult

__all__ = ["STEPS", "RenderedStep", "StepInfo", "render_step", "render_steps"]

#: Step ``NN_name`` is drawn by ``render`` in ``sitegen/figures/stepNN_name.py``: the registry
#: and the file names cannot drift apart.
RENDERERS: dict[str, Callable[[PipelineResult, Palette], RenderedStep]] = {
    step.slug: importlib.import_module(f"sitegen.figures.step{step.slug}").render for step in STEPS
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
