"""The site's index page (a card per image, a row per class), and the site-wide files with it.

The HTML holds the first ``CARDS_PER_PAGE`` cards only; ``gallery.js`` carries every image and
``static/js/gallery.js`` pages, filters and sorts them (see ``sitegen.site.gallery``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sitegen.site.assets import static_files
from sitegen.site.class_page import class_page
from sitegen.site.evaluation import METRICS_FILE, EvaluationTally, card_numbers, index_context, metrics_json
from sitegen.site.gallery import CARDS_PER_PAGE, GALLERY_SCRIPT, gallery_script
from sitegen.site.page_context import base_context, class_link, fact_rows
from sitegen.site.paths import check_site_paths, relative_href
from sitegen.site.render import render_page
from sitegen.site.summaries import Failure, ImageSummary, SiteInfo

if TYPE_CHECKING:
    import jinja2


def _card(summary: ImageSummary, site: SiteInfo, evaluation: dict | None) -> dict:
    page = "index.html"
    found = [c for c in summary.classes if c.found]
    return {
        "name": summary.name,
        "href": relative_href(page, summary.page),
        "thumbnail": relative_href(page, summary.thumbnail),
        "width": summary.width,
        "height": summary.height,
        "masks": summary.total_masks,
        "class_indices": " ".join(str(c.index) for c in found),
        "classes": [{**class_link(site, c.index, page), "masks": c.masks} for c in found],
        "evaluation": evaluation,
    }


def index_page(
    summaries: list[ImageSummary],
    failures: list[Failure],
    site: SiteInfo,
    env,
    build_facts: dict,
    evaluation: EvaluationTally | None = None,
) -> str:
    """The index page's HTML: a card per image, a row per class, the failures and the build's
    facts, and with ground truth the evaluation panel and each card's mIoU."""
    page = "index.html"
    numbers = {} if evaluation is None else card_numbers(evaluation)
    class_rows = []
    for i in range(len(site.vocabulary)):
        found = [s for s in summaries if s.classes[i].found]
        class_rows.append(
            {
                **class_link(site, i, page),
                "images": len(found),
                "masks": sum(s.classes[i].masks for s in summaries),
            }
        )
    context = {
        **base_context(site, page, site.title),
        "cards": [_card(s, site, numbers.get(s.name)) for s in summaries[:CARDS_PER_PAGE]],
        "per_page": CARDS_PER_PAGE,
        "gallery_script": GALLERY_SCRIPT,
        "evaluation": None
        if evaluation is None
        else index_context(evaluation, len(summaries), lambda target: relative_href(page, target)),
        "classes": class_rows,
        "failures": failures,
        "totals": {
            "images": len(summaries),
            "failed": len(failures),
            "classes": len(site.vocabulary),
            "masks": sum(s.total_masks for s in summaries),
            "prompts": sum(s.total_prompts for s in summaries),
        },
        "build_facts": fact_rows(build_facts),
    }
    return render_page(env, "index.html", context)


def site_files(
    summaries: list[ImageSummary],
    failures: list[Failure],
    site: SiteInfo,
    env: jinja2.Environment,
    build_facts: dict,
    evaluation: EvaluationTally | None = None,
) -> dict[str, bytes]:
    """The site-wide files: index, gallery data, one page per class, the shared static files, and
    with ground truth ``metrics.json``."""
    files = static_files()
    files[GALLERY_SCRIPT] = gallery_script(summaries, site, evaluation)
    files["index.html"] = index_page(summaries, failures, site, env, build_facts, evaluation).encode("utf-8")
    if evaluation is not None:
        files[METRICS_FILE] = metrics_json(evaluation, len(summaries))
    for index in range(len(site.vocabulary)):
        page, html = class_page(index, summaries, site, env, evaluation)
        files[page] = html.encode("utf-8")
    return check_site_paths(files)
