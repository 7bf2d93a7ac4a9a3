"""A corpus of awkward and broken files, made here, built together with good images.

The good ones (every Pillow mode, EXIF rotation, tiny, too big, animated) get pages; the broken
ones are reported, one line each, naming the file and the reason, in the report, on the index
page and in the build log; nothing stops the build.
"""

import dataclasses
import io
import random

import numpy as np
import pytest
from markupsafe import escape
from PIL import Image
from rich.console import Console

from sitegen.site.build import BUILD_LOG, build_site
from sitegen.site.slugs import slugify
from tests.site.build_support import build, colour_blocks, snapshot, write_good_images
from tests.site.fake_models import MODELS, OPTIONS, VOCABULARY, FakeClip, FakeModels

MAX_PIXELS = 5000  # big.png (100 x 100) is downscaled, huge.png (400 x 400 > 4 x MAX_PIXELS) refused


def png_bytes(image: Image.Image, fmt: str = "PNG", **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def make_corpus(folder):
    """Write the corpus; returns (good names, {bad name: a phrase its reason must contain})."""
    write_good_images(folder, 2)
    rgb = Image.fromarray(colour_blocks(32, 40))
    rgba = np.dstack([colour_blocks(32, 40), np.full((32, 40), 128, np.uint8)])
    good = {
        "mode_1.png": rgb.convert("1"),
        "mode_L.png": rgb.convert("L"),
        "mode_LA.png": rgb.convert("LA"),
        "mode_P.png": rgb.convert("P"),
        "mode_RGBA.png": Image.fromarray(rgba),
        "mode_I16.png": Image.fromarray(np.asarray(rgb.convert("L")).astype(np.uint16) * 257),
        "tiny.png": Image.fromarray(colour_blocks(10, 20)),
        "big.png": Image.fromarray(colour_blocks(100, 100)),
    }
    for name, image in good.items():
        image.save(folder / name)
    assert Image.open(folder / "mode_I16.png").mode == "I;16"
    (folder / "mode_CMYK.jpg").write_bytes(png_bytes(rgb.convert("CMYK"), "JPEG", quality=95))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to display
    (folder / "rotated.jpg").write_bytes(png_bytes(Image.fromarray(colour_blocks(48, 64)), "JPEG", exif=exif))
    frames = [Image.fromarray(colour_blocks(32, 40)), Image.fromarray(colour_blocks(32, 40, ("blue", "green", "red")))]
    frames[0].save(folder / "animated.gif", save_all=True, append_images=frames[1:])
    Image.new("L", (400, 400)).save(folder / "huge.png")

    whole_png = png_bytes(rgb)
    whole_jpeg = png_bytes(rgb, "JPEG")
    (folder / "truncated.png").write_bytes(whole_png[: len(whole_png) // 2])
    (folder / "truncated.jpg").write_bytes(whole_jpeg[: len(whole_jpeg) // 2])
    (folder / "random.jpg").write_bytes(random.Random(0).randbytes(2000))
    (folder / "empty.png").write_bytes(b"")
    (folder / "text.png").write_text("this is not an image\n")
    (folder / "gone.png").symlink_to(folder / "deleted-long-ago.png")
    bad = {
        "empty.png": "empty (0 bytes)",
        "gone.png": "file not found",
        "huge.png": "400x400",
        "random.jpg": "not an image",
        "text.png": "not an image",
        "truncated.jpg": "cannot decode",
        "truncated.png": "cannot decode",
    }
    good_names = sorted([*good, "img0.png", "img1.png", "mode_CMYK.jpg", "rotated.jpg", "animated.gif"])
    return good_names, bad


OPTIONS_SMALL_LIMIT = dataclasses.replace(OPTIONS, max_pixels=MAX_PIXELS)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """The corpus and its first build: (images, good names, bad reasons, site, cache, report)."""
    root = tmp_path_factory.mktemp("corpus")
    folder = root / "images"
    folder.mkdir()
    good, bad = make_corpus(folder)
    report, _ = build(folder, root / "site", root / "cache", options=OPTIONS_SMALL_LIMIT)
    return folder, good, bad, root / "site", root / "cache", report


def test_good_files_get_pages_and_bad_ones_are_reported_one_line_each(corpus):
    folder, good, bad, out, _, report = corpus
    assert report.images == len(good) + len(bad)
    assert report.built == len(good)
    assert [f.name for f in report.failed] == sorted(bad)  # folder order
    index = (out / "index.html").read_text()
    log = (out / BUILD_LOG).read_text()
    for failure in report.failed:
        assert bad[failure.name] in failure.reason, failure
        assert "\n" not in failure.reason and str(folder) not in failure.reason
        assert str(escape(failure.name)) in index and str(escape(failure.reason)) in index
        assert f"  {failure.name}: {failure.reason}\n" in log
    files = snapshot(out)
    pages = {path for path in files if path.startswith("images/") and path.endswith(".html")}
    assert pages == {f"images/{slugify(name)}.html" for name in good}


def test_rotation_downscaling_and_frames_reach_the_site(corpus):
    _, _, _, out, _, report = corpus

    def final_shape(slug):
        with np.load(out / "images" / slug / "data" / "probabilities.npz") as data:
            return data["final"].shape

    assert final_shape("rotated-jpg") == (64, 48)  # stored 64 wide, EXIF says turn it upright
    assert final_shape("tiny-png") == (10, 20)
    height, width = final_shape("big-png")
    assert height * width <= MAX_PIXELS and height == width
    assert any(w.startswith("big.png: downscaled from 100x100") and "--max-pixels 5,000" in w for w in report.warnings)
    assert any(w.startswith("animated.gif: animated image with 2 frames") for w in report.warnings)
    assert "--max-pixels 5,000" in (out / BUILD_LOG).read_text()


def test_a_rebuild_reports_the_same_failures_without_running_a_model(corpus):
    folder, good, _, out, cache, first = corpus
    second, models = build(folder, out, cache, options=OPTIONS_SMALL_LIMIT)
    assert second.failed == first.failed
    assert (second.built, second.cached, models.loads) == (0, len(good), 0)


class ExplodingClip(FakeClip):
    """A CLIP stand-in that raises ``error`` on images 68 px wide (img1.png)."""

    error: Exception = ValueError("shapes do not broadcast")

    def compute_similarity(self, rgb, *args, **kwargs):
        if rgb.shape[1] == 68:
            raise self.error
        return super().compute_similarity(rgb, *args, **kwargs)


class ExplodingModels(FakeModels):
    clip_type = ExplodingClip


class StarvedClip(ExplodingClip):
    error = MemoryError()


class StarvedModels(FakeModels):
    clip_type = StarvedClip


def test_an_unexpected_error_in_one_image_is_a_failure_and_the_rest_is_built(tmp_path):
    folder = tmp_path / "images"
    write_good_images(folder, 3)
    report = build_site(
        folder, VOCABULARY, OPTIONS, MODELS, tmp_path / "site", cache_dir=tmp_path / "cache",
        quiet=True, lazy_models=ExplodingModels(MODELS),
    )
    assert [(f.name, f.reason) for f in report.failed] == [
        ("img1.png", "unexpected ValueError: shapes do not broadcast (a bug in sitegen; please report it)")
    ]
    assert report.built == 2
    page0 = (tmp_path / "site" / "images" / "img0-png.html").read_text()
    assert "img2-png.html" in page0 and "img1-png.html" not in page0  # no link to the failed image


def test_running_out_of_memory_on_one_image_names_the_options_that_reduce_it(tmp_path):
    folder = tmp_path / "images"
    write_good_images(folder, 3)
    stream = io.StringIO()
    report = build_site(
        folder, VOCABULARY, OPTIONS, MODELS, tmp_path / "site", cache_dir=tmp_path / "cache",
        console=Console(file=stream, width=200), lazy_models=StarvedModels(MODELS),
    )
    reason = "out of memory (MemoryError): lower --max-pixels, or use fewer SAM prompts (raise --min-confidence or --min-region-size)"
    assert [(f.name, f.reason) for f in report.failed] == [("img1.png", reason)]
    assert report.built == 2
    assert "Traceback" not in stream.getvalue()  # not a bug: no traceback on the console
    assert f"img1.png: {reason}" in (tmp_path / "site" / BUILD_LOG).read_text()


def test_running_out_of_memory_in_sitegen_run_is_one_line(tmp_path):
    from sitegen.errors import SitegenError
    from sitegen.site.single_run import write_single_run

    folder = tmp_path / "images"
    write_good_images(folder, 2)
    with pytest.raises(SitegenError, match=r"^img1\.png: out of memory \(MemoryError\): lower --max-pixels, or use fewer"):
        write_single_run(
            folder / "img1.png", VOCABULARY, OPTIONS, MODELS, tmp_path / "out", quiet=True,
            lazy_models=StarvedModels(MODELS),
        )
