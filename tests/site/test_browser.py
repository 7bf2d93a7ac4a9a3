"""The site in headless Chromium, opened from file:// as a reader would open it.

Every visit records console errors, uncaught exceptions and any request for a URL outside the
site folder (those are aborted); each test ends by asserting there were none.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from tests.conftest import Visit
from tests.site.factory import CLASS_NAMES, SCRIPT_FILE, found_classes

pytestmark = pytest.mark.browser

DRAWN_PLOT = ".step:not([hidden]) .plot[data-drawn] .main-svg"
COLLECT_LINKS = """() => [
  ...[...document.querySelectorAll('a[href]')].map(e => e.href),
  ...[...document.querySelectorAll('img[src]')].map(e => e.src),
  ...[...document.querySelectorAll('script[src]')].map(e => e.src),
  ...[...document.querySelectorAll('link[href]')].map(e => e.href),
]"""
SITE_PAGES = [
    "index.html",
    "images/alpha-png.html",
    "images/a-b-script-png.html",
    "images/empty-png.html",
    *[f"classes/{slug}.html" for slug in ("person", "grass", "sky", "script-alert-1-script")],
    "classes.html",
]


def assert_links_inside(opened: Visit, root: Path, relative: str) -> None:
    """Every link, image, script and stylesheet of the open page is a file inside ``root``."""
    prefix = opened.url("")
    for url in opened.page.evaluate(COLLECT_LINKS):
        assert url.startswith(prefix), f"{relative} links outside the site: {url}"
        path = root / unquote(urlsplit(url).path.removeprefix(urlsplit(prefix).path))
        assert path.is_file(), f"{relative} links to a missing file: {url}"


def _visible_step(page) -> int:
    return page.evaluate(
        "() => [...document.querySelectorAll('.step')].filter(s => !s.hidden).map(s => Number(s.id.slice(5)))"
    )


# --- Every page ---------------------------------------------------------------------------------


@pytest.mark.parametrize("relative", [*SITE_PAGES, "run:index.html"])
def test_page_loads_cleanly_and_every_link_exists(visit, site_dir, run_dir, relative):
    root = run_dir if relative.startswith("run:") else site_dir
    opened = visit(root, relative.removeprefix("run:"))
    opened.page.wait_for_load_state("load")
    if "images/" in relative or relative.startswith("run:"):
        opened.page.wait_for_selector(DRAWN_PLOT)
    assert_links_inside(opened, root, relative)
    opened.assert_clean()


# --- Index --------------------------------------------------------------------------------------


def _shown_cards(page) -> list[str]:
    """The index's cards, once the list is drawn (it is aria-busy while the gallery data loads)."""
    page.wait_for_selector("#gallery:not([aria-busy])", state="attached")
    return page.evaluate(
        "() => [...document.querySelectorAll('#gallery > li')].filter(li => !li.hidden).map(li => li.dataset.name)"
    )


def test_index_filters_by_class_and_sorts(visit, site_dir, results):
    opened = visit(site_dir, "index.html")
    page = opened.page
    # The name order is the site's order (a build sorts the images by file name; this site keeps
    # the order it was given), as written in the HTML and as the data lists it.
    site_order = ["alpha.png", SCRIPT_FILE, "empty.png"]
    assert _shown_cards(page) == site_order
    page.fill("#class-filter", CLASS_NAMES[3])
    assert _shown_cards(page) == ["alpha.png"]
    assert page.text_content("#gallery-status") == "Showing 1 of 3 images (1 matching class)"
    page.fill("#class-filter", "PERSON")  # a name matches whatever its case
    assert _shown_cards(page) == ["alpha.png", SCRIPT_FILE]
    page.fill("#class-filter", "")
    assert _shown_cards(page) == site_order
    page.select_option("#sort-order", value="masks")
    masks = {r.image.name: len(r.overlap.kept) for r in results}
    # Here most masks first is the site's order too; test_gallery sorts 130 images where it is not.
    assert _shown_cards(page) == sorted(site_order, key=lambda name: -masks[name])
    assert page.evaluate("location.hash") == "#sort=masks"
    opened.assert_clean()


# --- Image pages and the run viewer -------------------------------------------------------------


def test_arrow_keys_move_between_steps_and_deep_links_survive_reload(visit, site_dir):
    opened = visit(site_dir, "images/alpha-png.html")
    page = opened.page
    assert _visible_step(page) == [1]
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert _visible_step(page) == [3]
    assert page.evaluate("location.hash") == "#step-3"
    page.keyboard.press("ArrowLeft")
    assert _visible_step(page) == [2]
    page.click(".step-nav a[href='#step-9']")
    assert _visible_step(page) == [9]
    assert page.get_attribute(".step-nav a[href='#step-9']", "aria-current") == "step"

    page.goto(opened.url("images/alpha-png.html#step-5"))
    assert _visible_step(page) == [5]
    page.reload()
    assert _visible_step(page) == [5]
    page.click("[data-move='1']")
    assert _visible_step(page) == [6] and page.evaluate("location.hash") == "#step-6"
    opened.assert_clean()


HIDDEN_LAYERS = """plot => [...plot.data, ...(plot.layout.shapes || [])]
    .filter(layer => layer.visible === 'legendonly').map(layer => layer.name)"""


@pytest.mark.parametrize(("step", "kind"), [(6, "class outlines (shapes)"), (12, "negative points (traces)")])
def test_legend_click_hides_a_class_layer(visit, site_dir, step, kind):
    opened = visit(site_dir, f"images/alpha-png.html#step-{step}")
    page = opened.page
    page.wait_for_selector(DRAWN_PLOT)
    plot = page.locator(f"#step-{step} .plot")
    assert plot.evaluate(HIDDEN_LAYERS) == []
    item = plot.locator(".legend .traces").first
    name = item.text_content()
    item.locator(".legendtoggle").click()
    page.wait_for_function(f"() => ({HIDDEN_LAYERS})(document.querySelector('#step-{step} .plot')).length > 0")
    assert set(plot.evaluate(HIDDEN_LAYERS)) == {name}, kind
    opened.assert_clean()


def test_run_viewer_walks_through_every_step(visit, run_dir, run_output):
    opened = visit(run_dir, "index.html")
    page = opened.page
    for number in range(1, 19):
        assert _visible_step(page) == [number]
        section = page.locator(f"#step-{number}")
        if section.locator(".plot").count():
            page.wait_for_selector(f"#step-{number} .plot[data-drawn] .main-svg")
        else:
            assert section.locator("img").is_visible()
        page.keyboard.press("ArrowRight")
    assert _visible_step(page) == [18]
    assert page.is_disabled("[data-move='1']")
    opened.assert_clean()


# --- Class pages --------------------------------------------------------------------------------


@pytest.mark.parametrize("index", range(len(CLASS_NAMES)))
def test_class_page_lists_every_image_where_the_class_was_found(visit, site_dir, results, index):
    slug = ("person", "grass", "sky", "script-alert-1-script")[index]
    opened = visit(site_dir, f"classes/{slug}.html")
    page = opened.page
    expected = [r.image.name for r in results if index in found_classes(r)]
    listed = page.evaluate("() => [...document.querySelectorAll('#found-images h3')].map(h => h.textContent)")
    assert listed == expected
    missing = page.evaluate("() => [...document.querySelectorAll('#missing-images a')].map(a => a.textContent)")
    assert missing == [r.image.name for r in results if r.image.name not in expected]
    page.wait_for_function("() => document.querySelectorAll('.plots .main-svg').length >= 2")
    opened.assert_clean()


# --- Accessibility ------------------------------------------------------------------------------


@pytest.mark.parametrize("relative", ["index.html", "images/alpha-png.html", "classes/script-alert-1-script.html", "classes.html"])
@pytest.mark.parametrize("width", [1280, 375])
def test_axe_finds_no_serious_violations_and_nothing_scrolls_sideways(visit, site_dir, relative, width):
    import axe_playwright_python

    opened = visit(site_dir, relative, width=width)
    page = opened.page
    page.wait_for_load_state("load")
    if relative.startswith("images/"):
        page.wait_for_selector(DRAWN_PLOT)
    page.add_script_tag(path=str(Path(axe_playwright_python.__file__).parent / "axe.min.js"))
    # preload off: axe would otherwise XHR the stylesheets, which file:// pages may not do.
    violations = page.evaluate("async () => (await axe.run(document, {preload: false})).violations")
    serious = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:5]}"
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == [], "\n".join(serious)
    overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{relative} scrolls sideways by {overflow} px at {width} px"
    opened.assert_clean()


# --- Measurements -------------------------------------------------------------------------------

PAGE_BUDGET = 2_500_000


def test_image_page_stays_under_its_byte_budget_and_fetches_no_step_png(visit, site_dir, site, capsys):
    """Opening the 640x480 page and stepping through all 18 steps loads under 2.5 MB (plotly.js aside)."""
    from benchmarks.page_weight import measure_page

    opened = visit(site_dir, "index.html")
    page = opened.page
    weight = measure_page(page, site_dir, "images/alpha-png.html")
    with capsys.disabled():
        print(
            f"\n640x480 image page: {weight.bytes / 1e6:.2f} MB loaded through 18 steps "
            f"(+ shared plotly.js {len(site['static/plotly.min.js']) / 1e6:.2f} MB), interactive "
            f"(goto -> first Plotly figure drawn) in {weight.seconds_to_interactive:.2f} s"
        )
    assert {"images/alpha-png.html", "images/alpha-png/figures.js", "static/js/sitegen.js"} <= set(weight.loaded)
    assert all(size == len(site[path]) for path, size in weight.loaded.items())
    assert not [path for path in weight.loaded if "/steps/" in path]
    assert weight.bytes < PAGE_BUDGET
    assert weight.seconds_to_interactive < 10.0
    assert _visible_step(page) == [18]
    assert page.locator("details.png-figure").count() == 0  # step PNGs come with --paper-figures only
    opened.assert_clean()


def test_figure_titles_wrap_above_the_plot_on_a_phone(visit, site_dir):
    opened = visit(site_dir, "images/alpha-png.html#step-6", width=375)
    page = opened.page
    page.wait_for_selector(DRAWN_PLOT)
    title = page.evaluate("() => SITEGEN_FIGURES.figures['06_dense_prediction'].layout.title.text")
    caption = page.locator("#step-6 .plot-title")
    assert caption.text_content() == title
    box = caption.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 375
    assert caption.evaluate("e => e.scrollWidth <= e.clientWidth")
    assert title not in page.locator("#step-6 .plot").text_content()  # not also drawn, cut off, in the plot
    drawn = page.evaluate("() => document.querySelector('#step-6 .plot')._fullLayout.height")
    designed = page.evaluate("() => SITEGEN_FIGURES.figures['06_dense_prediction'].layout.height")
    assert drawn < 0.75 * designed  # the pictures shrink with the width instead of leaving blank space
    opened.assert_clean()
