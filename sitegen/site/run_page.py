"""``sitegen run``'s single page: one image's step viewer in the original tool's layout."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from sitegen.records import PipelineResult
from sitegen.site.assets import static_files
from sitegen.site.page_context import download_link, result_context
from sitegen.site.paths import check_site_paths
from sitegen.site.render import render_page
from sitegen.site.summaries import SiteInfo
from sitegen.site.viewer import step_viewer

if TYPE_CHECKING:
    import jinja2

    from sitegen.figures import ClassDetails, RenderedStep


def run_files(
    result: PipelineResult,
    steps: list[RenderedStep],
    site: SiteInfo,
    env: jinja2.Environment,
    class_details: list[ClassDetails] | None,
) -> dict[str, bytes]:
    """The original tool's single-image layout: index.html viewer, steps/, per_class/, static/.

    The ``data/`` files are added by the caller; the page links to them. The step PNGs are part
    of that layout, so they are written whatever ``site.paper_figures`` says.
    """
    from sitegen.pipeline.data_files import statistics

    page = "index.html"
    site = dataclasses.replace(site, paper_figures=True)
    files, viewer = step_viewer(result, steps, class_details, site, "", page, link_classes=False)
    files.update(static_files())
    context = {
        **result_context(result, statistics(result), site, page, link_classes=False),
        **viewer,
        "downloads": [
            download_link(name, f"data/{name}", None) for name in ("confidences.npy", "prompts.json", "statistics.json")
        ],
    }
    files[page] = render_page(env, "run.html", context).encode("utf-8")
    return check_site_paths(files)
