"""Class and file names are text in Plotly figures: markup in a name shows as typed.

Plotly.js renders a subset of HTML in legends, hover labels, titles, ticks, menus and table
cells, and fills ``%{...}`` in hover templates. The figures of a run whose names are made of
that markup are drawn in headless Chromium; every text that shows a name must show all of it.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import plotly
import pytest

from sitegen.figures import make_palette, render_class_details, render_steps
from sitegen.figures.plotly_json import plotly_names, plotly_text
from sitegen.records import Vocabulary
from tests.synthetic import make_result

#: Each name, keyed by a word that occurs nowhere else in the figures.
NAMES = {"zebra": "<b>zebra</b>", "yak": "<i>yak</i> & %{x} <sup>2</sup>", "lynx": "gnu<br>lynx"}
IMAGE_NAME = "<b>okapi</b>.png"
PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>names</title>
<script src="plotly.min.js"></script></head><body>{divs}<script>
var figures = {figures};
for (const [key, fig] of Object.entries(figures)) Plotly.newPlot(key, fig.data, fig.layout);
</script></body></html>"""


def _hostile_result():
    result = make_result()
    classes = tuple(
        dataclasses.replace(spec, name=name, queries=(name,)) for spec, name in zip(result.vocabulary.classes, NAMES.values())
    )
    image = dataclasses.replace(result.image, name=IMAGE_NAME)
    return dataclasses.replace(result, vocabulary=Vocabulary(classes=classes), image=image)


def test_plotly_text_escapes_markup_entities_and_placeholders():
    assert plotly_text("<b>x</b> & 5%{y}") == "&lt;b&gt;x&lt;/b&gt; &amp; 5&#37;{y}"
    assert plotly_text("plain name") == "plain name"
    assert plotly_names(_hostile_result().vocabulary) == [
        "&lt;b&gt;zebra&lt;/b&gt;",
        "&lt;i&gt;yak&lt;/i&gt; &amp; &#37;{x} &lt;sup&gt;2&lt;/sup&gt;",
        "gnu&lt;br&gt;lynx",
    ]


@pytest.fixture(scope="module")
def shown_texts(browser, tmp_path_factory):
    """Every text the figures show: SVG text (legends, titles, ticks, menus, tables) and hovers."""
    result = _hostile_result()
    palette = make_palette(len(NAMES))
    figures, assets = {}, {}
    for step in render_steps(result, palette):
        figures[f"s{step.step.slug}"], assets[f"s{step.step.slug}"] = step.figure, step.assets
    for c in range(len(NAMES)):
        details = render_class_details(result, palette, c)
        for name, figure in details.figures.items():
            figures[f"c{c}_{name}"], assets[f"c{c}_{name}"] = figure, details.assets
    folder = tmp_path_factory.mktemp("names")
    shutil.copy(Path(plotly.__file__).parent / "package_data" / "plotly.min.js", folder)
    for key, figure in figures.items():
        for name, data in assets[key].items():
            (folder / f"{key}-{name}.png").write_bytes(data)
        for image in figure["layout"].get("images", []):
            image["source"] = f"{key}-{image['source'].removeprefix('asset:')}.png"
    divs = "".join(f'<div id="{key}" style="width:900px"></div>' for key in figures)
    (folder / "index.html").write_text(PAGE.format(divs=divs, figures=json.dumps(figures)), encoding="utf-8")

    page = browser.new_page(viewport={"width": 960, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto((folder / "index.html").as_uri())
    page.wait_for_function(f"document.querySelectorAll('.main-svg').length >= {2 * len(figures)}")
    svg_texts = page.evaluate("[...document.querySelectorAll('svg text')].map(t => t.textContent)")
    styled = page.evaluate(
        "[...document.querySelectorAll('svg tspan')].filter(t => /bold|italic/.test(t.getAttribute('style') || '')"
        " || t.getAttribute('baseline-shift')).map(t => t.textContent)"
    )
    hovers = []
    height, width = result.image.height, result.image.width
    points = [(x, y) for x in range(4, width, 12) for y in range(4, height, 10)]
    for key in figures:
        for x, y in points:
            page.evaluate(f"Plotly.Fx.hover('{key}', {{xval: {x}, yval: {y}}})")
            hovers.append(page.locator(f"#{key} .hoverlayer").text_content())
    page.close()
    return svg_texts, styled, [text for text in hovers if text], errors


def _shows(name: str, text: str) -> bool:
    """Whether ``text`` holds ``name``; spaces aside, as table cells wrap lines at them."""
    return name.replace(" ", "") in text.replace(" ", "")


def _assert_whole_names(texts: list[str]) -> None:
    for text in texts:
        for word, name in NAMES.items():
            if word in text:
                assert _shows(name, text), f"{text!r} shows {word!r} without the rest of {name!r}"
        if "okapi" in text:
            assert _shows(IMAGE_NAME, text), text


def test_legends_titles_ticks_and_tables_show_names_as_typed(shown_texts):
    svg_texts, styled, _, errors = shown_texts
    assert errors == []
    assert styled == []  # no <b>, <i> or <sup> in a name became bold, italic or raised text
    _assert_whole_names(svg_texts)
    for name in (*NAMES.values(), IMAGE_NAME):
        assert any(_shows(name, text) for text in svg_texts), name


def test_hover_labels_show_names_as_typed(shown_texts):
    _, _, hovers, _ = shown_texts
    _assert_whole_names(hovers)
    for name in NAMES.values():
        assert any(_shows(name, text) for text in hovers), name
