"""The lists of the index and class pages, made for thousands of images.

A page that lists 5,000 images as HTML cards is megabytes before the first paint. Instead, the
site carries one small data file, ``gallery.js`` (``window.SITEGEN_GALLERY``: a script, so it
loads from file://), with a row per image, and ``static/js/gallery.js`` renders one page of cards
or table rows at a time, filtered and sorted over all images. The HTML itself holds only the
first page (what a reader without JavaScript sees) and, on a class page, the class's numbers per
image as JSON. Thumbnails are ``loading="lazy"``.

Paths are not repeated per image: the bundle carries patterns (``images/{slug}.html``) that the
script fills in. Everything here is linear in the number of images and classes.

With several variants (``--config``) the bundle also carries, per variant, each image's numbers
in that variant (masks, classes, with ground truth its mIoU): the index's variant switch swaps
every card's thumbnail, link and counts for them. A variant's page slug is the base slug plus the
variant's suffix (``img0-png`` + ``--low``) except where ``unique_slugs`` had to change it (cut
to length, a collision): only those slugs are listed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sitegen.config import Variant
from sitegen.site.evaluation import EvaluationTally, card_numbers
from sitegen.site.paths import (
    class_page_path,
    class_thumbnail_path,
    image_folder,
    image_page_path,
    photo_thumbnail_path,
    thumbnail_path,
)
from sitegen.site.render import script_json
from sitegen.site.slugs import slugify
from sitegen.site.variant_pages import VARIANT_SEPARATOR
from sitegen.site.summaries import ClassSummary, ImageSummary, SiteInfo

GALLERY_SCRIPT = "gallery.js"
#: Cards per page on the index and the class pages; rows per page of a class page's table.
CARDS_PER_PAGE = 48
ROWS_PER_PAGE = 100
_SENTINEL = "slug0"


@dataclass(frozen=True)
class VariantListing:
    """One variant of a build with several: its options, its images' summaries (in site order) and,
    with ground truth, the evaluation of its final maps."""

    variant: Variant
    summaries: Sequence[ImageSummary]
    evaluation: EvaluationTally | None = None


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


def _scores(evaluation: EvaluationTally | None, summaries: Sequence[ImageSummary]) -> list | None:
    """Per image ``[SCLIP mIoU, final mIoU, gain]``, or None for an image left out of the evaluation."""
    if evaluation is None:
        return None
    numbers = card_numbers(evaluation)
    cards = [numbers.get(s.name) for s in summaries]
    return [None if card is None or card["left_out"] else [card["sclip"], card["final"], card["gain"]] for card in cards]


def _found(summary: ImageSummary) -> list[list[int]]:
    return [[c.index, c.masks] for c in summary.classes if c.found]


def _variant_entry(listing: VariantListing, base: Sequence[ImageSummary]) -> dict:
    """One non-base variant's part of the bundle: its suffix, the slugs it does not derive, its rows.

    A row is ``[masks, [[class, masks], ...]]`` (then ``[SCLIP mIoU, final mIoU, gain]`` or None
    with ground truth, then ``[width, height]`` where it differs from the base's), or None for an
    image that has no page in this variant (it failed there).
    """
    suffix = VARIANT_SEPARATOR + slugify(listing.variant.name)
    own = {s.name: (i, s) for i, s in enumerate(listing.summaries)}
    scores = _scores(listing.evaluation, listing.summaries)
    rows, slugs = [], {}
    for position, summary in enumerate(base):
        mine = own.get(summary.name)
        if mine is None:
            rows.append(None)
            continue
        i, other = mine
        row = [other.total_masks, _found(other)]
        if scores is not None:
            row.append(scores[i])
        if (other.width, other.height) != (summary.width, summary.height):
            row.append([other.width, other.height])
        rows.append(row)
        if other.slug != summary.slug + suffix:
            slugs[str(position)] = other.slug
    return {"name": listing.variant.name, "suffix": suffix, "slugs": slugs, "images": rows}


def gallery_bundle(
    summaries: Sequence[ImageSummary],
    site: SiteInfo,
    evaluation: EvaluationTally | None = None,
    variants: Sequence[VariantListing] | None = None,
) -> dict:
    """What ``gallery.js`` holds: classes, path patterns and one row per image, in site order.

    An image row is ``[name, slug, width, height, masks, [[class, masks], ...]]`` listing the
    classes SAM kept a mask for; a class row is ``[name, colour, slug]``. With ground truth
    (``evaluated``), each image row ends with ``[SCLIP mIoU, final mIoU, gain]``, or None for an
    image left out of the evaluation: the index shows them and sorts by them.

    With ``variants`` (every variant of a build with several, base first), ``variants`` lists
    the base's name and then each other variant's entry (see ``_variant_entry``), whose rows
    follow the base's image order.
    """
    bundle = {
        "paths": path_patterns(),
        "classes": [
            [spec.name, site.palette.hex(i), site.class_slugs[i]] for i, spec in enumerate(site.vocabulary.classes)
        ],
        "images": [[s.name, s.slug, s.width, s.height, s.total_masks, _found(s)] for s in summaries],
        "evaluated": evaluation is not None,
    }
    scores = _scores(evaluation, summaries)
    if scores is not None:
        for row, numbers in zip(bundle["images"], scores):
            row.append(numbers)
    if variants:
        bundle["variants"] = [{"name": variants[0].variant.name}] + [_variant_entry(v, summaries) for v in variants[1:]]
    return bundle


def gallery_script(
    summaries: Sequence[ImageSummary],
    site: SiteInfo,
    evaluation: EvaluationTally | None = None,
    variants: Sequence[VariantListing] | None = None,
) -> bytes:
    """``gallery.js``: ``window.SITEGEN_GALLERY = {...};`` (see ``gallery_bundle``)."""
    return f"window.SITEGEN_GALLERY = {script_json(gallery_bundle(summaries, site, evaluation, variants))};\n".encode("utf-8")


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
