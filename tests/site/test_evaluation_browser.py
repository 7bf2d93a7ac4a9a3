"""The evaluation panel in headless Chromium from file://: heatmap hover gives counts, sorting works."""

from __future__ import annotations

import json

import pytest

from sitegen.site.evaluation import METRICS_FILE, GroundTruthSource
from tests.site.build_support import build, write_good_images
from tests.site.fake_models import VOCABULARY
from tests.site.test_evaluation_build import SLUGS, final_maps, write_truth
from tests.site.test_browser import _shown_cards

pytestmark = pytest.mark.browser

CELL_CENTRE = """([row, column]) => {
  const div = document.getElementById('evaluation-confusion-plot');
  const layout = div._fullLayout, box = div.getBoundingClientRect();
  return {x: box.left + layout.xaxis._offset + layout.xaxis.l2p(column),
          y: box.top + layout.yaxis._offset + layout.yaxis.l2p(row)};
}"""


@pytest.fixture(scope="module")
def evaluated_site(tmp_path_factory):
    """Three images whose final mIoU is not in name order: img0 worst, img1 perfect, img2 between."""
    root = tmp_path_factory.mktemp("evaluated")
    images, site, cache = root / "images", root / "site", root / "cache"
    write_good_images(images, 3)
    build(images, site, cache)
    truth = final_maps(site)
    truth[SLUGS[0]][:, : truth[SLUGS[0]].shape[1] // 2] = 1
    truth[SLUGS[2]][:10] = 2
    write_truth(root / "gt", truth)
    build(images, site, cache, ground_truth=GroundTruthSource.open(root / "gt", VOCABULARY))
    return site, json.loads((site / METRICS_FILE).read_text())


def test_heatmap_hover_shows_the_pixel_count(visit, evaluated_site):
    site, metrics = evaluated_site
    opened = visit(site, "index.html")
    page = opened.page
    page.wait_for_selector("#evaluation-confusion-plot .main-svg")
    page.wait_for_selector("#evaluation-iou-plot .main-svg")
    confusion = metrics["dataset"]["final"]["confusion"]
    shown = [c["index"] for c in metrics["dataset"]["final"]["classes"]]
    # the cell of ground truth 1 predicted as the class of img0's relabelled half
    row, column = max(
        ((r, c) for r in range(len(shown)) for c in range(len(shown)) if r != c),
        key=lambda rc: confusion[shown[rc[0]]][shown[rc[1]]],
    )
    count = confusion[shown[row]][shown[column]]
    assert count > 0
    page.locator("#evaluation-confusion-plot").scroll_into_view_if_needed()
    point = page.evaluate(CELL_CENTRE, [row, column])
    page.mouse.move(point["x"], point["y"])
    page.wait_for_selector(".hoverlayer .hovertext")
    text = page.text_content(".hoverlayer .hovertext")
    assert f"{count:,} px" in text
    assert f"ground truth: {VOCABULARY.names[shown[row]]}" in text
    assert f"predicted: {VOCABULARY.names[shown[column]]}" in text
    opened.assert_clean()


def test_sorting_by_miou_and_by_gain_reorders_the_cards(visit, evaluated_site):
    site, metrics = evaluated_site
    opened = visit(site, "index.html")
    page = opened.page
    by_name = _shown_cards(page)
    assert by_name == ["img0.png", "img1.png", "img2.png"]
    final = {row["image"]: row["final"]["mIoU"] for row in metrics["per_image"]}
    gain = {row["image"]: row["gain_mIoU"] for row in metrics["per_image"]}
    page.select_option("#sort-order", "miou")
    order = _shown_cards(page)
    assert order == sorted(final, key=lambda name: (final[name], name))
    assert order != by_name
    page.select_option("#sort-order", "gain")
    assert _shown_cards(page) == sorted(gain, key=lambda name: (-gain[name], name))
    page.select_option("#sort-order", "name")
    assert _shown_cards(page) == by_name
    opened.assert_clean()
