"""The interactive figures in headless Chromium, loaded from file:// with their PNG assets.

Checks what only a browser shows: every visible picture layer is drawn (Plotly.js keys layout
images by placement and silently drops look-alikes), hover texts come from the right region,
legend clicks toggle a class, and the step 14 dropdown switches prompts.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import plotly
import pytest

from sitegen.figures import STEPS, make_palette, render_steps
from tests.synthetic import make_result

pytestmark = pytest.mark.browser

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>figures</title>
<script src="plotly.min.js"></script></head><body>{divs}<script>
var figures = {figures};
for (const [slug, fig] of Object.entries(figures)) Plotly.newPlot(slug, fig.data, fig.layout);
</script></body></html>"""
RESULT = make_result()


@pytest.fixture(scope="module")
def page(browser, tmp_path_factory):
    """All 18 figures on one page, asset references replaced by file names as the site does."""
    folder = tmp_path_factory.mktemp("figures")
    shutil.copy(Path(plotly.__file__).parent / "package_data" / "plotly.min.js", folder)
    figures = {}
    for step in render_steps(RESULT, make_palette(3)):
        slug = f"s{step.step.slug}"
        for name, data in step.assets.items():
            (folder / f"{slug}-{name}.png").write_bytes(data)
        for image in step.figure["layout"].get("images", []):
            image["source"] = f"{slug}-{image['source'].removeprefix('asset:')}.png"
        figures[slug] = step.figure
    divs = "".join(f'<div id="{slug}" style="width:900px"></div>' for slug in figures)
    (folder / "index.html").write_text(PAGE.format(divs=divs, figures=json.dumps(figures)))

    page = browser.new_page(viewport={"width": 960, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto((folder / "index.html").as_uri())
    page.wait_for_function(f"document.querySelectorAll('.main-svg').length >= {2 * len(STEPS)}")
    page.wait_for_timeout(500)
    yield page, errors
    page.close()


def hover_text(page, div: str, x: float, y: float) -> str:
    page.evaluate(f"Plotly.Fx.hover('{div}', {{xval: {x}, yval: {y}}})")
    page.wait_for_timeout(100)
    return page.locator(f"#{div} .hoverlayer").text_content()


def test_pages_load_without_errors(page):
    _, errors = page
    assert errors == []


def test_every_visible_picture_layer_is_drawn(page):
    page, _ = page
    for step in STEPS:
        div = f"s{step.slug}"
        visible = page.evaluate(
            f"document.getElementById('{div}').layout.images?.filter(i => i.visible !== false).length || 0"
        )
        drawn = page.evaluate(f"document.querySelectorAll('#{div} g.imagelayer image').length")
        assert drawn == visible, step.slug


def test_region_hover_names_the_region_under_the_cursor(page):
    page, _ = page
    labels = RESULT.components.labels
    for x, y in [(10, 12), (48, 12), (16, 36), (2.5, 2.5)]:
        region = labels[int(y), int(x)]
        assert hover_text(page, "s09_connected_components", x, y).startswith(f"region {region} ")
    assert hover_text(page, "s09_connected_components", 40, 40) == ""  # no region there


def test_legend_click_hides_a_class_and_its_points(page):
    page, _ = page
    div = "s13_sam_prompting"
    page.locator(f"#{div} .legend .traces").first.click()
    page.wait_for_function(f"document.getElementById('{div}').layout.shapes[0].visible === 'legendonly'")
    hidden = page.evaluate(
        f"document.getElementById('{div}').data.filter(t => t.visible === 'legendonly').map(t => t.legendgroup)"
    )
    assert hidden and set(hidden) == {"person"}


def test_candidate_dropdown_switches_the_prompt(page):
    page, _ = page
    div = "s14_sam_candidates"
    before = page.evaluate(f"document.getElementById('{div}').layout.annotations.map(a => a.text)")
    page.locator(f"#{div} .updatemenu-header-group").first.click()
    page.locator(f"#{div} .updatemenu-dropdown-button").nth(2).click()
    page.wait_for_timeout(300)
    after = page.evaluate(f"document.getElementById('{div}').layout.annotations.map(a => a.text)")
    scores = RESULT.candidates.scores[2]
    assert after != before and after[0] == f"candidate 0:<br>{scores[0]:.3f}"


def test_confidence_maps_show_a_class_outside_the_static_set(browser, tmp_path):
    from sitegen.figures.registry import step_info
    from sitegen.figures.shown_classes import shown_classes
    from sitegen.figures.steps import render_step

    result = make_result(num_classes=30, height=120, width=160)
    step = render_step(step_info("05_confidence_maps"), result, make_palette(30))
    hidden = [c for c in range(30) if c not in shown_classes(result).indices]
    shutil.copy(Path(plotly.__file__).parent / "package_data" / "plotly.min.js", tmp_path)
    for name, data in step.assets.items():
        (tmp_path / f"{name}.png").write_bytes(data)
    for image in step.figure["layout"]["images"]:
        image["source"] = f"{image['source'].removeprefix('asset:')}.png"
    div = '<div id="s05" style="width:900px"></div>'
    (tmp_path / "index.html").write_text(PAGE.format(divs=div, figures=json.dumps({"s05": step.figure})))
    page = browser.new_page(viewport={"width": 960, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto((tmp_path / "index.html").as_uri())
    page.wait_for_function("document.querySelectorAll('#s05 .main-svg').length >= 2")
    page.locator("#s05 .updatemenu-header-group").first.click()
    target = f"Show: {result.vocabulary.names[hidden[1]]} (coarse)"
    # Past the first entries the list scrolls inside the menu: the entry is clicked where it is.
    page.locator("#s05 .updatemenu-dropdown-button", has_text=target).dispatch_event("click")
    page.wait_for_timeout(300)
    layer = page.evaluate("document.getElementById('s05')._fullData[2]")
    assert layer["visible"] is True and layer["meta"] == result.vocabulary.names[hidden[1]]
    # The drawn heatmap holds that class's quantised probabilities on the coarse grid.
    z = np.array(page.evaluate("Array.from(document.getElementById('s05')._fullData[2].z, r => Array.from(r))"))
    grid_rows, grid_cols = z.shape
    rows = ((np.arange(grid_rows) + 0.5) * 120 / grid_rows).astype(int)
    cols = ((np.arange(grid_cols) + 0.5) * 160 / grid_cols).astype(int)
    expected = np.round(255 * result.dense.scores.probabilities_at(rows, cols)[..., hidden[1]])
    assert np.array_equal(z, expected)
    assert page.evaluate("document.getElementById('s05').layout.images.every(i => i.visible === false)")
    assert page.locator("#s05 g.heatmaplayer image").count() >= 1 and errors == []
    page.close()
