"""The example site, built as the README builds it (with --random-weights and the example ground
truth), in headless Chromium.

One build of the four example photographs with the real, untrained CLIP and SAM 2 models; then
every page is opened from file://: no console errors, no request outside the folder, every link
to an existing file, and the index and class pages agree with what the build found.
"""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sitegen.cli import app
from tests.site.test_browser import DRAWN_PLOT, _shown_cards, assert_links_inside

pytestmark = [pytest.mark.slow, pytest.mark.browser]

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("example")
    result = CliRunner().invoke(app, [
        "build", str(EXAMPLES / "images"), "--vocab-file", str(EXAMPLES / "vocab.txt"), "--out", str(root / "site"),
        "--cache-dir", str(root / "cache"), "--random-weights", "--prompt-templates", "single",
        "--min-confidence", "0.1", "--ground-truth", str(EXAMPLES / "ground_truth"), "--quiet",
    ])
    assert result.exit_code == 0, result.output
    return root / "site"


def pages(site: Path) -> list[str]:
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))


def kept_by_class(site: Path) -> dict[str, set[str]]:
    """Class name -> the images where SAM kept a mask of it, from the images' statistics.json."""
    kept: dict[str, set[str]] = {}
    for statistics in site.glob("images/*/data/statistics.json"):
        record = json.loads(statistics.read_text())
        assert record["random_weights"] is True
        for row in record["classes"]:
            if row["masks_kept"]:
                kept.setdefault(row["name"], set()).add(record["image"]["name"])
    return kept


def test_every_page_loads_cleanly_and_links_only_to_files_in_the_site(visit, site):
    relatives = pages(site)
    assert len([r for r in relatives if r.startswith("images/")]) == 4
    # A page per class kept somewhere; the others are folded into classes.html.
    assert len([r for r in relatives if r.startswith("classes/")]) == len(kept_by_class(site))
    assert "classes.html" in relatives
    for relative in relatives:
        opened = visit(site, relative)
        opened.page.wait_for_load_state("load")
        if relative.startswith("images/"):
            opened.page.wait_for_selector(DRAWN_PLOT)
        assert_links_inside(opened, site, relative)
        opened.assert_clean()


def test_index_shows_every_example_and_class_pages_list_where_masks_were_kept(visit, site):
    opened = visit(site, "index.html")
    assert sorted(_shown_cards(opened.page)) == ["astronaut.png", "chelsea_cat.png", "coffee.png", "rocket.jpg"]
    kept = kept_by_class(site)
    assert kept, "the example build kept no mask at all"
    names = ("person", "cat", "coffee cup", "rocket", "sky", "flag", "table", "background")
    slugs = ("person", "cat", "coffee-cup", "rocket", "sky", "flag", "table", "background")
    listing = visit(site, "classes.html").page
    for name, slug in zip(names, slugs):
        assert listing.locator(f"#class-{slug}").count() == 1, name
        if name not in kept:  # folded: an entry on classes.html, no page
            assert not (site / "classes" / f"{slug}.html").exists(), name
            continue
        page = visit(site, f"classes/{slug}.html").page
        listed = page.evaluate("() => [...document.querySelectorAll('#found-images h3')].map(h => h.textContent)")
        assert sorted(listed) == sorted(kept[name]), name
    opened.assert_clean()


def test_the_example_ground_truth_is_evaluated_on_every_page(visit, site):
    metrics = json.loads((site / "metrics.json").read_text())
    assert metrics["images"] == {"with_pages": 4, "evaluated": 4, "left_out": []}
    opened = visit(site, "index.html")
    opened.page.wait_for_selector("#evaluation-iou-plot .main-svg")
    opened.page.wait_for_selector("#evaluation-confusion-plot .main-svg")
    assert "4 of 4 images evaluated against ground truth" in opened.page.text_content("#evaluation-count")
    opened.assert_clean()
    for image in ("astronaut-png", "rocket-jpg"):
        assert (site / "images" / image / "evaluation.jpg").is_file()
        assert 'id="evaluation"' in (site / "images" / f"{image}.html").read_text()
    assert 'id="evaluation-per-image"' in (site / "classes" / "person.html").read_text()


def test_sitegen_check_passes_on_the_example_site(site):
    result = CliRunner().invoke(app, ["check", str(site)])
    assert result.exit_code == 0, result.output
    assert "0 broken of" in result.output and "all " in result.output
