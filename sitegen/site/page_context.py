"""Template context that several pages share: header and footer, class chips, facts, downloads.

Collect, then render: the page modules gather page records (plain dicts and frozen dataclasses,
no Jinja) from pipeline results and rendered figures, and hand them to a template. Nothing is
written to disk; the build loop writes the returned files atomically.
"""

from __future__ import annotations

from sitegen.records import PipelineResult
from sitegen.site.paths import CLASS_LIST_PAGE, class_list_anchor, class_page_path, relative_href
from sitegen.site.render import format_number
from sitegen.site.summaries import SiteInfo


RANDOM_WEIGHTS_WARNING = "Random weights: masks are meaningless"
#: What each downloadable data file holds (site pages and ``sitegen run`` pages).
DATA_DESCRIPTIONS = {
    "probabilities.npz": (
        "class probabilities quantised to uint8 (p = q / 255) at every second pixel, "
        "SCLIP argmax and final map (NumPy .npz)"
    ),
    "confidences.npy": "class probabilities, (H, W, C) float32 (NumPy .npy)",
    "prompts.json": "regions, positive and negative points, every SAM prompt and its outcome",
    "statistics.json": "parameters, models, per-class counts and timings",
}


def download_link(name: str, href: str, size: int | None) -> dict:
    """A data-file link; the size is shown when the file is known here."""
    return {
        "name": name,
        "href": href,
        "size": None if size is None else file_size_text(size),
        "description": DATA_DESCRIPTIONS[name],
    }


def file_size_text(size: int) -> str:
    if size < 1000:
        return f"{size} bytes"
    if size < 1_000_000:
        return f"{size / 1000:.1f} kB"
    return f"{size / 1_000_000:.1f} MB"


def class_link(site: SiteInfo, index: int, page: str | None, own_page: bool = True) -> dict:
    """A class chip: name, palette colour and, on a site page, the link to its class page.

    Only a class SAM kept a mask of in some image has a page of its own (``own_page``); the others
    are described on ``CLASS_LIST_PAGE``. A page about one image cannot know what other images
    found, so it links a class it kept no mask of to the class's entry there, which links on to
    the class's own page when it has one.
    """
    slug = site.class_slugs[index]
    if page is None:
        href = None
    elif own_page:
        href = relative_href(page, class_page_path(slug))
    else:
        href = f"{relative_href(page, CLASS_LIST_PAGE)}#{class_list_anchor(slug)}"
    return {"index": index, "name": site.vocabulary.classes[index].name, "colour": site.palette.hex(index), "href": href}


def _parameters(site: SiteInfo) -> list[dict]:
    """Every pipeline option as the flag that sets it, with its value."""
    return [
        {"flag": "--" + name.replace("_", "-"), "value": format_number(value)}
        for name, value in site.options.as_dict().items()
    ]


def _models(site: SiteInfo) -> list[dict]:
    models = site.models
    sam = models.sam_checkpoint or models.sam_model
    return [
        {"label": "CLIP model", "value": f"{models.clip_model} ({models.clip_pretrained})"},
        {"label": "SAM 2 model", "value": sam},
        {"label": "Weights", "value": "random (untrained)" if site.random_weights else "pretrained"},
        {"label": "Seed", "value": str(models.seed)},
    ]


def base_context(site: SiteInfo, page: str, title: str) -> dict:
    return {
        "page_title": title,
        "site_title": site.title,
        "root": "../" * page.count("/"),
        "random_weights": site.random_weights,
        "random_weights_warning": RANDOM_WEIGHTS_WARNING,
        "version": site.version,
        "parameters": _parameters(site),
        "models": _models(site),
    }


def fact_rows(facts: dict) -> list[dict]:
    return [{"label": label, "value": format_number(value)} for label, value in facts.items()]


def _dashboard(statistics: dict, site: SiteInfo, page: str, link_classes: bool) -> dict:
    """The statistics table of one image: a row per class plus totals, with bar widths."""
    rows = []
    for row in statistics["classes"]:
        confidence = row["mean_confidence"]
        rows.append(
            {
                **row,
                "cls": class_link(site, row["index"], page if link_classes else None, row["masks_kept"] > 0),
                "area_percent": 100.0 * row["final_fraction"],
                "confidence_percent": None if confidence is None else 100.0 * confidence,
            }
        )
    return {
        "rows": rows,
        "totals": statistics["totals"],
        "windows": statistics["sclip"]["windows"],
        "templates": statistics["prompt_templates"]["count"],
        "timings": [{"label": k, "value": v} for k, v in statistics["timings_seconds"].items()],
    }


def result_context(result: PipelineResult, stats: dict, site: SiteInfo, page: str, link_classes: bool) -> dict:
    """What every page about one image's run shows besides the viewer: its name, size, statistics."""
    return {
        **base_context(site, page, result.image.name),
        "image": {
            "name": result.image.name,
            "width": result.image.width,
            "height": result.image.height,
            "warnings": list(result.image.warnings),
        },
        "dashboard": _dashboard(stats, site, page, link_classes),
    }
