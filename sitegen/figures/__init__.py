"""Figures: every step of one run as a paper-ready PNG, a description and a Plotly figure.

Pure functions of a ``PipelineResult`` and a ``Palette``; nothing here writes files. Pictures of
interactive figures travel as PNG assets referenced by ``"asset:<name>"`` layout images.
"""

from sitegen.figures.class_details import render_class_details
from sitegen.figures.palette import Palette, make_palette
from sitegen.figures.registry import STEPS, ClassDetails, RenderedStep, StepInfo
from sitegen.figures.steps import render_step, render_steps
from sitegen.figures.thumbnails import render_class_thumbnails, render_photo_thumbnail, render_thumbnail

__all__ = [
    "STEPS",
    "ClassDetails",
    "Palette",
    "RenderedStep",
    "StepInfo",
    "make_palette",
    "render_class_details",
    "render_class_thumbnails",
    "render_photo_thumbnail",
    "render_step",
    "render_steps",
    "render_thumbnail",
]
