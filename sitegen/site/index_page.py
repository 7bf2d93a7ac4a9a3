"""The site's index page (a card per image, a row per class), and the site-wide files with it.

The HTML holds the first ``CARDS_PER_PAGE`` cards only; ``gallery.js`` carries every image and
``static/js/gallery.js`` pages, filters and sorts them (see ``sitegen.site.gallery``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sitegen.site.assets import static_files
from sitegen.site.class_list import class_list_page, folded_classes
from sitegen.site.class_page import class_page
from sitegen.site.evaluation import METRICS_FILE, EvaluationTally, card_numbers, index_context, metrics_json
from sitegen.site.gallery import CARDS_PER_PAGE, GALLERY_SCRIPT, VariantListing, gallery_script
from sitegen.site.page_context import base_context, class_link, fact_rows
from sitegen.site.paths import CLASS_LIST_PAGE, check_site_paths, relative_href
from sitegen.site.render import format_number, render_page
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


def _dataset_miou(evaluation: EvaluationTally | None) -> float | None:
    """The final map's mIoU over every evaluated image (summed confusion matrices), or None."""
    dataset = None if evaluation is None else evaluation.dataset()
    return None if dataset is None else dataset["final"].miou


def _variant_rows(variants: list[VariantListing], num_classes: int) -> list[dict]:
    """The variants summary: per variant, what it changes and what it found over all images, and
    with ground truth its final mIoU over the evaluated images."""
    return [
        {
            "name": listing.variant.name,
            "changes": [{"flag": key, "value": format_number(value)} for key, value in listing.variant.changes.items()],
            "images": len(listing.summaries),
            "prompts": sum(s.total_prompts for s in listing.summaries),
            "masks": sum(s.total_masks for s in listing.summaries),
            "found": sum(c.found for s in listing.summaries for c in s.classes),
            "missed": sum(c.miss is not None for s in listing.summaries for c in s.classes),
            "pairs": len(listing.summaries) * num_classes,
            "miou": _dataset_miou(listing.evaluation),
        }
        for listing in variants
    ]


def index_page(
    summaries: list[ImageSummary],
    failures: list[Failure],
    site: SiteInfo,
    env,
    build_facts: dict,
    evaluation: EvaluationTally | None = None,
    variants: list[VariantListing] | None = None,
    folded: frozenset[int] = frozenset(),
) -> str:
    """The index page's HTML: a card per image, a row per class, the failures and the build's
    facts, and with ground truth the evaluation panel and each card's mIoU.

    With ``variants`` (every variant of a build with several, base first) a table summarises them
    side by side and a switch above the cards shows any variant's thumbnails and counts (the
    HTML's first page is the base variant's). The classes in ``folded`` (found in no image) link
    to their entry on the class list page.
    """
    page = "index.html"
    numbers = {} if evaluation is None else card_numbers(evaluation)
    class_rows = []
    for i in range(len(site.vocabulary)):
        found = [s for s in summaries if s.classes[i].found]
        class_rows.append(
            {
                **class_link(site, i, page, i not in folded),
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
        "variants": _variant_rows(variants, len(site.vocabulary)) if variants else [],
        "classes": class_rows,
        "class_list": relative_href(page, CLASS_LIST_PAGE),
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
    variants: list[VariantListing] | None = None,
) -> dict[str, bytes]:
    """The site-wide files: index, gallery data, a page per class found in some image, the class
    list page (every class; those found in no image described there in full), the shared static
    files, and with ground truth ``metrics.json``.

    ``variants``: every variant of a build with several, base first.
    """
    named = [(v.variant.name, v.summaries) for v in variants] if variants else None
    folded = folded_classes([shown for _, shown in named] if named else [summaries], len(site.vocabulary))
    files = static_files()
    files[GALLERY_SCRIPT] = gallery_script(summaries, site, evaluation, variants)
    index = index_page(summaries, failures, site, env, build_facts, evaluation, variants, folded)
    files["index.html"] = index.encode("utf-8")
    if evaluation is not None:
        files[METRICS_FILE] = metrics_json(evaluation, len(summaries))
    for i in range(len(site.vocabulary)):
        if i not in folded:
            page, html = class_page(i, summaries, site, env, evaluation, named)
            files[page] = html.encode("utf-8")
    files[CLASS_LIST_PAGE] = class_list_page(summaries, site, env, folded, named).encode("utf-8")
    return check_site_paths(files)
