"""A class named ``<script>alert(1)</script>`` and a file named ``a "b" <script>.png``.

Both must reach every page as text: escaped in HTML, in attributes and inside the JSON that
travels in ``<script>`` elements and in ``figures.js``, never as markup or code.
"""

from __future__ import annotations

import json

from sitegen.figures.plotly_json import plotly_text
from sitegen.site.figures_codec import unpack_script
from tests.site.factory import SCRIPT_CLASS, SCRIPT_FILE
from tests.site.html_scan import scan

#: The only scripts a page may hold: the shared files, an image's figures, a class's JSON data.
ALLOWED_SCRIPT_SOURCES = ("static/plotly.min.js", "static/js/sitegen.js", "static/js/gallery.js", "figures.js", "gallery.js")


def _pages(files: dict[str, bytes]) -> dict[str, str]:
    return {path: data.decode("utf-8") for path, data in files.items() if path.endswith(".html")}


def test_hostile_names_never_appear_raw_in_html(site, run_output):
    for files in (site, run_output):
        for path, html in _pages(files).items():
            assert SCRIPT_CLASS not in html, path
            assert SCRIPT_FILE not in html, path
            assert "alert(1)</script>" not in html, path


def test_hostile_names_come_back_as_text(site):
    index = scan(site["index.html"])
    assert SCRIPT_CLASS in " ".join(index.text)
    assert SCRIPT_FILE in [a["data-name"] for a in index.with_attr("li", "data-name")]
    image = scan(site["images/a-b-script-png.html"])
    assert SCRIPT_FILE in [t.strip() for t in image.text]
    assert any(SCRIPT_FILE in (img["alt"] or "") for img in index.with_attr("img", "alt"))


def test_no_page_gains_a_script_element(site, run_output):
    for files in (site, run_output):
        for path, html in _pages(files).items():
            for script in scan(html).scripts:
                src = script.attrs.get("src")
                if src is not None:
                    assert src.endswith(ALLOWED_SCRIPT_SOURCES) and not script.text.strip(), path
                else:
                    assert script.attrs.get("type") == "application/json", path
                    json.loads(script.text)


def test_json_in_a_script_element_cannot_break_out_and_reads_back(site):
    html = site["classes/script-alert-1-script.html"].decode("utf-8")
    [script] = [s for s in scan(html).scripts if s.attrs.get("id") == "class-distributions"]
    assert "<" not in script.text and "&" not in script.text
    assert json.loads(script.text)["name"] == SCRIPT_CLASS


def test_figures_js_escapes_names_inside_figures(site):
    text = site["images/alpha-png/figures.js"].decode("ascii")  # base64 inside: nothing to escape
    figures = json.dumps(unpack_script(text), ensure_ascii=False)
    # Plotly renders markup in legends and hovers: the name is there as text (plotly_text), to show as typed.
    assert plotly_text(SCRIPT_CLASS) in figures and SCRIPT_CLASS not in figures
