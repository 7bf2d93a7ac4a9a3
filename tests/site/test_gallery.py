"""The index and class pages of a 130-image site: the first page in the HTML, the rest paged by script."""

from __future__ import annotations

import dataclasses
import json

import pytest

from sitegen.site.gallery import CARDS_PER_PAGE, GALLERY_SCRIPT, ROWS_PER_PAGE, gallery_bundle, path_patterns
from sitegen.site.index_page import site_files
from sitegen.site.slugs import unique_slugs
from sitegen.site.summaries import summarize_image
from tests.site.factory import CLASS_NAMES, write_files
from tests.site.html_scan import scan
from tests.site.test_browser import _shown_cards

COUNT = 130


@pytest.fixture(scope="module")
def many(results, site_info, env, tmp_path_factory):
    """130 images (the three results in turn, under new names): site-wide files and thumbnails."""
    names = [f"img_{k:03d}.png" for k in range(COUNT)]
    summaries = []
    for k, (name, slug) in enumerate(zip(names, unique_slugs(names))):
        result = results[k % len(results)]
        result = dataclasses.replace(result, image=dataclasses.replace(result.image, name=name))
        summaries.append(summarize_image(result, slug, site_info))
    files = site_files(summaries, [], site_info, env, {})
    picture = b"\x89PNG\r\n\x1a\n"  # never decoded: only requested
    for summary in summaries:
        files[summary.thumbnail] = files[summary.page] = picture
        for cls in summary.classes:
            if cls.found:
                files[cls.confidence_thumbnail] = files[cls.mask_thumbnail] = files[summary.photo_thumbnail] = picture
    root = write_files(files, tmp_path_factory.mktemp("many"))
    return root, summaries, files


def test_the_index_html_holds_one_page_and_gallery_js_every_image(many, site_info):
    _, summaries, files = many
    index = scan(files["index.html"])
    assert len(index.with_attr("li", "data-name")) == CARDS_PER_PAGE
    text = files[GALLERY_SCRIPT].decode()
    bundle = json.loads(text.removeprefix("window.SITEGEN_GALLERY = ").removesuffix(";\n"))
    assert bundle == json.loads(json.dumps(gallery_bundle(summaries, site_info)))
    assert [row[0] for row in bundle["images"]] == [s.name for s in summaries]
    for row, summary in zip(bundle["images"], summaries):
        assert row[4] == summary.total_masks
        assert row[5] == [[c.index, c.masks] for c in summary.classes if c.found]
        assert path_patterns()["page"].replace("{slug}", row[1]) == summary.page
        assert path_patterns()["thumbnail"].replace("{slug}", row[1]) == summary.thumbnail


@pytest.mark.browser
def test_index_pages_filters_and_sorts_over_every_image(visit, many):
    root, summaries, _ = many
    opened = visit(root, "index.html")
    page = opened.page
    names = sorted(s.name for s in summaries)
    assert _shown_cards(page) == names[:CARDS_PER_PAGE]
    assert page.text_content("#gallery-status") == f"Showing {COUNT} of {COUNT} images"
    assert page.text_content("#gallery-pager .page-label") == "Page 1 of 3"
    assert page.is_hidden("#gallery-more")
    page.click("#gallery-pager [data-page='1']")
    page.click("#gallery-pager [data-page='1']")
    assert _shown_cards(page) == names[2 * CARDS_PER_PAGE :]
    assert page.is_disabled("#gallery-pager [data-page='1']")
    assert page.evaluate("location.hash") == "#page=3"
    page.reload()
    assert _shown_cards(page) == names[2 * CARDS_PER_PAGE :]  # the page survives a reload (and Back)

    wanted = 3
    having = [s.name for s in summaries if s.classes[wanted].found]
    page.fill("#class-filter", CLASS_NAMES[wanted])
    assert page.text_content("#gallery-status") == f"Showing {len(having)} of {COUNT} images (1 matching class)"
    assert _shown_cards(page) == sorted(having)[:CARDS_PER_PAGE]

    page.fill("#class-filter", "")
    page.select_option("#sort-order", value="masks")
    by_masks = sorted(summaries, key=lambda s: (-s.total_masks, s.name))
    assert _shown_cards(page) == [s.name for s in by_masks[:CARDS_PER_PAGE]]
    lazy = page.evaluate("() => [...document.querySelectorAll('#gallery img')].every(i => i.loading === 'lazy')")
    assert lazy
    opened.assert_clean()


@pytest.mark.browser
def test_the_first_page_is_the_html_as_written_and_the_data_loads_when_the_reader_pages(visit, many):
    root, summaries, files = many
    opened = visit(root, "index.html")
    page = opened.page
    page.wait_for_load_state("load")
    names = [s.name for s in summaries]  # site order: by file name, as the build sorts them
    written = [card["data-name"] for card in scan(files["index.html"]).with_attr("li", "data-name")]
    assert written == names[:CARDS_PER_PAGE]
    # Before any interaction: the cards as written, visible, the controls and pager ready, and the
    # data of every image not loaded (nor parsed, nor sorted).
    assert _shown_cards(page) == written
    assert page.is_visible("#gallery > li:first-child img") and page.is_visible("#gallery-controls")
    assert page.text_content("#gallery-status") == f"Showing {COUNT} of {COUNT} images"
    assert page.text_content("#gallery-pager .page-label") == "Page 1 of 3"
    assert page.evaluate("() => window.SITEGEN_GALLERY === undefined && !document.querySelector('script[data-gallery-data]')")
    # Paging loads the data and goes on from the first page.
    page.click("#gallery-pager [data-page='1']")
    assert _shown_cards(page) == names[CARDS_PER_PAGE : 2 * CARDS_PER_PAGE]
    assert page.evaluate("() => window.SITEGEN_GALLERY.images.length") == COUNT
    assert page.text_content("#gallery-pager .page-label") == "Page 2 of 3"
    page.click("#gallery-pager [data-page='-1']")
    assert _shown_cards(page) == written
    # Cards drawn from the data link where the written ones do.
    hrefs = page.evaluate("() => [...document.querySelectorAll('#gallery > li h3 a')].map(a => a.getAttribute('href'))")
    assert hrefs == [f"images/{s.slug}.html" for s in summaries[:CARDS_PER_PAGE]]
    opened.assert_clean()


@pytest.mark.browser
def test_class_page_pages_its_table_and_its_lists(visit, many, site_info):
    root, summaries, files = many
    slug = site_info.class_slugs[0]
    html = scan(files[f"classes/{slug}.html"])
    tables = len([t for t in html.tags if t[0] == "table"])
    assert tables == 2  # the per-image table and the funnel per image
    # The HTML holds one page of the per-image table (plus each table's header row), the funnel's
    # row of totals and no funnel row per image: those come from the page's data, a page at a time.
    assert len([t for t in html.tags if t[0] == "tr"]) == ROWS_PER_PAGE + tables + 1
    assert b'data-rows="funnel-rows-1"></tbody>' in files[f"classes/{slug}.html"]
    opened = visit(root, f"classes/{slug}.html")
    page = opened.page
    found = [s.name for s in summaries if s.classes[0].found]
    missing = [s.name for s in summaries if not s.classes[0].found]
    rows = lambda: page.evaluate("() => [...document.querySelectorAll('#class-table th a')].map(a => a.textContent)")  # noqa: E731
    assert rows() == (found + missing)[:ROWS_PER_PAGE]
    page.click("#table-pager [data-page='1']")
    assert rows() == (found + missing)[ROWS_PER_PAGE:]
    funnel = lambda: page.evaluate("() => [...document.querySelectorAll('tbody.funnel-rows th a')].map(a => a.textContent)")  # noqa: E731
    names = [s.name for s in summaries]
    assert funnel() == names[:ROWS_PER_PAGE]
    page.click("#funnel-pager-1 [data-page='1']")
    assert funnel() == names[ROWS_PER_PAGE : 2 * ROWS_PER_PAGE]
    cards = page.evaluate("() => [...document.querySelectorAll('#found-images h3')].map(h => h.textContent)")
    assert cards == found[:CARDS_PER_PAGE]
    stacked = page.evaluate(
        "() => [...document.querySelectorAll('#found-images .stack')].every(s => s.children.length === 2)"
    )
    assert stacked  # each mask lies over the image's photo thumbnail
    opened.assert_clean()


def test_a_variants_rows_and_slugs_follow_the_base_images(results, site_info):
    """A variant's slug is the base's plus its suffix except where unique_slugs changed it (cut
    to length, taken by an image's own name): exactly those are listed. An image the variant has
    no page of gets None; a variant of another size carries its size."""
    from sitegen.config import Variant
    from sitegen.site.gallery import VariantListing
    from sitegen.site.variant_pages import variant_slug_names

    names = ["a" * 58 + ".png", "x.png", "x.png--low", "y.png"]
    variants = [Variant("base", site_info.options, is_base=True), Variant("Low", site_info.options)]
    slugs = unique_slugs(variant_slug_names(names, variants))
    assert slugs[4:] == ["a" * 58 + "-2", "x-png--low-2", "x-png--low--low", "y-png--low"]

    def summaries(slugs, shrink=False):
        made = []
        for k, (name, slug) in enumerate(zip(names, slugs)):
            result = results[k % len(results)]
            summary = summarize_image(dataclasses.replace(result, image=dataclasses.replace(result.image, name=name)), slug, site_info)
            made.append(dataclasses.replace(summary, width=summary.width - shrink))
        return made

    base = summaries(slugs[:4])
    low = summaries(slugs[4:], shrink=True)
    del low[3]  # y.png failed in this variant
    bundle = gallery_bundle(base, site_info, variants=[VariantListing(variants[0], base), VariantListing(variants[1], low)])
    entry = bundle["variants"][1]
    assert bundle["variants"][0] == {"name": "base"}
    assert entry["name"] == "Low" and entry["suffix"] == "--low"
    assert entry["slugs"] == {"0": "a" * 58 + "-2", "1": "x-png--low-2"}
    assert entry["images"][3] is None
    for position, (row, summary) in enumerate(zip(entry["images"][:3], low)):
        # What static/js/gallery.js derives: the slug, and the card's numbers.
        assert entry["slugs"].get(str(position), bundle["images"][position][1] + entry["suffix"]) == summary.slug
        assert row == [summary.total_masks, [[c.index, c.masks] for c in summary.classes if c.found], [summary.width, summary.height]]
