"""The 18-step viewer of one image: step pictures, per-class details and their figures.

Shared by the image pages of a site and by ``sitegen run``'s single page. Every step is shown by
its interactive figure, whose pictures (the photo, label maps, heat maps) are written once per
image however many steps show them. The lossless step PNGs, each a complete paper figure that
repeats the photograph, are written only when ``site.paper_figures`` is set (``--paper-figures``,
and always by ``sitegen run``): they were three quarters of a site's bytes.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from sitegen.errors import SitegenError
from sitegen.figures.variants import plot_funnel
from sitegen.pipeline.funnel import ClassFunnel, compute_funnel
from sitegen.records import PipelineResult
from sitegen.site.figures_bundle import figures_script, place_figures
from sitegen.site.page_context import class_link, fact_rows, file_size_text
from sitegen.site.paths import relative_href
from sitegen.site.slugs import slugify
from sitegen.site.summaries import SiteInfo
from sitegen.site.variant_pages import funnel_section

if TYPE_CHECKING:
    from sitegen.figures import ClassDetails, RenderedStep


def _join(folder: str, path: str) -> str:
    return f"{folder}/{path}" if folder else path


def _png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a PNG header, so pages reserve an image's space before it loads."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise SitegenError("a figure is not a PNG: the figures package must return PNG bytes")
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def _picture(page: str, path: str, png: bytes) -> dict:
    """A PNG's link, pixel size and byte count for the page at ``page``."""
    width, height = _png_size(png)
    return {"png": relative_href(page, path), "png_width": width, "png_height": height, "png_bytes": file_size_text(len(png))}


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.split("\n\n") if p.strip()]


def step_viewer(
    result: PipelineResult,
    steps: list[RenderedStep],
    class_details: list[ClassDetails] | None,
    site: SiteInfo,
    folder: str,
    page: str,
    link_classes: bool,
    funnels: tuple[ClassFunnel, ...] | None = None,
) -> tuple[dict[str, bytes], dict]:
    """The 18-step viewer's files under ``folder`` and its context for the page at ``page``.

    Shared by the image pages of a site (``folder`` = ``images/<slug>``) and by ``sitegen run``
    (``folder`` = ``""``). Figures go into ``figures.js`` as ``window.SITEGEN_FIGURES``, keyed by
    step slug or ``class_<i>/<name>``, so they load from file:// without fetch.
    """
    files: dict[str, bytes] = {}
    figures: dict[str, dict] = {}
    emitted: dict[str, str] = {}
    step_records = []
    for step in steps:
        info = step.step
        figure_key = None
        if step.figure is not None:
            figure_key = info.slug
            placed, asset_files = place_figures(
                {figure_key: step.figure}, step.assets, _join(folder, "assets"), page, info.slug, emitted
            )
            figures.update(placed)
            files.update(asset_files)
        record = {
            "number": info.number,
            "slug": info.slug,
            "title": info.title,
            "png": None,
            "alt": f"Step {info.number}, {info.title}, for {result.image.name}",
            "figure": figure_key,
            "paragraphs": _paragraphs(step.description),
            "facts": fact_rows(step.facts),
        }
        if site.paper_figures or figure_key is None:  # a step without a figure keeps its picture
            png_path = _join(folder, f"steps/{info.slug}.png")
            files[png_path] = step.png
            record.update(_picture(page, png_path, step.png))
        step_records.append(record)

    funnels = funnels if funnels is not None else compute_funnel(result)
    details_records = []
    for details in class_details or []:
        i = details.class_index
        name = site.vocabulary.classes[i].name
        placed, asset_files = place_figures(
            {f"class_{i}/{key}": figure for key, figure in details.figures.items()},
            details.assets,
            _join(folder, "assets"),
            page,
            f"class {name!r}",
            emitted,
        )
        figures.update(placed)
        files.update(asset_files)
        record = {
            "cls": class_link(site, i, page if link_classes else None, funnels[i].count("kept_masks") > 0),
            "png": None,
            "alt": f"Per-class details of {name} in {result.image.name}",
            "figures": list(placed),
            "facts": fact_rows(details.facts),
        }
        if site.paper_figures:
            png_path = _join(folder, f"per_class/class_{i}_{slugify(name)}.png")
            files[png_path] = details.png
            record.update(_picture(page, png_path, details.png))
        details_records.append(record)

    figures["funnel"] = plot_funnel(funnels, site.palette)
    funnel = funnel_section(funnels, site, page if link_classes else None, "", "funnel", "Funnel: what survives each stage")
    figures_path = _join(folder, "figures.js")
    files[figures_path] = figures_script(figures)
    classes = len(site.vocabulary)
    context = {
        "steps": step_records,
        "class_details": details_records,
        "funnel": funnel,
        "class_details_note": (
            f"Details of {len(details_records)} of the {classes} classes: those present in the SCLIP argmax "
            "and the nearest misses (step 5 names them)."
            if class_details and len(details_records) < classes
            else ""
        ),
        "figures_script": relative_href(page, figures_path),
    }
    return files, context
