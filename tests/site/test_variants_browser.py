"""A three-variant site in headless Chromium from file://: the index's variant switch, the
comparison page's linked zoom and the funnel's per-class toggles."""

from __future__ import annotations

import json

import pytest

from tests.site.build_support import build, write_good_images
from tests.site.test_browser import assert_links_inside
from tests.site.test_variants_build import VARIANTS

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def variant_site(tmp_path_factory):
    """Three images, three variants; two cards per index page, so the index has two pages."""
    root = tmp_path_factory.mktemp("variant-site")
    write_good_images(root / "images", 3)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("sitegen.site.index_page.CARDS_PER_PAGE", 2)
        build(root / "images", root / "site", root / "cache", variants=VARIANTS)
    return root / "site"


def _expected_cards(site, variant: str, names: list[str]) -> list[dict]:
    """What a card of each image shows in ``variant``, read from that variant's own files."""
    cards = []
    for name in names:
        slug = name.replace(".", "-") + ("" if variant == "base" else f"--{variant}")
        statistics = json.loads((site / f"images/{slug}/data/statistics.json").read_text())
        masks = sum(c["masks_kept"] for c in statistics["classes"])
        found = [f"{c['name']} {c['masks_kept']}" for c in statistics["classes"] if c["masks_kept"]]
        cards.append(
            {
                "name": name,
                "href": f"images/{slug}.html",
                "src": f"images/{slug}/thumb.webp",
                "meta": f"{statistics['image']['width']} \u00d7 {statistics['image']['height']} px \u00b7 {masks} mask{'' if masks == 1 else 's'}",
                "chips": found,
            }
        )
    return cards


SHOWN_CARDS = """() => [...document.querySelectorAll('#gallery > li')].map(li => ({
    name: li.dataset.name,
    href: li.querySelector('a').getAttribute('href'),
    src: li.querySelector('img').getAttribute('src'),
    meta: li.querySelector('.meta').textContent,
    chips: [...li.querySelectorAll('.chip')].map(c => c.textContent.trim()),
}))"""

#: The index's list once drawn: it is aria-busy while gallery.js loads.
DRAWN = "#gallery:not([aria-busy])"
LOADED = "() => [...document.querySelectorAll('#gallery img')].every(img => img.complete && img.naturalWidth > 0)"


def test_the_variant_switch_swaps_every_cards_thumbnail_and_counts_across_pages(visit, variant_site):
    opened = visit(variant_site, "index.html")
    page = opened.page
    page.wait_for_selector("#gallery-controls:not([hidden])")
    names = ["img0.png", "img1.png", "img2.png"]
    assert page.evaluate(SHOWN_CARDS) == _expected_cards(variant_site, "base", names[:2])
    page.select_option("#variant-choice", "separate")  # the first switch loads gallery.js
    page.wait_for_selector(DRAWN, state="attached")
    assert page.evaluate(SHOWN_CARDS) == _expected_cards(variant_site, "separate", names[:2])
    assert "variant=separate" in page.url
    page.wait_for_function(LOADED)  # the variant's thumbnails exist
    page.click("#gallery-pager [data-page='1']")  # Next: the variant stays
    assert page.evaluate(SHOWN_CARDS) == _expected_cards(variant_site, "separate", names[2:])
    assert "variant=separate" in page.url and "page=2" in page.url
    page.select_option("#variant-choice", "strict")  # switching keeps the page
    assert page.evaluate(SHOWN_CARDS) == _expected_cards(variant_site, "strict", names[2:])
    assert page.inner_text("#gallery-pager .page-label") == "Page 2 of 2"
    # Filtering and sorting use the chosen variant's numbers: strict kept no mask of any class.
    page.fill("#class-filter", "red")
    assert page.evaluate(SHOWN_CARDS) == [] and page.inner_text("#gallery-status") == "Showing 0 of 3 images (1 matching class)"
    page.select_option("#variant-choice", "separate")
    assert [card["name"] for card in page.evaluate(SHOWN_CARDS)] == names[:2]
    page.fill("#class-filter", "")
    page.select_option("#sort-order", "masks")
    assert page.evaluate(SHOWN_CARDS) == _expected_cards(variant_site, "separate", names[:2])
    # Back from an image page returns to the same variant and page.
    page.click("#gallery-pager [data-page='1']")
    page.click("#gallery > li h3 a")
    page.wait_for_url("**/img2-png--separate.html*")
    page.go_back()
    page.wait_for_selector("#gallery-controls:not([hidden])")
    page.wait_for_selector(DRAWN, state="attached")
    assert page.input_value("#variant-choice") == "separate" and page.input_value("#sort-order") == "masks"
    assert page.evaluate(SHOWN_CARDS) == _expected_cards(variant_site, "separate", names[2:])
    assert_links_inside(opened, variant_site, "index.html")
    opened.assert_clean()


def test_zooming_one_variants_map_zooms_them_all(visit, variant_site):
    opened = visit(variant_site, "images/img0-png/variants.html")
    page = opened.page
    page.wait_for_selector("#variant-maps[data-drawn] .main-svg")
    # Drag a zoom box on the second panel, as a reader would: every panel then shows the same
    # centre at the same scale (panels wider than the box show more around it).
    box = page.locator("#variant-maps .draglayer .x2y2 .nsewdrag").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(cx - 40, cy - 30)
    page.mouse.down()
    page.mouse.move(cx, cy, steps=5)
    page.mouse.move(cx + 40, cy + 30, steps=5)
    page.mouse.up()
    page.wait_for_function("() => document.getElementById('variant-maps')._fullLayout.xaxis2.range[0] > 0")
    ranges = page.evaluate(
        """() => ['', '2', '3'].map(a => {
             const layout = document.getElementById('variant-maps')._fullLayout;
             return [layout['xaxis' + a].range, layout['yaxis' + a].range, layout['xaxis' + a]._length];
           })"""
    )
    (x0, x1), (y0, y1), width = ranges[1]
    assert 0 < x0 < x1 < 64 and 48 > y0 > y1 > 0  # the second panel zoomed in
    for (a0, a1), (b0, b1), length in ranges:
        assert (a0 + a1) / 2 == pytest.approx((x0 + x1) / 2, abs=0.01)
        assert (b0 + b1) / 2 == pytest.approx((y0 + y1) / 2, abs=0.01)
        assert length / (a1 - a0) == pytest.approx(width / (x1 - x0), rel=0.01)  # screen px per image px
    assert_links_inside(opened, variant_site, "images/img0-png/variants.html")
    opened.assert_clean()


def test_a_legend_click_toggles_a_class_in_the_funnel(visit, variant_site):
    opened = visit(variant_site, "images/img1-png--separate.html")
    page = opened.page
    funnel = ".funnel .plot[data-drawn]"
    page.wait_for_selector(f"{funnel} .main-svg")
    visible = "document.querySelector('.funnel .plot')._fullData.map(t => t.visible)"
    assert page.evaluate(f"() => {visible}") == [True, True, True]
    # Plotly waits out its double-click delay before it acts on a legend click.
    page.locator(f"{funnel} .legendtoggle").nth(1).click()
    page.wait_for_function(f"() => {visible}[1] === 'legendonly'")
    assert page.evaluate(f"() => {visible}") == [True, "legendonly", True]
    page.locator(f"{funnel} .legendtoggle").nth(1).click()
    page.wait_for_function(f"() => {visible}[1] === true")
    assert page.evaluate(f"() => {visible}") == [True, True, True]
    opened.assert_clean()
