"""The step registry and dispatch: ``render_steps`` turns one run into its 18 rendered steps."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from sitegen.figures.palette import Palette
from sitegen.figures.registry import STEPS, RenderedStep, StepInfo
from sitegen.records import PipelineResult

__all__ = ["STEPS", "RenderedStep", "StepInfo", "render_step", "render_steps"]

#: Step ``NN_name`` is drawn by ``render`` in ``sitegen/figures/stepNN_name.py``: the registry
#: and the file names cannot drift apart.
RENDERERS: dict[str, Callable[[PipelineResult, Palette], RenderedStep]] = {
    step.slug: importlib.import_module(f"sitegen.figures.step{step.slug}").render for step in STEPS
}


#: Most threads that draw one image's steps (more than two gained nothing measurable on 2 cores,
#: and the GIL bounds what more cores could give).
RENDER_THREADS = 2
SERIAL_PIXELS = 8_000_000


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


def render_steps(result: PipelineResult, palette: Palette, threads: int = RENDER_THREADS) -> list[RenderedStep]:
    """All 18 steps of one run, in order, drawn by ``threads`` threads (``RENDER_THREADS`` at most).

    Figure work is mostly Python holding the GIL, but PNG encoding and large numpy operations
    release it: with two threads one step encodes while another draws, which on two cores made
    an example image's steps about 1.5 times faster (the models are idle meanwhile). Images over
    ``SERIAL_PIXELS`` draw one step at a time in the calling thread: two steps in flight on a
    6000x4000 image raised the peak memory by 0.8 GB, and even one worker thread allocates from
    its own malloc arena (0.4 GB more). A build drawing in several processes gives each fewer
    threads (``sitegen.site.parallel.threads_per_job``): threads beyond the cores only contend.
    """
    threads = min(threads, RENDER_THREADS)
    if threads <= 1 or result.image.height * result.image.width > SERIAL_PIXELS:
        return [render_step(step, result, palette) for step in STEPS]
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(lambda step: render_step(step, result, palette), STEPS))
