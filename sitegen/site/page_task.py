"""One image's figures and pages from its pipeline result: the work a build hands to its processes.

``render_pages`` is a pure function of an ``PageTask`` (a picklable record), so it runs the same
in the building process (``--jobs 1``) and in a worker (``sitegen.site.parallel``): it takes the
rendered steps from the figure cache or draws them (and caches them), then makes every file of
the image's pages. It writes nothing into the site; the build writes what it returns.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from sitegen.records import PipelineResult
from sitegen.site.cache import ResultCache
from sitegen.site.summaries import ImageSummary, SiteInfo


@dataclass(frozen=True)
class PageTask:
    """Everything ``render_pages`` needs about one image.

    ``previous`` and ``next`` are the neighbours its page links to; ``figures_key`` is the key of
    its rendered steps in ``cache``, which ``threads`` threads draw on a miss
    (``sitegen.site.parallel.threads_per_job``); ``evaluation`` is ``image_files``'s (with
    ground truth only), and so are ``variants`` and ``comparison`` (with several variants only)
    and ``funnels`` (the build's, which with ground truth explains under-found classes too;
    None: from ``result``).
    """

    result: PipelineResult
    summary: ImageSummary
    previous: ImageSummary | None
    next: ImageSummary | None
    site: SiteInfo
    cache: ResultCache
    figures_key: str
    per_class_details: bool
    threads: int
    evaluation: tuple | None = None
    variants: tuple[tuple[str, str], ...] = ()
    comparison: str | None = None
    funnels: tuple | None = None


@functools.lru_cache(maxsize=1)
def _environment():
    """The Jinja environment, made once per process (templates compile on first use)."""
    from sitegen.site.render import make_environment

    return make_environment()


def rendered_figures(
    result: PipelineResult, site: SiteInfo, cache: ResultCache, key: str, per_class_details: bool, threads: int
):
    """``(steps, class_details)`` of one result: from the figure cache, else drawn and cached.

    The per-class details are those of the classes the image needs (``shown_classes``: every
    class of a vocabulary of up to 24).
    """
    from sitegen.figures import render_class_details, render_steps
    from sitegen.figures.shown_classes import shown_classes

    figures = cache.get_figures(key)
    if figures is None:
        details = (
            [render_class_details(result, site.palette, c) for c in shown_classes(result).indices]
            if per_class_details
            else None
        )
        figures = (render_steps(result, site.palette, threads), details)
        cache.put_figures(key, figures)
    return figures


def render_pages(task: PageTask) -> dict[str, bytes]:
    """Every file of one image (path relative to the site root -> bytes)."""
    from sitegen.site.image_page import image_assets, image_files

    steps, class_details = rendered_figures(
        task.result, task.site, task.cache, task.figures_key, task.per_class_details, task.threads
    )
    assets = image_assets(task.result, task.summary, task.site)
    return image_files(
        task.result, steps, task.summary, task.previous, task.next, task.site, _environment(), assets, class_details,
        evaluation=task.evaluation, variants=dict(task.variants), comparison=task.comparison, funnels=task.funnels,
    )
