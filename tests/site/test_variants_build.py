"""A build of three variants: the model work of one, each variant's pages those of its own build,
a comparison page per image, and an edited variant the only one recomputed."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest

from sitegen.config import Variant
from tests.site.build_support import build, snapshot, write_good_images
from tests.site.fake_models import OPTIONS
from tests.site.html_scan import resolve, scan

#: Regions of at least 2,000 px: more than any colour band has, so every class is missed.
STRICT = dataclasses.replace(OPTIONS, min_confidence=0.6, min_region_size=2000)
SEPARATE = dataclasses.replace(OPTIONS, prompt_mode="separate", points_per_cluster=3)
VARIANTS = (
    Variant("base", OPTIONS, is_base=True),
    Variant("strict", STRICT, {"min-confidence": 0.6, "min-region-size": 2000}),
    Variant("separate", SEPARATE, {"prompt-mode": "separate", "points-per-cluster": 3}),
)
SLUGS = ("img0-png", "img1-png", "img2-png")


@pytest.fixture(scope="module")
def sites(tmp_path_factory):
    """The three-variant site, and for each variant a one-variant build with its options."""
    root = tmp_path_factory.mktemp("variants")
    images = root / "images"
    write_good_images(images, 3)
    three, three_models = build(images, root / "three", root / "cache3", variants=VARIANTS)
    alone = {}
    for variant in VARIANTS:
        report, models = build(images, root / f"alone-{variant.name}", root / f"cache-{variant.name}", options=variant.options)
        alone[variant.name] = (snapshot(root / f"alone-{variant.name}"), report, models)
    return {"root": root, "images": images, "three": (snapshot(root / "three"), three, three_models), "alone": alone}


def test_three_variants_cost_the_model_work_of_one(sites):
    _, report, models = sites["three"]
    _, one_report, one_models = sites["alone"]["base"]
    for counter in ("clip_forwards", "sam_embeds", "model_loads"):
        assert models.counters()[counter] == one_models.counters()[counter], counter
    assert models.counters()["clip_forwards"] == 3 and models.counters()["sam_embeds"] == 3
    assert (report.built, report.cached, report.failed) == (9, 0, [])  # one result per image and variant
    assert (report.clip_forwards, report.sam_embeds) == (3, 3)


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.name)
def test_each_variants_pages_hold_the_files_of_its_own_build(sites, variant):
    """Its data files and figure pictures, byte for byte."""
    files = sites["three"][0]
    alone = sites["alone"][variant.name][0]
    for slug in SLUGS:
        own = slug if variant.is_base else f"{slug}--{variant.name}"
        compared = [path for path in alone if path.startswith(f"images/{slug}/") and ("/data/" in path or "/assets/" in path)]
        assert len(compared) > 3  # the data files and the figures' pictures
        for path in compared:
            assert files[path.replace(f"images/{slug}/", f"images/{own}/", 1)] == alone[path], path
        # The statistics name the variant's own options.
        stats = json.loads(files[f"images/{own}/data/statistics.json"])
        assert stats["parameters"]["min_confidence"] == variant.options.min_confidence


def test_the_variants_differ_where_their_options_do(sites):
    files = sites["three"][0]

    def prompts(slug):
        return len(json.loads(files[f"images/{slug}/data/prompts.json"])["prompts"])

    assert prompts("img0-png--separate") == 3 * prompts("img0-png") > 0
    assert files["images/img0-png--strict/data/statistics.json"] != files["images/img0-png/data/statistics.json"]


def test_every_image_page_links_its_variants_and_the_comparison(sites):
    files = sites["three"][0]
    page = files["images/img1-png--strict.html"].decode()
    nav = page[page.index('class="variant-nav"') : page.index("</nav>", page.index('class="variant-nav"'))]
    assert re.findall(r'href="([^"]+)"', nav) == ["img1-png.html", "img1-png--separate.html", "img1-png/variants.html"]
    assert '<strong aria-current="page">strict</strong>' in nav
    # Previous and next stay within the variant.
    assert 'href="img0-png--strict.html" rel="prev"' in page and 'href="img2-png--strict.html" rel="next"' in page
    for path, data in files.items():
        if path.endswith(".html"):
            parsed = scan(data)
            assert parsed.problems == [], path
            for link in parsed.links():
                target, fragment = resolve(path, link)
                assert target in files, (path, link)
                if fragment and target.endswith(".html"):
                    assert fragment.startswith("step-") or fragment in scan(files[target]).ids(), (path, link)


def test_the_comparison_page_tables_every_class_and_variant(sites):
    files = sites["three"][0]
    page = files["images/img0-png/variants.html"].decode()
    assert "images/img0-png/variants/figures.js" in files
    rows = re.findall(r'<th scope="row">(\w+)</th>\s*<td class="num">([\d,]+)</td>\s*<td class="num">([\d,]+)</td>\s*'
                      r'<td class="num">([\d,]+)</td>\s*<td class="num">([\d,]+)</td>', page)
    assert [name for name, *_ in rows] == ["base", "strict", "separate"] * 3
    for (name, regions, prompts, masks, area), cls in zip(rows, [c for c in range(3) for _ in range(3)]):
        slug = "img0-png" if name == "base" else f"img0-png--{name}"
        stats = json.loads(files[f"images/{slug}/data/statistics.json"])
        row = stats["classes"][cls]
        assert (int(regions), int(prompts), int(masks), int(area.replace(",", ""))) == (
            row["regions_kept"], row["prompts"], row["masks_kept"], row["final_pixels"]
        )


def test_editing_one_variant_recomputes_only_it(sites, tmp_path):
    root = sites["root"]
    out, cache = tmp_path / "site", tmp_path / "cache"
    build(root / "images", out, cache, variants=VARIANTS)
    before = snapshot(out)
    edited = (*VARIANTS[:2], Variant("separate", dataclasses.replace(SEPARATE, points_per_cluster=2), {"points-per-cluster": 2}))
    report, models = build(root / "images", out, cache, variants=edited)
    assert (report.built, report.cached) == (3, 6)
    assert models.counters()["clip_forwards"] == 0  # the CLIP output came from the cache
    assert models.counters()["sam_embeds"] == 3  # SAM ran for the edited variant only
    after = snapshot(out)
    for slug in SLUGS:
        for path in before:
            if path.startswith((f"images/{slug}/steps/", f"images/{slug}/data/", f"images/{slug}--strict/")):
                assert after[path] == before[path], path
        assert after[f"images/{slug}--separate/data/prompts.json"] != before[f"images/{slug}--separate/data/prompts.json"]


def _rows(html: str, table_id: str) -> list[list[str]]:
    table = html[html.index(f'id="{table_id}"') :]
    table = table[: table.index("</table>")]
    return [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S) for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)][1:]


def test_the_index_summarises_the_variants_side_by_side(sites):
    files = sites["three"][0]
    index = files["index.html"].decode()
    rows = _rows(index, "variants-summary")
    assert [row[0] for row in rows] == ["base", "strict", "separate"]
    for row, variant in zip(rows, VARIANTS):
        slugs = [s if variant.is_base else f"{s}--{variant.name}" for s in SLUGS]
        prompts = sum(len(json.loads(files[f"images/{s}/data/prompts.json"])["prompts"]) for s in slugs)
        assert row[2] == "3" and int(row[3].replace(",", "")) == prompts
    assert [row[6] for row in rows] == ["0", "9", "0"]  # strict misses all 3 classes of 3 images
    assert len(rows[0]) == 7  # no mIoU column without ground truth
    # The cards are the base variant's.
    assert 'href="images/img1-png.html"' in index and "img1-png--strict" not in index


def test_missed_classes_are_explained_on_the_image_and_class_pages(sites):
    files = sites["three"][0]
    page = files["images/img0-png--strict.html"].decode()
    misses = re.findall(r'<li><a class="chip"[^>]*>.*?</a> (.*?) <a href="(#step-\d+)">', page)
    assert len(misses) == 3
    for sentence, link in misses:
        assert re.fullmatch(r"its 1 region has at most [\d,]+ px, below min_region_size 2,000; min-region-size [\d,]+ keeps 1 region\.", sentence)
        assert link == "#step-10"
    assert not re.findall(r'<ul class="misses">', files["images/img0-png.html"].decode())
    red = files["classes/red.html"].decode()
    captions = re.findall(r"<caption>Variant (\w+)</caption>", red)
    assert captions == ["base", "strict", "separate"]
    tables = [json.loads(rows) for rows in re.findall(r'<script type="application/json" id="funnel-rows-\d+">(.*?)</script>', red)]
    assert len(tables) == 3  # the rows travel as data, paged by gallery.js like the per-image table
    missed = [row for table in tables for row in table if row["miss"]]
    assert len(missed) == 3 and all(row["miss_step"] == 10 for row in missed)
    assert any(
        row["name"] == "img2.png" and row["miss_href"] == "../images/img2-png--strict.html#step-10" for row in missed
    )


def test_with_ground_truth_the_comparison_gives_each_variants_miou(sites, tmp_path):
    """Ground truth drawn from the base variant's final maps with a block relabelled: each variant's
    mIoU on the comparison page is that of its own final map."""
    import io

    import numpy as np
    from PIL import Image

    from sitegen.evaluation.metrics import confusion_matrix, scores_from_confusion
    from sitegen.site.evaluation import GroundTruthSource
    from tests.site.fake_models import VOCABULARY

    files = sites["three"][0]

    def final(slug):
        with np.load(io.BytesIO(files[f"images/{slug}/data/probabilities.npz"])) as data:
            return data["final"].astype(np.uint8)

    truth = tmp_path / "gt"
    truth.mkdir()
    for i, slug in enumerate(SLUGS):
        labels = final(slug)
        labels[10:30, 4:14] = 2
        Image.fromarray(labels).save(truth / f"img{i}.png")
    out = tmp_path / "site"
    report, models = build(sites["images"], out, sites["root"] / "cache3", variants=VARIANTS,
                           ground_truth=GroundTruthSource.open(truth, VOCABULARY))
    assert models.counters()["clip_forwards"] == 0 and report.cached == 9
    page = (out / "images/img0-png/variants.html").read_text()
    shown = dict(re.findall(r"<strong>(\w+)</strong></a>: .*?, mIoU ([\d.]+)\)", page, re.S))
    labels = np.asarray(Image.open(truth / "img0.png"))  # its first band is red: the block changed
    for variant in VARIANTS:
        slug = "img0-png" if variant.is_base else f"img0-png--{variant.name}"
        expected = scores_from_confusion(confusion_matrix(final(slug), labels, 3)).miou
        assert float(shown[variant.name]) == pytest.approx(expected, abs=5e-4), variant.name
    assert len(shown) == 3 and all(0 < float(value) < 1 for value in shown.values())
    # The index: each variant's mIoU over the three images (summed confusion matrices), and each
    # card's numbers in each variant for the variant switch.
    index = (out / "index.html").read_text()
    rows = _rows(index, "variants-summary")
    bundle = json.loads((out / "gallery.js").read_text().removeprefix("window.SITEGEN_GALLERY = ").removesuffix(";\n"))
    for k, (row, variant) in enumerate(zip(rows, VARIANTS)):
        slugs = [s if variant.is_base else f"{s}--{variant.name}" for s in SLUGS]
        truths = [np.asarray(Image.open(truth / f"img{i}.png")) for i in range(3)]
        summed = sum(confusion_matrix(final(slug), labels, 3) for slug, labels in zip(slugs, truths))
        assert row[7] == f"{scores_from_confusion(summed).miou:.4g}", variant.name
        for i, (slug, labels) in enumerate(zip(slugs, truths)):
            miou = scores_from_confusion(confusion_matrix(final(slug), labels, 3)).miou
            scores = bundle["images"][i][6] if variant.is_base else bundle["variants"][k]["images"][i][2]
            assert scores[1] == pytest.approx(miou, abs=1e-6), (variant.name, slug)


def test_with_ground_truth_an_under_found_class_is_explained_in_every_variant(sites, tmp_path):
    """Ground truth that calls the red and green bands blue too: the final maps hold blue at under
    half of its ground truth, and every variant's pages name the stage that lost it, the argmax."""
    import io

    import numpy as np
    from PIL import Image

    from sitegen.site.evaluation import GroundTruthSource
    from tests.site.fake_models import VOCABULARY

    files = sites["three"][0]

    def maps(slug):
        with np.load(io.BytesIO(files[f"images/{slug}/data/probabilities.npz"])) as data:
            return data["prediction"].astype(np.int64), data["final"].astype(np.int64)

    truth = tmp_path / "gt"
    truth.mkdir()
    for i in range(3):
        Image.fromarray(np.full(maps(SLUGS[i])[1].shape, 2, np.uint8)).save(truth / f"img{i}.png")
    out = tmp_path / "site"
    build(sites["images"], out, sites["root"] / "cache3", variants=VARIANTS, ground_truth=GroundTruthSource.open(truth, VOCABULARY))
    for variant in ("base", "separate"):  # strict misses blue outright: the usual sentence
        slug = "img1-png" if variant == "base" else f"img1-png--{variant}"
        prediction, final = maps(slug)
        total, held, wins = final.size, int((final == 2).sum()), int((prediction == 2).sum())
        iou = held / total  # the ground truth is blue everywhere: the union is every pixel
        page = (out / f"images/{slug}.html").read_text()
        assert "<h3>Missed and under-found classes</h3>" in page
        misses = re.findall(r'<li><a class="chip"[^>]*>.*?blue.*?</a> (.*?) <a href="(#step-\d+)">', page, re.S)
        assert misses == [
            (
                f"IoU {iou:.2f}, the final map labels {held:,} of its {total:,} ground-truth px; it wins the argmax at "
                f"only {wins:,} of them (another class is more likely at the rest); no option of stages 4-12 changes that.",
                "#step-6",
            )
        ], variant
    blue = (out / "classes/blue.html").read_text()
    tables = [json.loads(rows) for rows in re.findall(r'<script type="application/json" id="funnel-rows-\d+">(.*?)</script>', blue)]
    steps = [[row["miss_step"] for row in table] for table in tables]
    assert steps == [[6, 6, 6], [10, 10, 10], [6, 6, 6]]  # base, strict (regions too small), separate
    assert "found at under half their ground truth" in (out / "index.html").read_text()
