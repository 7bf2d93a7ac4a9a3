"""Every interactive figure saves itself for print from its toolbar: PNG at 3x, and SVG.

Served over http, as GitHub Pages serves it: Plotly embeds the figure's pictures into the export
with a CORS request, which a file:// page may not make (from file:// the export comes without
its pictures; the README says so).
"""

from __future__ import annotations

import threading

import pytest
from PIL import Image

from sitegen.site.serve import make_server

pytestmark = pytest.mark.browser

PAGE = "images/alpha-png.html#step-6"
PLOT = "#step-6 .plot"


@pytest.fixture
def served(site_dir):
    server = make_server(site_dir, port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_step_figure_toolbar_downloads_a_3x_png_and_an_svg(browser, served, tmp_path):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    missing = []
    page.on("response", lambda response: missing.append(response.url) if response.status >= 400 else None)
    page.goto(served + PAGE)
    page.wait_for_selector(f"{PLOT}[data-drawn] .main-svg")
    assert page.evaluate(f"() => document.querySelector('{PLOT}')._context.toImageButtonOptions") == {
        "format": "png", "scale": 3, "filename": "06_dense_prediction",
    }
    size = page.evaluate(f"() => [document.querySelector('{PLOT}')._fullLayout.width, document.querySelector('{PLOT}')._fullLayout.height]")
    page.hover(PLOT)

    with page.expect_download() as png_download:
        page.click(f"{PLOT} .modebar-btn[data-title='Download plot as a PNG']")
    png = tmp_path / "figure.png"
    png_download.value.save_as(png)
    with Image.open(png) as picture:
        assert picture.format == "PNG"
        assert picture.size == (3 * size[0], 3 * size[1])

    with page.expect_download() as svg_download:
        page.click(f"{PLOT} .modebar-btn[data-title='Download plot as SVG']")
    svg = tmp_path / "figure.svg"
    svg_download.value.save_as(svg)
    text = svg.read_text()
    assert text.startswith("<svg") and "</svg>" in text
    assert svg_download.value.suggested_filename == "06_dense_prediction.svg"
    assert "<image" in text and "assets/photo-" in text or "data:image" in text  # the photo came along
    assert [url for url in missing if not url.endswith("/favicon.ico")] == []  # the browser asks for one
    assert [e for e in errors if "status of 404" not in e] == []  # a 404 is the favicon, checked above
    context.close()
