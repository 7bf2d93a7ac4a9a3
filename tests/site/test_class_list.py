"""Classes found in no image fold into classes.html: no page of their own, an entry there.

A real build (stand-in models) with a class no image has, and the rule on hand-made summaries.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from sitegen.records import ClassSpec, Vocabulary
from sitegen.site.check import OK, check_site
from sitegen.site.class_list import folded_classes
from sitegen.site.class_page import funnel_tables
from tests.site.build_support import build, snapshot, write_good_images
from tests.site.fake_models import COLOURS, VOCABULARY
from tests.site.html_scan import resolve, scan

PAGES = ["index.html", "classes.html", "images/img0-png.html", "images/img1-png.html", "classes/red.html"]


def _image(*found: bool):
    return SimpleNamespace(classes=[SimpleNamespace(found=f) for f in found])


def test_a_class_folds_when_no_image_of_any_variant_kept_a_mask_of_it():
    base = [_image(True, False, False, False), _image(True, False, False, False)]
    assert folded_classes([base], 4) == {1, 2, 3}
    other = [_image(False, False, True, False), _image(False, False, False, False)]
    assert folded_classes([base, other], 4) == {1, 3}  # class 2: found only by another variant
    assert folded_classes([[]], 3) == {0, 1, 2}  # no image: every class
    assert folded_classes([[_image(True, True)]], 2) == frozenset()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Three images of red, green and blue bands; the vocabulary adds a class none of them has
    (the stand-in CLIP embeds its queries opposite every colour, so it never wins a pixel)."""
    root = tmp_path_factory.mktemp("folded")
    write_good_images(root / "images", 3)
    vocabulary = Vocabulary(VOCABULARY.classes + (ClassSpec(3, "unicorn", ("unicorn", "winged horse")),))
    with pytest.MonkeyPatch.context() as patch:
        for query in ("unicorn", "winged horse"):
            patch.setitem(COLOURS, query, (-1.0, -1.0, -1.0))
        build(root / "images", root / "site", root / "cache", vocabulary=vocabulary)
    return root / "site"


def test_a_class_found_in_no_image_has_no_page_and_an_entry_on_classes_html(built):
    files = snapshot(built)
    assert sorted(p for p in files if p.startswith("classes")) == [
        "classes.html", "classes/blue.html", "classes/green.html", "classes/red.html",
    ]
    listing = scan(files["classes.html"])
    assert {"class-red", "class-green", "class-blue", "class-unicorn"} <= listing.ids()
    text = " ".join(listing.text)
    assert "winged horse" in text and "the 1 found in no image are described below" in text
    # Its funnel lists the images where it wins some argmax pixel: none here, and the page says so.
    rows = json.loads(next(s.text for s in listing.scripts if s.attrs.get("id") == "class-unicorn-funnel-rows-1"))
    assert rows == []
    assert "the 0 images where unicorn wins some pixel of the SCLIP argmax; in the other 3 it wins none" in text
    assert "All 3 images" in text  # the funnel's row of totals, there without JavaScript


def test_the_folded_list_keeps_only_the_images_a_class_reached_and_totals_all():
    def summary(name, funnel, miss=None):
        cls = SimpleNamespace(funnel=funnel, miss=f"x: {miss}" if miss else None, miss_step=10)
        return SimpleNamespace(name=name, page=f"images/{name}.html", classes=[cls])

    summaries = [
        summary("a", (0, 0, 0, 0, 0, 0, 0, 0), "wins no pixel"),
        summary("b", (40, 30, 2, 0, 0, 0, 0, 0), "too small"),
        summary("c", ()),  # an image whose summary has no funnel (say, failed)
    ]
    [every] = funnel_tables(0, "classes.html", [(None, summaries)])
    [reached] = funnel_tables(0, "classes.html", [(None, summaries)], reached_only=True)
    assert [row["name"] for row in every["rows"]] == ["a", "b", "c"]
    assert [row["name"] for row in reached["rows"]] == ["b"]
    assert reached["rows"][0] == {
        "name": "b", "href": "images/b.html", "counts": [40, 30, 2, 0, 0, 0, 0, 0],
        "miss": "too small", "miss_href": "images/b.html#step-10", "miss_step": 10,
    }
    assert reached["images"] == every["images"] == 3
    assert reached["totals"] == [40, 30, 2, 0, 0, 0, 0, 0]


def test_every_link_to_the_folded_class_reaches_its_entry_and_check_finds_no_broken_link(built):
    files = snapshot(built)
    target = ("classes.html", "class-unicorn")
    for page in ("index.html", "images/img0-png.html"):
        assert target in [resolve(page, link) for link in scan(files[page]).links()], page
    for page in PAGES:
        for path, fragment in (resolve(page, link) for link in scan(files[page]).links()):
            if path.endswith(".html"):
                assert path in files, (page, path)
                if path == "classes.html" and fragment:
                    assert fragment in scan(files[path]).ids(), (page, fragment)
    links = next(check for check in check_site(built).checks if check.name == "links")
    assert links.status == OK, links.problems
