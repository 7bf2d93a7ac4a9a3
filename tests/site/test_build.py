"""build_site with stand-in models: what reruns when something changes, foreign files, refusals."""

import dataclasses
import io
import json
import os

import pytest
from rich.console import Console

from sitegen.errors import OutputError, SitegenError
from sitegen.figures import STEPS
from sitegen.models.windows import resized_size, sliding_windows
from sitegen.options import ModelOptions
from sitegen.records import ClassSpec, Vocabulary
from sitegen.site.build import BUILD_LOG, build_site, find_images
from sitegen.site.build_report import summary_table
from sitegen.site.output import MANIFEST, OutputFolder
from tests.site.build_support import build, comparable, snapshot, write_good_images
from tests.site.fake_models import MODELS, OPTIONS, VOCABULARY, FakeModels

PAGES = ["images/img0-png.html", "images/img1-png.html", "images/img2-png.html"]


@pytest.fixture
def images(tmp_path):
    folder = tmp_path / "images"
    write_good_images(folder, 3)
    return folder


def test_a_first_build_runs_each_model_once_and_writes_every_page(images, tmp_path):
    out = tmp_path / "site"
    report, models = build(images, out, tmp_path / "cache")
    assert (report.images, report.built, report.cached, report.failed, report.removed) == (3, 3, 0, [], [])
    assert models.counters() == {"model_loads": 2, "clip_forwards": 3, "text_encodings": 4, "sam_embeds": 3}
    assert (report.model_loads, report.clip_forwards, report.sam_embeds) == (2, 3, 3)
    files = snapshot(out)
    for page in PAGES:
        assert page in files
    index = files["index.html"].decode()
    for name in ("img0.png", "img1.png", "img2.png"):
        assert name in index
    manifest = json.loads(files[MANIFEST])["files"]
    assert sorted(manifest) == sorted(set(files) - {MANIFEST})
    assert report.written == len(manifest)
    # Neighbour links go both ways between consecutive pages.
    middle = files["images/img1-png.html"].decode()
    assert 'href="img0-png.html"' in middle and 'href="img2-png.html"' in middle


def test_a_second_build_with_nothing_changed_runs_no_model_and_rewrites_nothing(images, tmp_path):
    out, cache = tmp_path / "site", tmp_path / "cache"
    build(images, out, cache)
    before = snapshot(out)
    for path in out.rglob("*"):
        os.utime(path, (1_000_000, 1_000_000))
    report, models = build(images, out, cache)
    assert (report.built, report.cached) == (0, 3)
    assert models.counters() == {"model_loads": 0, "clip_forwards": 0, "text_encodings": 0, "sam_embeds": 0}
    assert report.written in (0, 1)  # at most the build log, whose start time and run section may change
    after = snapshot(out)
    assert comparable(after) == comparable(before)
    unchanged = [p for p in out.rglob("*") if p.is_file() and p.name not in (BUILD_LOG, MANIFEST)]
    assert unchanged and all(p.stat().st_mtime == 1_000_000 for p in unchanged)


def test_a_threshold_change_reruns_only_the_stages_after_clip(images, tmp_path):
    out, cache = tmp_path / "site", tmp_path / "cache"
    build(images, out, cache)
    report, models = build(images, out, cache, options=dataclasses.replace(OPTIONS, iou_threshold=0.5))
    assert (report.built, report.cached) == (3, 0)
    assert models.counters() == {"model_loads": 1, "clip_forwards": 0, "text_encodings": 0, "sam_embeds": 3}
    assert "--iou-threshold" in snapshot(out)["images/img0-png.html"].decode()


def test_a_presentation_change_rebuilds_pages_without_any_model(images, tmp_path):
    out, cache = tmp_path / "site", tmp_path / "cache"
    build(images, out, cache)
    plain = snapshot(out)
    report, models = build(images, out, cache, per_class_details=True, paper_figures=True)
    assert models.counters()["model_loads"] == 0 and report.cached == 3
    detailed = snapshot(out)
    added = sorted(set(detailed) - set(plain))
    # --paper-figures adds the 18 step PNGs and the per-class PNGs of each image, nothing else.
    assert added == sorted(
        [f"images/img{i}-png/steps/{step.slug}.png" for i in range(3) for step in STEPS]
        + [p for p in detailed if "/per_class/" in p]
    )
    assert [p for p in added if "/per_class/" in p]
    assert detailed["images/img0-png.html"] != plain["images/img0-png.html"]  # the details section
    report, models = build(images, out, cache)
    assert models.counters()["model_loads"] == 0
    assert sorted(report.removed) == added
    assert comparable(snapshot(out)) == comparable(plain)


def test_force_reruns_every_model_and_gives_the_same_site(images, tmp_path):
    out, cache = tmp_path / "site", tmp_path / "cache"
    build(images, out, cache)
    before = snapshot(out)
    report, models = build(images, out, cache, force=True)
    assert (report.built, report.cached) == (3, 0)
    assert models.counters() == {"model_loads": 2, "clip_forwards": 3, "text_encodings": 4, "sam_embeds": 3}
    assert comparable(snapshot(out)) == comparable(before)


def test_a_new_class_encodes_only_its_own_query(images, tmp_path):
    out, cache = tmp_path / "site", tmp_path / "cache"
    build(images, out, cache)
    grown = Vocabulary(VOCABULARY.classes + (ClassSpec(3, "white", ("white",)),))
    report, models = build(images, out, cache, vocabulary=grown)
    assert models.clip.encoded == ["white"]
    assert models.counters()["clip_forwards"] == 3
    assert "classes/white.html" in snapshot(out)


def test_foreign_files_survive_every_kind_of_build(images, tmp_path):
    out, cache = tmp_path / "site", tmp_path / "cache"
    build(images, out, cache)
    (out / "notes.txt").write_text("my notes")
    (out / "images" / "mine.html").write_text("<p>my page</p>")
    mine = {"notes.txt": b"my notes", "images/mine.html": b"<p>my page</p>"}

    def foreign_intact():
        files = snapshot(out)
        return all(files.get(path) == data for path, data in mine.items())

    before = snapshot(out)
    with pytest.raises(OutputError, match=r"images/mine.html, notes.txt\); .*--overwrite"):
        build(images, out, cache)
    assert snapshot(out) == before
    build(images, out, cache, overwrite=True)
    assert foreign_intact()
    build(images, out, cache, overwrite=True, force=True)
    assert foreign_intact()
    build(images, out, cache, overwrite=True, per_class_details=True)
    assert foreign_intact()
    (images / "img1.png").unlink()
    report, _ = build(images, out, cache, overwrite=True)
    assert foreign_intact()
    assert "images/img1-png.html" in report.removed
    assert not any(path.startswith("images/img1-png") for path in snapshot(out))
    assert report.images == 2


def test_a_foreign_file_where_a_page_goes_is_kept_aside_with_overwrite(images, tmp_path):
    out = tmp_path / "site"
    out.mkdir()
    (out / "index.html").write_text("my homepage")
    report, _ = build(images, out, tmp_path / "cache", overwrite=True)
    assert (out / "index.html.orig").read_text() == "my homepage"
    assert "index.html was not written by sitegen: kept as index.html.orig" in report.warnings
    assert "<html" in (out / "index.html").read_text()


@pytest.mark.parametrize("inside", [".", "site"])
def test_an_output_folder_in_the_input_folder_is_refused_before_any_work(images, tmp_path, inside):
    models = FakeModels(MODELS)
    before = sorted(images.iterdir())
    with pytest.raises(OutputError, match="inside the input folder"):
        build_site(images, VOCABULARY, OPTIONS, MODELS, images / inside, cache_dir=tmp_path / "c", quiet=True, lazy_models=models)
    assert sorted(images.iterdir()) == before
    assert models.loads == 0


def test_a_cache_folder_inside_the_site_is_refused(images, tmp_path):
    with pytest.raises(SitegenError, match="cache folder .* is inside the output folder"):
        build(images, tmp_path / "site", tmp_path / "site" / ".cache")
    assert not (tmp_path / "site").exists()


def test_a_second_build_on_a_folder_being_written_stops_at_once(images, tmp_path):
    out = tmp_path / "site"
    models = FakeModels(MODELS)
    with OutputFolder(out):
        with pytest.raises(OutputError, match=r"another sitegen build is writing to .*site \(pid "):
            build_site(images, VOCABULARY, OPTIONS, MODELS, out, cache_dir=tmp_path / "c", quiet=True, lazy_models=models)
    assert models.loads == 0
    assert not (tmp_path / "site" / "index.html").exists()


def test_a_folder_without_images_is_an_error(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("no images here")
    with pytest.raises(SitegenError, match=r"no images in .*empty \(looked for .*\.png"):
        build(tmp_path / "empty", tmp_path / "site", tmp_path / "cache")


def test_find_images_lists_image_files_by_name_only_at_the_top(tmp_path):
    for name in ["b.PNG", "a.jpeg", "c.txt", ".hidden.png", "d.TIFF", "e.gif", "f.webp", "g.bmp", "h.jpg", "i.tif"]:
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "sub.png").mkdir()
    (tmp_path / "sub.png" / "inner.png").write_bytes(b"x")
    (tmp_path / "broken.png").symlink_to(tmp_path / "missing.png")
    assert [p.name for p in find_images(tmp_path)] == [
        "a.jpeg", "b.PNG", "broken.png", "d.TIFF", "e.gif", "f.webp", "g.bmp", "h.jpg", "i.tif"
    ]


def test_progress_goes_to_the_console_unless_quiet_and_the_summary_table_has_the_counts(images, tmp_path):
    def run(quiet):
        stream = io.StringIO()
        console = Console(file=stream, force_terminal=True, width=120)
        report = build_site(
            images, VOCABULARY, OPTIONS, MODELS, tmp_path / f"site-{quiet}", cache_dir=tmp_path / "cache",
            quiet=quiet, console=console, lazy_models=FakeModels(MODELS),
        )
        return report, stream.getvalue()

    report, shown = run(quiet=False)
    assert "Building" in shown and "3/3" in shown
    _, hidden = run(quiet=True)
    assert hidden == ""
    stream = io.StringIO()
    Console(file=stream, width=80).print(summary_table(report))
    table = stream.getvalue()
    for label, value in [("images found", 3), ("built", 3), ("from the cache", 0), ("failed", 0), ("models loaded", 2),
                         ("CLIP window forwards", 3), ("SAM image embeddings", 3)]:
        assert any(label in line and line.split()[-2] == str(value) for line in table.splitlines()), label


def test_the_build_log_names_what_was_built_and_cached(images, tmp_path):
    out, cache = tmp_path / "site", tmp_path / "cache"
    build(images, out, cache)
    write_good_images(images, 4)  # adds img3.png
    build(images, out, cache)
    log = (out / BUILD_LOG).read_text()
    assert "  img3.png -> images/img3-png.html" in log
    assert "built 1, from the cache 3, failed 0" in log
    assert "  img0.png: from the cache" in log and "  img3.png: built in " in log


@pytest.mark.slow
def test_the_real_models_with_random_weights_build_a_site_and_a_rebuild_loads_none(tmp_path):
    images = tmp_path / "images"
    write_good_images(images, 2)
    models = ModelOptions(random_weights=True, device="cpu")
    # Resized to a short side of 112, both images are smaller than one 224 px window. Every pixel
    # passes min_confidence 0, so every image has regions and SAM runs too.
    options = dataclasses.replace(OPTIONS, short_side=112, window=224, stride=112, min_confidence=0.0)
    windows = sum(len(sliding_windows(*resized_size(width, 48, 112), 224, 112)) for width in (64, 68))
    assert windows == 2
    out, cache = tmp_path / "site", tmp_path / "cache"
    first = build_site(images, VOCABULARY, options, models, out, cache_dir=cache, quiet=True)
    assert (first.built, first.failed, first.model_loads) == (2, [], 2)
    assert (first.clip_forwards, first.sam_embeds) == (windows, 2)
    second = build_site(images, VOCABULARY, options, models, out, cache_dir=cache, quiet=True)
    assert (second.built, second.cached, second.model_loads, second.clip_forwards, second.sam_embeds) == (0, 2, 0, 0, 0)
    assert "Random weights" in (out / "images" / "img0-png.html").read_text()
