"""Slugs, the files each page function returns, and what the pages say (no browser)."""

from __future__ import annotations

import dataclasses
import io
import base64
import json
import zlib
import posixpath
import re
from pathlib import Path

import numpy as np
import jinja2
import pytest
from PIL import Image

from sitegen.errors import SitegenError
from sitegen.site.assets import static_files
from sitegen.site.figures_bundle import figures_script
from sitegen.site.image_page import image_assets, image_files
from sitegen.site.page_context import RANDOM_WEIGHTS_WARNING, file_size_text
from sitegen.site.render import render_page, script_json
from sitegen.site.slugs import MAX_SLUG_LENGTH, WINDOWS_RESERVED, slugify, unique_slugs
from sitegen.site.summaries import SiteInfo, summarize_image
from tests.site.factory import CLASS_NAMES, FAILURE_REASON, SCRIPT_FILE, build_run, build_site, found_classes
from tests.site.html_scan import resolve, scan

SLUG = re.compile(r"[a-z0-9][a-z0-9_-]*")
STEP_SLUGS = (
    "01_raw_image", "02_text_prompts", "03_sclip_patches", "04_similarity", "05_confidence_maps",
    "06_dense_prediction", "07_prediction_confidences", "08_thresholding", "09_connected_components",
    "10_size_filter", "11_positive_prompts", "12_negative_prompts", "13_sam_prompting",
    "14_sam_candidates", "15_mask_selection", "16_overlap_resolution", "17_final_segmentation",
    "18_comparison_grid",
)  # fmt: skip
AWKWARD_NAMES = [
    "Lionel Messi", "lionel messi", "LIONEL MESSI", "Café au lait", "cafe au lait", 'say "cheese"',
    "it's", "<script>alert(1)</script>", "..", ".", "", "   ", "🙂", "CON", "nul", "com1", "a/b\\c",
    "x" * 200, "x" * 201, "photo.PNG", "photo.png", "-_-",
]  # fmt: skip


# --- Slugs ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Lionel Messi", "lionel-messi"),
        ("Café Crème", "cafe-creme"),
        ('a "b" <script>.png', "a-b-script-png"),
        ("<script>alert(1)</script>", "script-alert-1-script"),
        ("..", "item"),
        ("", "item"),
        ("🙂", "item"),
        ("CON", "con_"),
        ("lpt9", "lpt9_"),
        ("under_score", "under_score"),
    ],
)
def test_slugify_examples(name, expected):
    assert slugify(name) == expected


@pytest.mark.parametrize("name", AWKWARD_NAMES)
def test_slugify_is_always_a_safe_file_name(name):
    slug = slugify(name)
    assert SLUG.fullmatch(slug), slug
    assert len(slug) <= MAX_SLUG_LENGTH
    assert slug not in WINDOWS_RESERVED


def test_unique_slugs_are_distinct_case_insensitively_and_deterministic():
    slugs = unique_slugs(AWKWARD_NAMES)
    assert len({s.casefold() for s in slugs}) == len(AWKWARD_NAMES)
    assert all(SLUG.fullmatch(s) and len(s) <= MAX_SLUG_LENGTH for s in slugs)
    assert unique_slugs(AWKWARD_NAMES) == slugs
    assert slugs[:3] == ["lionel-messi", "lionel-messi-2", "lionel-messi-3"]


def test_unique_slugs_skips_a_suffix_another_name_already_took():
    assert unique_slugs(["a", "a-2", "A"]) == ["a", "a-2", "a-3"]
    long = unique_slugs(["y" * 100, "Y" * 100])
    assert long == ["y" * 60, "y" * 58 + "-2"]


# --- Rendering helpers --------------------------------------------------------------------------


def test_script_json_round_trips_and_cannot_end_a_script():
    value = {
        "name": "</script><script>alert(1)</script>&amp;<!--",
        "lines": "a\u2028b\u2029c",
        "array": np.array([1.5, np.nan], dtype=np.float32),
        "count": np.int64(3),
    }
    text = script_json(value)
    for unsafe in "<>&\u2028\u2029":
        assert unsafe not in text
    assert json.loads(text) == {
        "name": value["name"],
        "lines": value["lines"],
        "array": [1.5, None],
        "count": 3,
    }


def test_environment_autoescapes_html_templates(env):
    chip = env.get_template("partials/macros.html").module.chip
    html = str(chip({"name": "<b>", "colour": "#000000", "href": None}))
    assert "&lt;b&gt;" in html and "<b>" not in html


def test_static_files_ship_plotly_css_js_and_nojekyll():
    import plotly

    files = static_files()
    package_js = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    assert files["static/plotly.min.js"] == package_js.read_bytes()
    assert files[".nojekyll"] == b""
    assert b"--header" in files["static/css/sitegen.css"]
    assert b"SITEGEN_FIGURES_DEFLATED" in files["static/js/sitegen.js"]


# --- Summaries ----------------------------------------------------------------------------------


def test_summary_counts_match_the_result(results, site_info):
    result = results[0]
    summary = summarize_image(result, "alpha-png", site_info)
    kept_classes = [result.candidates.prompts[i].class_index for i in result.overlap.kept]
    area = np.bincount(result.final.labels.ravel(), minlength=4)
    for c, cls in enumerate(summary.classes):
        assert cls.index == c
        assert cls.masks == kept_classes.count(c)
        assert cls.prompts == sum(p.class_index == c for p in result.candidates.prompts)
        assert cls.area == area[c]
        assert sorted(cls.region_areas) == sorted(r.size for r in result.size_filter.kept if r.class_index == c)
        assert len(cls.region_confidences) == len(cls.region_areas)
    assert summary.total_masks == len(result.overlap.kept)
    assert (summary.page, summary.thumbnail) == ("images/alpha-png.html", "images/alpha-png/thumb.webp")
    assert summary.classes[0].mask_thumbnail == "images/alpha-png/class_0_mask.png"
    assert summary.classes[0].confidence_thumbnail == "images/alpha-png/class_0_confidence.webp"
    assert summary.photo_thumbnail == "images/alpha-png/photo.webp"
    assert (summary.width, summary.height) == (640, 480)


def test_summary_of_an_image_without_masks_has_no_thumbnails(results, site_info):
    summary = summarize_image(results[2], "empty-png", site_info)
    assert summary.total_masks == 0
    assert all(not c.found and c.mask_thumbnail is None for c in summary.classes)


@pytest.mark.parametrize("slug", ["../evil", "a/b", "Upper", "", "con"])
def test_a_page_name_that_is_not_a_slug_is_refused(results, site_info, slug):
    with pytest.raises(SitegenError, match="not a slug"):
        summarize_image(results[0], slug, site_info)


# --- Files --------------------------------------------------------------------------------------


def _image_paths(slug: str, classes: list[int]) -> set[str]:
    """An image's files in the default site: no step PNGs (those come with --paper-figures)."""
    folder = f"images/{slug}"
    return (
        {f"images/{slug}.html", f"{folder}/figures.js", f"{folder}/thumb.webp"}
        | ({f"{folder}/photo.webp"} if classes else set())
        | {f"{folder}/data/{n}" for n in ("probabilities.npz", "prompts.json", "statistics.json")}
        | {f"{folder}/class_{c}_confidence.webp" for c in classes}
        | {f"{folder}/class_{c}_mask.png" for c in classes}
    )


def test_site_has_the_expected_files(site):
    assets = {p for p in site if "/assets/" in p}
    per_class = {p for p in site if "/per_class/" in p}
    expected = (
        _image_paths("alpha-png", [0, 1, 2, 3])
        | _image_paths("a-b-script-png", [0, 1, 2])
        | _image_paths("empty-png", [])
        | {"index.html", "gallery.js", ".nojekyll", "static/plotly.min.js", "static/css/sitegen.css"}
        | {"static/js/sitegen.js", "static/js/gallery.js"}
        | {f"classes/{s}.html" for s in ("person", "grass", "sky", "script-alert-1-script")}
        | {"classes.html"}
    )
    assert set(site) - assets == expected
    assert per_class == set()
    assert all(p.startswith("images/") and p.endswith((".png", ".webp")) for p in assets)
    assert [p for p in assets if p.endswith(".webp")], "the photo travels as a WebP"


def test_every_path_stays_inside_the_output_folder(site, run_output, tmp_path):
    for path in [*site, *run_output]:
        assert not path.startswith("/") and "\\" not in path
        assert (tmp_path / path).resolve().is_relative_to(tmp_path.resolve())
        assert posixpath.normpath(path) == path


def test_run_has_the_original_layout(run_output, results):
    result = results[0]
    expected = (
        {"index.html", "figures.js", ".nojekyll", "static/plotly.min.js", "static/css/sitegen.css", "static/js/sitegen.js"}
        | {"static/js/gallery.js"}
        | {f"steps/{s}.png" for s in STEP_SLUGS}
        | {f"per_class/class_{i}_{slugify(CLASS_NAMES[i])}.png" for i in found_classes(result)}
        | {"data/confidences.npy", "data/prompts.json", "data/statistics.json"}
    )
    assert {p for p in run_output if not p.startswith("assets/")} == expected


def _expand(value, shared: list):
    """What sitegen.js does before drawing: every {"$shared": i} replaced by shared value i."""
    if isinstance(value, list):
        return [_expand(item, shared) for item in value]
    if isinstance(value, dict):
        if set(value) == {"$shared"}:
            return _expand(shared[value["$shared"]], shared)
        return {key: _expand(item, shared) for key, item in value.items()}
    return value


def _bundle(js: bytes) -> dict:
    """The figure bundle of a figures.js: a base64 string of raw DEFLATE, unpacked here by hand."""
    text = js.decode("ascii")
    prefix, suffix = 'window.SITEGEN_FIGURES_DEFLATED = "', '";\n'
    assert text.startswith(prefix) and text.endswith(suffix)
    return json.loads(zlib.decompress(base64.b64decode(text[len(prefix) : -len(suffix)]), -15))


def _figures(js: bytes) -> dict:
    bundle = _bundle(js)
    return {key: _expand(figure, bundle["shared"]) for key, figure in bundle["figures"].items()}


@pytest.mark.parametrize(("page", "figures_js"), [("images/alpha-png.html", "images/alpha-png/figures.js")])
def test_figure_assets_point_at_emitted_files(site, page, figures_js):
    figures = _figures(site[figures_js])
    assert set(STEP_SLUGS) & set(figures)
    sources = [
        image["source"] for figure in figures.values() for image in figure.get("layout", {}).get("images", [])
    ]
    assert not [s for s in sources if s.startswith("asset:")]
    for source in sources:
        if not source.startswith("data:"):
            assert resolve(page, source)[0] in site


def test_every_link_of_every_page_resolves_to_a_file_of_the_site(site, run_output):
    for files in (site, run_output):
        for page in (p for p in files if p.endswith(".html")):
            found = scan(files[page])
            for link in found.links():
                target, fragment = resolve(page, link)
                assert target in files, f"{page} links to missing {link}"
                if fragment:
                    assert fragment in scan(files[target]).ids(), f"{page}: no #{fragment} in {target}"


# --- Page content -------------------------------------------------------------------------------


def _text(html: bytes) -> str:
    return " ".join(" ".join(scan(html).text).split())


def test_every_page_has_lang_title_viewport_and_skip_link(site, run_output):
    for files in (site, run_output):
        for page in (p for p in files if p.endswith(".html")):
            found = scan(files[page])
            assert found.problems == [], page
            assert found.with_attr("html", "lang")[0]["lang"] == "en"
            assert any(a.get("name") == "viewport" for a in found.with_attr("meta", "name"))
            assert any(t == "title" for t, _ in found.tags)
            assert found.with_attr("a", "href")[0]["href"] == "#main" and "main" in found.ids()
            # Every picture is described, but for a class's mask overlay, which lies over the
            # described photo thumbnail and is one picture with it.
            described = [img for img in found.with_attr("img", "src") if img.get("class") != "mask"]
            assert all(img.get("alt") for img in described), page
            assert all(img.get("alt") == "" for img in found.with_attr("img", "src") if img not in described), page


def test_random_weights_banner_on_every_page_and_only_then(results, site, site_info, env):
    for page in (p for p in site if p.endswith(".html")):
        assert RANDOM_WEIGHTS_WARNING in _text(site[page]), page
    trained = SiteInfo(**{**site_info.__dict__, "random_weights": False})
    run = build_run(results[0], trained, env)
    assert RANDOM_WEIGHTS_WARNING not in _text(run["index.html"])


def test_index_lists_images_classes_counts_and_failures(site, results):
    found = scan(site["index.html"])
    cards = {a["data-name"]: a for a in found.with_attr("li", "data-name")}
    assert set(cards) == {"alpha.png", SCRIPT_FILE, "empty.png"}
    assert cards["alpha.png"]["data-classes"] == "0 1 2 3"
    assert cards[SCRIPT_FILE]["data-classes"] == "0 1 2"
    assert cards["empty.png"]["data-classes"] == ""
    assert int(cards["alpha.png"]["data-masks"]) == len(results[0].overlap.kept)
    text = _text(site["index.html"])
    assert f"Images that failed broken.png : {FAILURE_REASON}" in text
    assert "Images 3 Failed 1 Classes 4" in text


def test_image_page_has_steps_dashboard_downloads_and_neighbours(site, results):
    page = site["images/a-b-script-png.html"]
    found = scan(page)
    ids = found.ids()
    assert {f"step-{n}" for n in range(1, 19)} <= ids
    hrefs = [a["href"] for a in found.with_attr("a", "href")]
    assert "alpha-png.html" in hrefs and "empty-png.html" in hrefs and "../index.html" in hrefs
    assert "../classes/person.html" in hrefs
    assert "a-b-script-png/data/probabilities.npz" in hrefs
    text = _text(page)
    rows = json.loads(site["images/a-b-script-png/data/statistics.json"])["classes"]
    assert "Masks kept " + str(sum(r["masks_kept"] for r in rows)) in text
    first = scan(site["images/alpha-png.html"])
    assert not [a for a in first.with_attr("a", "rel") if a["rel"] == "prev"]


def test_class_page_separates_found_and_missing_images(site):
    assert {"found-images", "missing-images"} <= scan(site["classes/person.html"]).ids()
    text = _text(site["classes/person.html"])
    missing = text.split("Images where it was not found")[1]
    assert "empty.png" in missing and "alpha.png" not in missing
    script_class = _text(site["classes/script-alert-1-script.html"])
    assert "Found in 1 of 3 images" in script_class


def _png(colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def test_assets_are_shared_when_equal_and_kept_apart_when_not(results, site_info, env):
    from sitegen.figures import render_steps

    result = results[2]
    red, blue = _png((255, 0, 0)), _png((0, 0, 255))

    def layer_of(number: int) -> tuple[str, bytes]:
        """Step 3 shows blue, step 7 the red picture under another name, the others red."""
        return {3: ("layer", blue), 7: ("copy", red)}.get(number, ("layer", red))

    steps = []
    for step in render_steps(result, site_info.palette):
        name, data = layer_of(step.step.number)
        figure = {"data": [], "layout": {"images": [{"source": f"asset:{name}", "x": 0, "y": 0}]}}
        steps.append(dataclasses.replace(step, figure=figure, assets={name: data}))
    summary = summarize_image(result, "empty-png", site_info)
    files = image_files(result, steps, summary, None, None, site_info, env, image_assets(result, summary, site_info))
    assets = {path: data for path, data in files.items() if "/assets/" in path}
    assert sorted(assets.values()) == sorted([red, blue])
    figures = _figures(files["images/empty-png/figures.js"])
    sources = {slug: f["layout"]["images"][0]["source"] for slug, f in figures.items() if slug != "funnel"}
    assert len(set(sources.values())) == 2
    assert sources["03_sclip_patches"] != sources["01_raw_image"] == sources["18_comparison_grid"]
    assert sources["07_prediction_confidences"] == sources["01_raw_image"]
    assert assets["images/" + sources["03_sclip_patches"]] == blue


def test_figures_js_writes_repeated_values_once_and_they_expand_back():
    outline = "M" + "L".join(f"{i},{i % 7}" for i in range(60)) + "Z"
    grid = [[i * 0.125 for i in range(40)] for _ in range(4)]
    small = [1, 2, 3]
    figures = {
        "a": {"data": [{"z": grid, "x": small, "name": "a"}], "layout": {"shapes": [{"path": outline, "opacity": 1}]}},
        "b": {"data": [{"z": grid, "x": small, "name": "b"}], "layout": {"shapes": [{"path": outline, "opacity": 0}]}},
        "c": {"data": [], "layout": {"shapes": [{"path": outline, "opacity": 0}], "title": {"text": "<b>"}}},
    }
    js = figures_script(figures)
    bundle = _bundle(js)
    assert _figures(js) == figures
    text = json.dumps(bundle, separators=(",", ":"))
    assert text.count(outline) == 1 and text.count(json.dumps(grid[0], separators=(",", ":"))) == 1
    assert text.count('"x":[1,2,3]') == 2  # too small to be worth a reference
    assert len(bundle["shared"]) >= 2
    assert len(js) < len(text)  # deflated, even after base64


def test_figures_js_of_a_real_page_is_smaller_than_its_figures(site):
    js = site["images/alpha-png/figures.js"]
    figures = _figures(js)
    assert set(STEP_SLUGS) <= set(figures)
    assert len(js) < 0.95 * len(script_json(figures))


def test_paper_figures_add_every_step_png_and_the_link_says_how_big_it_is(results, site_info, env, site):
    paper = build_site(results, dataclasses.replace(site_info, paper_figures=True), env)
    assert set(paper) - set(site) == {
        f"images/{slug}/steps/{s}.png" for slug in ("alpha-png", "a-b-script-png", "empty-png") for s in STEP_SLUGS
    } | {f"images/alpha-png/per_class/class_{i}_{slugify(CLASS_NAMES[i])}.png" for i in found_classes(results[0])}
    text = _text(paper["images/alpha-png.html"])
    sizes = re.findall(r"Static figure \(PNG, ([\d.]+ (?:kB|MB|bytes)), ready for a paper\)", text)
    assert len(sizes) == 18
    first = len(paper["images/alpha-png/steps/01_raw_image.png"])
    assert 1000 <= first < 1_000_000 and sizes[0] == f"{first / 1000:.1f} kB"
    assert "Static figure" not in _text(site["images/alpha-png.html"])


@pytest.mark.parametrize(
    "size, text", [(0, "0 bytes"), (999, "999 bytes"), (1000, "1.0 kB"), (45_678, "45.7 kB"), (2_345_678, "2.3 MB")]
)
def test_file_sizes_read_as_bytes_kilobytes_or_megabytes(size, text):
    assert file_size_text(size) == text


def test_a_figure_naming_an_asset_it_did_not_render_is_refused(results, site_info, env):
    from sitegen.figures import render_steps

    result = results[2]
    steps = render_steps(result, site_info.palette)
    broken = {"data": [], "layout": {"images": [{"source": "asset:missing"}]}}
    steps[4] = dataclasses.replace(steps[4], figure=broken, assets={})
    summary = summarize_image(result, "empty-png", site_info)
    with pytest.raises(SitegenError, match="'missing'"):
        image_files(result, steps, summary, None, None, site_info, env, image_assets(result, summary, site_info))


def test_pages_lose_only_indentation_and_no_template_holds_preformatted_text():
    """render_page drops each line's leading blanks: safe only while no page has <pre> or <textarea>."""
    from sitegen.site.assets import resource_dir

    for template in resource_dir("templates").rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert "<pre" not in text and "<textarea" not in text, template.name
    env = jinja2.Environment(loader=jinja2.DictLoader({"t.html": "<ul>\n  <li>{{ a }}</li>\n\t<li>b  c</li>\n</ul>"}))
    assert render_page(env, "t.html", {"a": "x  y"}) == "<ul>\n<li>x  y</li>\n<li>b  c</li>\n</ul>"
