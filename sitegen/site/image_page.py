"""The page of one image in a site: its step viewer, thumbnails, data downloads and neighbours."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sitegen.records import PipelineResult
from sitegen.site.evaluation import EvaluatedImage, image_part
from sitegen.site.page_context import class_link, download_link, result_context
from sitegen.site.paths import check_site_paths, image_folder, relative_href
from sitegen.site.render import render_page
from sitegen.site.summaries import ImageSummary, SiteInfo
from sitegen.site.viewer import step_viewer

if TYPE_CHECKING:
    import jinja2

    from sitegen.figures import ClassDetails, RenderedStep
    from sitegen.pipeline.funnel import ClassFunnel


def _neighbour(summary: ImageSummary | None, page: str) -> dict | None:
    return None if summary is None else {"name": summary.name, "href": relative_href(page, summary.page)}


def image_assets(result: PipelineResult, summary: ImageSummary, site: SiteInfo) -> dict[str, bytes]:
    """The files of an image that its page only links to: thumbnails and data downloads.

    Made by the builder (``sitegen.site.page_task``) and handed to ``image_files``, which adds
    ``statistics.json`` (it holds the page's evaluation) and the pages themselves.
    """
    from sitegen.figures import render_class_thumbnails, render_photo_thumbnail, render_thumbnail
    from sitegen.figures.shown_classes import shown_classes
    from sitegen.pipeline.data_files import compact_probabilities_npz, prompts_record, to_json_bytes

    folder = image_folder(summary.slug)
    files = {summary.thumbnail: render_thumbnail(result, site.palette)}
    if any(cls.found for cls in summary.classes):
        files[summary.photo_thumbnail] = render_photo_thumbnail(result)
    for cls in summary.classes:
        if cls.found:
            thumbnails = render_class_thumbnails(result, site.palette, cls.index)
            files[cls.confidence_thumbnail] = thumbnails["confidence"]
            files[cls.mask_thumbnail] = thumbnails["mask"]
    shown = shown_classes(result)  # a large vocabulary: the planes of the classes the page shows
    files[f"{folder}/data/probabilities.npz"] = compact_probabilities_npz(result, None if shown.everything else shown.indices)
    files[f"{folder}/data/prompts.json"] = to_json_bytes(prompts_record(result))
    return files


def image_files(
    result: PipelineResult,
    steps: list[RenderedStep],
    summary: ImageSummary,
    previous: ImageSummary | None,
    next: ImageSummary | None,
    site: SiteInfo,
    env: jinja2.Environment,
    assets: dict[str, bytes],
    class_details: list[ClassDetails] | None = None,
    evaluation: tuple[EvaluatedImage | None, str | None] | None = None,
    variants: dict[str, str] | None = None,
    comparison: str | None = None,
    funnels: tuple[ClassFunnel, ...] | None = None,
) -> dict[str, bytes]:
    """Every file of one image: its viewer page, figures, and the ``assets`` it links to.

    ``assets`` are ``image_assets``'s files (thumbnails, ``probabilities.npz``, ``prompts.json``).
    ``evaluation`` is given with ground truth: ``(EvaluatedImage, None)``, or ``(None, reason)``
    when the image's ground truth was unusable. In a build with several variants, ``variants``
    maps each variant's name to its page of this image and ``comparison`` is the page comparing
    them; the page links to all of them. ``funnels`` are ``compute_funnel``'s of ``result``
    (with ground truth, the build's, which explain under-found classes; default: computed here).
    """
    from sitegen.pipeline.data_files import statistics, to_json_bytes

    page = summary.page
    folder = image_folder(summary.slug)
    files, viewer = step_viewer(result, steps, class_details, site, folder, page, link_classes=True, funnels=funnels)
    files.update(assets)

    stats = statistics(result)
    evaluation_context = None
    if evaluation is not None:
        extra, evaluation_context, stats["evaluation"] = image_part(
            *evaluation, site.vocabulary.names, folder, lambda target: relative_href(page, target)
        )
        files.update(extra)
    files[f"{folder}/data/statistics.json"] = to_json_bytes(stats)
    downloads = []
    for name in ("probabilities.npz", "prompts.json", "statistics.json"):
        path = f"{folder}/data/{name}"
        downloads.append(download_link(name, relative_href(page, path), len(files[path])))

    context = {
        **result_context(result, stats, site, page, link_classes=True),
        **viewer,
        "found": [class_link(site, c.index, page) for c in summary.classes if c.found],
        "index_href": relative_href(page, "index.html"),
        "previous": _neighbour(previous, page),
        "next": _neighbour(next, page),
        "downloads": downloads,
        "evaluation": evaluation_context,
        "variants": [
            {"name": name, "href": relative_href(page, target), "current": target == page}
            for name, target in (variants or {}).items()
        ],
        "comparison_href": relative_href(page, comparison) if comparison else None,
    }
    files[page] = render_page(env, "image.html", context).encode("utf-8")
    return check_site_paths(files)
