"""The page of one vocabulary class: every image that has it, and its region statistics.

The HTML holds the first page of each list; the class's numbers per image travel as JSON in the
page and ``static/js/gallery.js`` pages through them with the names from ``gallery.js``.
"""

from __future__ import annotations

from sitegen.site.evaluation import EvaluationTally, class_context
from sitegen.site.gallery import CARDS_PER_PAGE, GALLERY_SCRIPT, ROWS_PER_PAGE, class_rows
from sitegen.site.page_context import base_context, class_link
from sitegen.site.paths import class_page_path, relative_href
from sitegen.site.render import render_page
from sitegen.site.summaries import ImageSummary, SiteInfo


def funnel_tables(
    index: int, page: str, variants: list[tuple[str | None, list[ImageSummary]]], *, reached_only: bool = False
) -> list[dict]:
    """The class's funnel in every image, one table per variant (name None: a one-variant build).

    A row links to the image's page, and a missed class's sentence to the step that shows the loss;
    ``totals`` sums each stage over the ``images``. With ``reached_only`` only the images where the
    class wins some argmax pixel get a row (the others' rows are all zeros): ``classes.html`` lists
    every class found nowhere, and a row per image for each would grow it by 250 bytes per image
    and class, megabytes at thousands of images.
    """
    from sitegen.pipeline.funnel import STAGES

    tables = []
    for name, summaries in variants:
        rows = []
        for summary in summaries:
            cls = summary.classes[index]
            if reached_only and not (cls.funnel and cls.funnel[0]):
                continue
            href = relative_href(page, summary.page)
            rows.append(
                {
                    "name": summary.name,
                    "href": href,
                    "counts": list(cls.funnel),
                    "miss": cls.miss.split(": ", 1)[1] if cls.miss else None,
                    "miss_href": f"{href}#step-{cls.miss_step}" if cls.miss else None,
                    "miss_step": cls.miss_step,
                }
            )
        totals = [sum(counts) for counts in zip(*(row["counts"] for row in rows))] if rows else [0] * len(STAGES)
        tables.append({"variant": name, "rows": rows, "totals": totals, "images": len(summaries)})
    return [{**table, "stages": [stage.label for stage in STAGES]} for table in tables]


def class_page(
    index: int,
    summaries: list[ImageSummary],
    site: SiteInfo,
    env,
    evaluation: EvaluationTally | None = None,
    variants: list[tuple[str, list[ImageSummary]]] | None = None,
) -> tuple[str, str]:
    """(path, HTML) of the page of vocabulary class ``index``: the images that have it and those
    that do not, and with ground truth its IoU per image.

    ``variants`` (a build with several) gives each variant's name and image summaries, base first;
    the funnel is then tabled per variant.
    """
    spec = site.vocabulary.classes[index]
    page = class_page_path(site.class_slugs[index])
    found, missing = [], []
    for summary in summaries:
        cls = summary.classes[index]
        record = {
            "name": summary.name,
            "href": relative_href(page, summary.page),
            "prompts": cls.prompts,
            "masks": cls.masks,
            "area": cls.area,
            "mean_confidence": cls.mean_confidence,
            "regions": len(cls.region_areas),
        }
        if cls.found:
            record["confidence_thumbnail"] = relative_href(page, cls.confidence_thumbnail)
            record["mask_thumbnail"] = relative_href(page, cls.mask_thumbnail)
            record["photo_thumbnail"] = relative_href(page, summary.photo_thumbnail)
            record["width"], record["height"] = summary.width, summary.height
            found.append(record)
        else:
            missing.append(record)
    distributions = {
        "name": spec.name,
        "colour": site.palette.hex(index),
        "areas": [a for s in summaries for a in s.classes[index].region_areas],
        "confidences": [c for s in summaries for c in s.classes[index].region_confidences],
    }
    context = {
        **base_context(site, page, spec.name),
        "cls": {**class_link(site, index, page), "queries": list(spec.queries)},
        "found": found,
        "missing": missing,
        "distributions": distributions,
        "rows": class_rows(summaries, index),
        "per_page": {"cards": CARDS_PER_PAGE, "rows": ROWS_PER_PAGE},
        "gallery_script": GALLERY_SCRIPT,
        "funnels": funnel_tables(index, page, variants or [(None, summaries)]),
        "totals": {
            "images": len(summaries),
            "masks": sum(r["masks"] for r in found),
            "prompts": sum(r["prompts"] for r in found + missing),
            "regions": len(distributions["areas"]),
        },
        "evaluation": None
        if evaluation is None
        else class_context(evaluation, index, len(summaries), lambda target: relative_href(page, target)),
    }
    return page, render_page(env, "class.html", context)
