"""Step 1: the input image as the pipeline saw it (EXIF-rotated, RGB, maybe downscaled)."""

from __future__ import annotations

from sitegen.figures.canvas import Panel, compose
from sitegen.figures.hover import hover_grid, hover_trace
from sitegen.figures.palette import Palette
from sitegen.figures.plotly_json import figure_json, plotly_text
from sitegen.figures.plotly_layout import photo_figure
from sitegen.figures.registry import RenderedStep, step_info
from sitegen.figures.views import image_frame
from sitegen.figures.wording import paragraphs, size
from sitegen.records import PipelineResult

STEP = step_info("01_raw_image")


def describe(result: PipelineResult) -> str:
    image = result.image
    original = size(*image.original_size)
    text = (
        f"The input {image.name}, {size(image.width, image.height)}, decoded with its EXIF orientation "
        f"applied and converted to RGB. Every later step works in these pixel coordinates."
    )
    if image.original_size != (image.width, image.height):
        text += f" It was {original} before the pipeline downscaled it."
    return paragraphs([text, *image.warnings])


def render(result: PipelineResult, palette: Palette) -> RenderedStep:
    image = result.image
    frame = image_frame(result)
    png = compose(
        f"Step 1 - {STEP.title}",
        [Panel(frame.photo(image.rgb), f"{image.name} - {size(image.width, image.height)}")],
        random_weights=result.models.random_weights,
        notes=image.warnings,
    )
    figure, assets = photo_figure(result, f"{plotly_text(image.name)} ({size(image.width, image.height)})")
    grid = hover_grid(image.height, image.width, 3)
    figure["data"].append(
        hover_trace(
            grid,
            grid.sample(image.rgb).tolist(),
            "x %{x:.1f}, y %{y:.1f}<br>RGB %{customdata[0]}, %{customdata[1]}, %{customdata[2]}",
        )
    )
    facts = {
        "file": image.name,
        "width (px)": image.width,
        "height (px)": image.height,
        "original size": size(*image.original_size),
    }
    return RenderedStep(STEP, png, describe(result), facts, figure_json(figure), assets)
