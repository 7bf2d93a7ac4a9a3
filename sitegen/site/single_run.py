"""``sitegen run``: one image, the original tool's output layout.

``index.html`` (single-page viewer), ``steps/01_raw_image.png`` ... ``18_comparison_grid.png``,
``per_class/class_<i>_<slug>.png`` with ``--per-class-details``, and ``data/`` with the full
float32 ``confidences.npy``, ``prompts.json`` and ``statistics.json``. Like ``build`` it writes
through ``OutputFolder``, so it never touches a file it did not write.
"""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path

from rich.console import Console

from sitegen.errors import OUT_OF_MEMORY_ADVICE, SitegenError, is_out_of_memory
from sitegen.options import ModelOptions, PipelineOptions
from sitegen.records import LoadedImage, PipelineResult, Vocabulary


def compute_single_run(
    image: LoadedImage,
    vocabulary: Vocabulary,
    options: PipelineOptions,
    models: ModelOptions,
    console: Console,
    lazy_models=None,
) -> PipelineResult:
    """Load the models, then run every stage on ``image`` (no result cache for one image).

    Models made here are released before returning; running out of memory is a one-line
    ``SitegenError`` that says which options reduce it.
    """
    from sitegen.models.prompt_templates import get_prompt_templates
    from sitegen.pipeline.run import LazyModels, encode_vocabulary, run_image

    for warning in image.warnings:
        console.print(f"[yellow]warning:[/] {warning}")
    prompt_templates = get_prompt_templates(options.prompt_templates)
    with LazyModels(models) if lazy_models is None else nullcontext(lazy_models) as lazy:
        try:
            with console.status("Encoding the vocabulary"):
                text_embeddings = encode_vocabulary(lazy, vocabulary, prompt_templates)
            with console.status(f"Segmenting {image.name}"):
                return run_image(image, vocabulary, lazy, options, prompt_templates, text_embeddings)
        except Exception as error:
            if is_out_of_memory(error):
                raise SitegenError(
                    f"{image.name}: out of memory ({type(error).__name__}): {OUT_OF_MEMORY_ADVICE}"
                ) from None
            raise


def single_run_files(
    result: PipelineResult, *, html: bool, per_class_details: bool
) -> dict[str, bytes]:
    """Every file of the run's output folder, as {relative path: bytes}."""
    from sitegen.figures import render_class_details, render_steps
    from sitegen.pipeline.data_files import data_files
    from sitegen.site.run_page import run_files
    from sitegen.site.summaries import SiteInfo
    from sitegen.site.render import make_environment

    vocabulary = result.vocabulary
    site = SiteInfo.create(f"sitegen: {result.image.name}", vocabulary, result.options, result.models)
    steps = render_steps(result, site.palette)
    details = (
        [render_class_details(result, site.palette, c.index) for c in vocabulary.classes]
        if per_class_details
        else None
    )
    files = run_files(result, steps, site, make_environment(), details)
    if not html:
        files = {path: data for path, data in files.items() if path.startswith(("steps/", "per_class/"))}
    files.update(data_files(result))
    return files


def write_single_run(
    image_path: Path,
    vocabulary: Vocabulary,
    options: PipelineOptions,
    models: ModelOptions,
    output: Path,
    *,
    html: bool = True,
    per_class_details: bool = False,
    overwrite: bool = False,
    quiet: bool = False,
    lazy_models=None,
) -> list[str]:
    """Run one image and write its folder; returns the relative paths written."""
    from sitegen.pipeline.image import load_image
    from sitegen.site.output import OutputFolder

    console = Console(stderr=True, quiet=quiet)
    # A bad image stops the run before the output folder is touched; an unsafe output folder
    # before the models are paid for. The image's own folder may hold the output (the original
    # tool's habit): the image is a foreign file there, never touched.
    image = load_image(image_path, options.max_pixels)
    with OutputFolder(output, overwrite=overwrite) as folder:
        result = compute_single_run(image, vocabulary, options, models, console, lazy_models)
        files = single_run_files(result, html=html, per_class_details=per_class_details)
        for path in sorted(files):
            folder.write(path, files[path])
        folder.finish()
    return sorted(files)
