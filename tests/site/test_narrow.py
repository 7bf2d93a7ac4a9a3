"""The image page on a 390 px phone: the per-class table and every step figure stay readable."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.site.test_browser import DRAWN_PLOT

pytestmark = pytest.mark.browser

PHONE = 390
PAGE = "images/alpha-png.html"
#: Lines an element's text takes on screen: one rect per line box of each of its text nodes.
LINES = """e => {
  const walker = document.createTreeWalker(e, NodeFilter.SHOW_TEXT), tops = new Set();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.textContent.trim()) continue;
    const range = document.createRange(); range.selectNodeContents(node);
    for (const box of range.getClientRects()) if (box.width > 0) tops.add(Math.round(box.top));
  }
  return tops.size; }"""


def test_per_class_table_keeps_each_class_name_on_one_line_at_390_px(visit, site_dir):
    opened = visit(site_dir, PAGE, width=PHONE)
    page = opened.page
    names = page.locator("#dashboard-title ~ .table-wrap tbody th .chip")
    assert names.count() >= 3
    for i in range(names.count()):
        chip = names.nth(i)
        assert chip.evaluate(LINES) == 1, f"{chip.text_content()!r} wraps"
    # Headers stay whole words: no header is narrower than its longest word.
    headers = page.locator("#dashboard-title ~ .table-wrap thead th")
    for i in range(headers.count()):
        header = headers.nth(i)
        assert header.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), header.text_content()
    # The table scrolls inside its own box; the page does not scroll sideways.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE
    opened.assert_clean()


def test_every_step_figure_fits_390_px_and_axe_finds_nothing_serious(visit, site_dir):
    import axe_playwright_python

    opened = visit(site_dir, PAGE, width=PHONE)
    page = opened.page
    axe = str(Path(axe_playwright_python.__file__).parent / "axe.min.js")
    for number in range(1, 19):
        page.evaluate(f"() => {{ window.location.hash = '#step-{number}'; }}")
        page.wait_for_selector(f"#step-{number}:not([hidden]) .plot[data-drawn] .main-svg")
        box = page.locator(f"#step-{number} .plot").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE, f"step {number}: {box}"
        svg_width = page.evaluate(f"() => document.querySelector('#step-{number} .plot .main-svg').getBoundingClientRect().width")
        assert svg_width <= box["width"] + 1, f"step {number} is drawn {svg_width} px wide in a {box['width']} px box"
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE, f"step {number} scrolls sideways"
        if number in (1, 6, 14, 18):  # axe on a picture step, a label map, the candidates grid, the comparison
            if number == 1:
                page.add_script_tag(path=axe)
            violations = page.evaluate("async () => (await axe.run(document, {preload: false})).violations")
            serious = [f"{v['id']}: {v['help']}" for v in violations if v["impact"] in ("serious", "critical")]
            assert serious == [], f"step {number}: {serious}"
    page.wait_for_selector(DRAWN_PLOT)
    opened.assert_clean()
