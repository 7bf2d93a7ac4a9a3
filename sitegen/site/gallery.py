"""The lists of the index and class pages, made for thousands of images.

A page that lists 5,000 images as HTML cards is megabytes before the first paint. Instead, the
site carries one small data file, ``gallery.js`` (``window.SITEGEN_GALLERY``: a script, so it
loads from file://), with a row per image, and ``static/js/gallery.js`` renders one page of cards
or table rows at a time, filtered and sorted over all images. The HTML itself holds only the
first page (what a reader without JavaScript sees) and, on a class page, the class's numbers per
image as JSON. Thumbnails are ``loading="lazy"``.

Paths are not repeated per image: the bundle carries patterns (``images/{slug}.html``) that the
script fills in. Everything here is linear in the number of images and classes.
"""

from __future__ import annotations

from collections.abc import Sequence

from sitegen.site.evaluation import EvaluationTally, card_numbers
from sitegen.site.paths import (
    class_page_path,
    class_thumbnail_path,
    image_folder,
    image_page_path,
    photo_thumbnail_path,
    thumbnail_path,
)
from sitegen.site.summaries import ClassSummary, ImageSummary, SiteInfo
from sitegen.site.render import script_json

GALLERY_SCRIPT = "gallery.js"
#: Cards per page on the index and the class pages; rows per page of a class page's table.
CARDS_PER_PAGE = 48
ROWS_PER_PAGE = 100
_SENTINEL = "slug0"


def path_patterns() -> dict[str, str]:
    """Where an image's files are, with ``{slug}`` (and ``{class}``) for the parts that vary.

    Derived from the functions that name the files, so the script cannot drift from them.

    >>> path_patterns()["page"], path_patterns()["mask"]
    ('images/{slug}.html', 'images/{slug}/class_{class}_mask.png')
    """
    folder = image_folder(_SENTINEL)
    patterns = {
        "page": image_page_path(_SENTINEL),
        "thumbnail": thumbnail_path(folder),
        "photo": photo_thumbnail_path(folder),
        "confidence": class_thumbnail_path(folder, "{class}", "confidence"),
        "mask": class_thumbnail_path(folder, "{class}", "mask"),
        "class_page": class_page_path(_SENTINEL),
    }
    return {key: path.replace(_SENTINEL, "{slug}") for key, path in patterns.items()}


def gallery_bundle(summaries: Sequence[ImageSummary], site: SiteInfo, evaluation: EvaluationTally | None = None) -> dict:
    """What ``gallery.js`` holds: classes, path patterns and one row per image, in site order.

    An image row is ``[name, slug, width, height, masks, [[class, masks], ...]]`` listing the
    classes SAM kept a mask for; a class row is ``[name, colour, slug]``. With ground truth
    (``evaluated``), each image row ends with ``[SCLIP mIoU, final mIoU, gain]``, or None for an
    image left out of the evaluation: the index shows them and sorts by them.
    """
    bundle = {
        "paths": path_patterns(),
        "classes": [
            [spec.name, site.palette.hex(i), site.class_slugs[i]] for i, spec in enumerate(site.vocabulary.classes)
        ],
        "images": [
            [s.name, s.slug, s.width, s.height, s.total_masks, [[c.index, c.masks] for c in s.classes if c.found]]
            for s in summaries
        ],
        "evaluated": evaluation is not None,
    }
    if evaluation is not None:
        numbers = card_numbers(evaluation)
        for row, summary in zip(bundle["images"], summaries):
            card = numbers.get(summary.name)
            row.append(None if card is None or card["left_out"] else [card["sclip"], card["final"], card["gain"]])
    return bundle


def gallery_script(summaries: Sequence[ImageSummary], site: SiteInfo, evaluation: EvaluationTally | None = None) -> bytes:
    """``gallery.js``: ``window.SITEGEN_GALLERY = {...};`` (see ``gallery_bundle``)."""
    return f"window.SITEGEN_GALLERY = {script_json(gallery_bundle(summaries, site, evaluation))};\n".encode("utf-8")


def _class_row(position: int, cls: ClassSummary) -> list:
    return [position, len(cls.region_areas), cls.prompts, cls.masks, cls.area, cls.mean_confidence]


def class_rows(summaries: Sequence[ImageSummary], index: int) -> dict:
    """A class page's numbers per image: ``found`` rows first, then ``missing``, each in site order.

    A row is ``[position in gallery.js, regions, prompts, masks, final area px, mean confidence]``.
    """
    found, missing = [], []
    for position, summary in enumerate(summaries):
        cls = summary.classes[index]
        (found if cls.found else missing).append(_class_row(position, cls))
    return {"class": index, "found": found, "missing": missing}
