"""Evaluation in a real build (fake models): exact scores end to end, no model run on a
ground-truth change, bad ground truth left out with one line, nothing without --ground-truth."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from sitegen.site.evaluation import METRICS_FILE, GroundTruthSource
from tests.site.build_support import build, write_good_images
from tests.site.fake_models import VOCABULARY

SLUGS = ("img0-png", "img1-png", "img2-png")
#: img0's block that the tests relabel: rows and columns (inside its first colour band).
BLOCK = (slice(10, 30), slice(4, 14))


def final_maps(site: Path) -> dict[str, np.ndarray]:
    """Each image's final map as its site download holds it, by slug."""
    maps = {}
    for slug in SLUGS:
        with np.load(io.BytesIO((site / "images" / slug / "data" / "probabilities.npz").read_bytes())) as data:
            maps[slug] = data["final"].astype(np.uint8)
    return maps


def write_truth(folder: Path, maps: dict[str, np.ndarray]) -> None:
    folder.mkdir(exist_ok=True)
    for slug, labels in maps.items():
        Image.fromarray(labels).save(folder / f"{slug.removesuffix('-png')}.png")


@pytest.fixture
def built(tmp_path):
    """A site built once without ground truth; its cache; its final maps."""
    images = tmp_path / "images"
    write_good_images(images, 3)
    site, cache = tmp_path / "site", tmp_path / "cache"
    build(images, site, cache)
    return images, site, cache, final_maps(site)


def rebuild_with(images, site, cache, truth: Path, **source_options):
    report, models = build(images, site, cache, ground_truth=GroundTruthSource.open(truth, VOCABULARY, **source_options))
    counters = (report.model_loads, report.clip_forwards, report.sam_embeds)
    return report, counters, json.loads((site / METRICS_FILE).read_text())


def test_ground_truth_made_from_the_final_maps_scores_exactly_one(built, tmp_path):
    images, site, cache, maps = built
    write_truth(tmp_path / "gt", maps)
    report, counters, metrics = rebuild_with(images, site, cache, tmp_path / "gt")
    assert counters == (0, 0, 0)  # evaluation is in no cache key: no model ran
    assert report.cached == 3
    assert metrics["images"] == {"with_pages": 3, "evaluated": 3, "left_out": []}
    final = metrics["dataset"]["final"]
    assert (final["mIoU"], final["mAcc"], final["aAcc"]) == (1.0, 1.0, 1.0)
    assert all(row["final"]["mIoU"] == 1.0 for row in metrics["per_image"])
    statistics = json.loads((site / "images" / SLUGS[0] / "data" / "statistics.json").read_text())
    assert statistics["evaluation"]["final"]["mIoU"] == 1.0
    assert len(statistics["evaluation"]["final"]["confusion"]) == len(VOCABULARY)
    index = (site / "index.html").read_text()
    assert 'id="evaluation"' in index and "3 of 3 images evaluated against ground truth" in index
    page = (site / "images" / f"{SLUGS[0]}.html").read_text()
    assert 'id="evaluation"' in page and "evaluation.jpg" in page
    assert (site / "images" / SLUGS[0] / "evaluation.jpg").read_bytes()[:3] == b"\xff\xd8\xff"
    assert 'id="evaluation-per-image"' in (site / "classes" / "red.html").read_text()


def test_a_relabelled_region_gives_the_hand_computed_iou(built, tmp_path):
    images, site, cache, maps = built
    truth = {slug: labels.copy() for slug, labels in maps.items()}
    a = int(maps[SLUGS[0]][BLOCK][0, 0])
    assert (maps[SLUGS[0]][BLOCK] == a).all(), "the block lies inside one class of the final map"
    b = (a + 1) % len(VOCABULARY)
    truth[SLUGS[0]][BLOCK] = b
    write_truth(tmp_path / "gt", truth)
    _, counters, metrics = rebuild_with(images, site, cache, tmp_path / "gt")
    assert counters == (0, 0, 0)
    n = truth[SLUGS[0]][BLOCK].size
    area_a, area_b = int((maps[SLUGS[0]] == a).sum()), int((maps[SLUGS[0]] == b).sum())
    # Class a: the block is predicted a but true b, so it leaves a's intersection, stays in its
    # union. Class b: the block joins b's ground truth and union, not its intersection.
    per_class = {c["index"]: c for c in metrics["per_image"][0]["final"]["classes"]}
    assert per_class[a]["IoU"] == round((area_a - n) / area_a, 6)
    assert per_class[b]["IoU"] == round(area_b / (area_b + n), 6)
    assert (per_class[a]["intersection"], per_class[a]["union"]) == (area_a - n, area_a)
    # Over the dataset, the other two images add their own pixels of a and b, all right.
    dataset = {c["index"]: c for c in metrics["dataset"]["final"]["classes"]}
    total_a = sum(int((m == a).sum()) for m in maps.values())
    total_b = sum(int((m == b).sum()) for m in maps.values())
    assert dataset[a]["IoU"] == round((total_a - n) / total_a, 6)
    assert dataset[b]["IoU"] == round(total_b / (total_b + n), 6)


def test_changing_the_ground_truth_reruns_metrics_and_pages_only(built, tmp_path):
    images, site, cache, maps = built
    write_truth(tmp_path / "gt", maps)
    rebuild_with(images, site, cache, tmp_path / "gt")
    index_before = (site / "index.html").read_bytes()
    changed = dict(maps)
    changed[SLUGS[1]] = np.zeros_like(maps[SLUGS[1]])
    write_truth(tmp_path / "gt", changed)
    report, counters, metrics = rebuild_with(images, site, cache, tmp_path / "gt")
    assert counters == (0, 0, 0) and report.built == 0
    assert metrics["per_image"][1]["final"]["mIoU"] < 1.0
    assert (site / "index.html").read_bytes() != index_before


def test_bad_ground_truth_is_left_out_with_one_line(built, tmp_path):
    images, site, cache, maps = built
    truth = tmp_path / "gt"
    write_truth(truth, {SLUGS[0]: maps[SLUGS[0]]})  # img1: missing
    Image.fromarray(np.zeros((5, 5), np.uint8)).save(truth / "img2.png")  # img2: another size
    report, _, metrics = rebuild_with(images, site, cache, truth)
    lines = [w for w in report.warnings if "ground truth" in w]
    assert len(lines) == 2 and all("\n" not in line for line in lines)
    assert any("img1.png: no ground truth for img1.png" in line for line in lines)
    assert any("img2.png: ground truth is 5x5 but image img2.png is" in line for line in lines)
    assert metrics["images"]["evaluated"] == 1
    assert [item["image"] for item in metrics["images"]["left_out"]] == ["img1.png", "img2.png"]
    index = (site / "index.html").read_text()
    assert "1 of 3 images evaluated against ground truth" in index
    assert 'id="evaluation-left-out"' in index
    page = (site / "images" / "img1-png.html").read_text()
    assert "This image was not evaluated" in page
    assert report.failed == []  # the images themselves are fine


def test_gt_labels_ignore_unmapped_indices(built, tmp_path):
    images, site, cache, maps = built
    shifted = {slug: (labels + 10).astype(np.uint8) for slug, labels in maps.items()}  # dataset indices 10..12
    write_truth(tmp_path / "gt", shifted)
    labels = tmp_path / "labels.txt"
    labels.write_text(f"10 {VOCABULARY.names[0]}\n11 {VOCABULARY.names[1]}\n")  # 12 left unmapped
    _, _, metrics = rebuild_with(images, site, cache, tmp_path / "gt", gt_labels=labels)
    unmapped = sum(int((m == 2).sum()) for m in maps.values())
    assert sum(u["pixels"] for row in metrics["per_image"] for u in row["unmapped"]) == unmapped
    assert metrics["dataset"]["final"]["evaluated_pixels"] == sum(m.size for m in maps.values()) - unmapped
    # class 2 is predicted only where the ground truth is unmapped, which counts nowhere
    assert [c["index"] for c in metrics["dataset"]["final"]["classes"]] == [0, 1]
    assert metrics["dataset"]["final"]["mIoU"] == 1.0
    assert metrics["ground_truth"]["mapping"] == {"10": 0, "11": 1}


def test_without_ground_truth_nothing_of_the_evaluation_appears(built):
    _, site, _, _ = built
    assert not (site / METRICS_FILE).exists()
    for page in [site / "index.html", site / "images" / f"{SLUGS[0]}.html", site / "classes" / "red.html"]:
        text = page.read_text()
        assert 'id="evaluation' not in text and "mIoU" not in text, page
    statistics = json.loads((site / "images" / SLUGS[0] / "data" / "statistics.json").read_text())
    assert "evaluation" not in statistics
    assert not (site / "images" / SLUGS[0] / "evaluation.jpg").exists()
