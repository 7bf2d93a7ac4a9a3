"""--jobs: figures and pages in worker processes give the same site; a late failure is linked past."""

from __future__ import annotations

import re

import sitegen.site.site_builder as site_builder
from sitegen.site.check import check_site
from tests.site.build_support import build, comparable, snapshot, write_good_images


def four_images(tmp_path):
    return write_good_images(tmp_path / "images", 4)[0].parent


def test_two_processes_write_the_same_site_as_one(tmp_path):
    images = four_images(tmp_path)
    cache = tmp_path / "cache"
    build(images, tmp_path / "warm", cache)  # results cached: both builds below start from them
    one, _ = build(images, tmp_path / "one", cache, jobs=1)
    two, models = build(images, tmp_path / "two", cache, jobs=2)
    assert models.counters()["model_loads"] == 0 and two.cached == 4
    assert comparable(snapshot(tmp_path / "two")) == comparable(snapshot(tmp_path / "one"))
    assert one.written == two.written


def test_two_processes_also_match_on_a_first_build_with_paper_figures(tmp_path):
    images = four_images(tmp_path)
    build(images, tmp_path / "one", tmp_path / "cache1", jobs=1, paper_figures=True)
    build(images, tmp_path / "two", tmp_path / "cache2", jobs=2, paper_figures=True)
    one, two = snapshot(tmp_path / "one"), snapshot(tmp_path / "two")
    assert "images/img3-png/steps/18_comparison_grid.png" in two
    assert comparable(two) == comparable(one)


def links(html: bytes) -> list[str]:
    return re.findall(r'href="([^"]+\.html)"', html.decode())


def break_pages_of(name: str, monkeypatch) -> None:
    """Make the figures of image ``name`` fail to draw (after its neighbours' pages linked to it)."""
    real = site_builder.render_pages

    def failing(task):
        if task.summary.name == name:
            raise RuntimeError("figure drawing broke")
        return real(task)

    monkeypatch.setattr(site_builder, "render_pages", failing)


def test_an_image_whose_pages_fail_is_linked_past_by_its_neighbours(tmp_path, monkeypatch):
    """img1's figures fail after img0's page already linked to it: img0 and img2 are rendered again."""
    break_pages_of("img1.png", monkeypatch)
    report, _ = build(four_images(tmp_path), tmp_path / "site", tmp_path / "cache", jobs=1)
    assert [f.name for f in report.failed] == ["img1.png"]
    assert "figure drawing broke" in report.failed[0].reason
    files = snapshot(tmp_path / "site")
    assert "images/img1-png.html" not in files
    assert "img1-png.html" not in links(files["images/img0-png.html"])
    assert "img2-png.html" in links(files["images/img0-png.html"])
    assert "img0-png.html" in links(files["images/img2-png.html"])
    assert check_site(tmp_path / "site").ok  # no link anywhere to the missing page


def test_a_page_rendered_again_keeps_its_ground_truth_sentences(tmp_path, monkeypatch):
    """With ground truth that calls every pixel blue, img0's page explains blue as under-found;
    rendered again after img1 failed, it still does, word for word."""
    import numpy as np
    from PIL import Image

    from sitegen.site.evaluation import GroundTruthSource
    from tests.site.fake_models import VOCABULARY

    images = four_images(tmp_path)
    truth = tmp_path / "gt"
    truth.mkdir()
    for path in sorted(images.iterdir()):
        width, height = Image.open(path).size
        Image.fromarray(np.full((height, width), 2, np.uint8)).save(truth / path.name)
    source = GroundTruthSource.open(truth, VOCABULARY)
    build(images, tmp_path / "plain", tmp_path / "cache", ground_truth=source, jobs=1)
    break_pages_of("img1.png", monkeypatch)
    build(images, tmp_path / "site", tmp_path / "cache", ground_truth=source, jobs=1)

    def sentences(site):
        return re.findall(r'<ul class="misses">.*?</ul>', (site / "images/img0-png.html").read_text(), re.S)

    assert "img2-png.html" in links((tmp_path / "site/images/img0-png.html").read_bytes())  # rendered again
    assert sentences(tmp_path / "site") == sentences(tmp_path / "plain")
    assert "blue" in sentences(tmp_path / "plain")[0] and "ground-truth px" in sentences(tmp_path / "plain")[0]
