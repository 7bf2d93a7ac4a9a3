"""A three-variant site in headless Chromium from file://: the comparison page's linked zoom
and the funnel's per-class toggles."""

from __future__ import annotations

import pytest

from tests.site.build_support import build, write_good_images
from tests.site.test_browser import assert_links_inside
from tests.site.test_variants_build import VARIANTS

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def variant_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("variant-site")
    write_good_images(root / "images", 3)
    build(root / "images", root / "site", root / "cache", variants=VARIANTS)
    return root / "site"


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
