"""Kill a build partway (SIGKILL at several points, SIGINT, an outside kill), run it again, and
compare the site with an uninterrupted build byte for byte.

The interrupted builds run in a subprocess (``tests.site.fake_models.child_main``) with the fake
models; they die by their own hand at an exact point (as a file write begins, between a temporary
file and its rename, before the manifest), or by the test's hand while they work. After the kill,
every file in the folder is checked to be whole: its bytes are exactly the finished site's.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sitegen.site.build import BUILD_LOG
from sitegen.site.output import JOURNAL, LOCK, MANIFEST, TEMP_PREFIX
from tests.site.build_support import build, comparable, site_part, snapshot, write_good_images

REPO = Path(__file__).resolve().parents[2]
CHILD = "from tests.site.fake_models import child_main; child_main()"

pytestmark = pytest.mark.slow


def start_child(images: Path, out: Path, cache: Path, *args: str, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(images), str(out), str(cache), *args],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_child(images: Path, out: Path, cache: Path, *args: str, **env: str) -> int:
    child = start_child(images, out, cache, *args, **env)
    _, stderr = child.communicate(timeout=120)
    assert child.returncode != 0 or not args, stderr
    return child.returncode


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """Three images and the site an uninterrupted build makes of them (with its own cache)."""
    root = tmp_path_factory.mktemp("reference")
    images = root / "images"
    write_good_images(images, 3)
    build(images, root / "site", root / "cache")
    return images, snapshot(root / "site")


def assert_whole(out: Path, finished: dict[str, bytes]) -> None:
    """Every file a killed build left is a finished file, not half of one (temporary files aside)."""
    for relpath, data in snapshot(out).items():
        name = relpath.rsplit("/", 1)[-1]
        if name.startswith(TEMP_PREFIX) or relpath in (JOURNAL, LOCK, MANIFEST):
            continue
        if relpath == BUILD_LOG:
            assert site_part(data) == site_part(finished[BUILD_LOG])
        else:
            assert data == finished[relpath], relpath


def resume_and_compare(images: Path, out: Path, cache: Path, finished: dict[str, bytes]):
    """Run the build again (no --overwrite: it must know its own files) and compare the sites."""
    report, _ = build(images, out, cache)
    assert comparable(snapshot(out)) == comparable(finished)
    assert not [p for p in out.rglob(f"{TEMP_PREFIX}*")]
    return report


def kill_points(finished: dict[str, bytes]) -> list[str]:
    writes = len(json.loads(finished[MANIFEST])["files"])  # every site file is written once
    return ["1", str(writes // 3), str(2 * writes // 3), str(writes), "replace", "finish"]


@pytest.mark.parametrize("which", range(6), ids=["first-write", "third", "two-thirds", "build-log", "mid-rename", "before-manifest"])
def test_a_build_killed_at_any_point_is_finished_by_the_next_run(reference, tmp_path, which):
    images, finished = reference
    point = kill_points(finished)[which]
    out, cache = tmp_path / "site", tmp_path / "cache"
    assert run_child(images, out, cache, point) == -signal.SIGKILL
    assert_whole(out, finished)
    if point == "replace":
        assert list(out.glob(f"{TEMP_PREFIX}*")), "the kill came between a temporary file and its rename"
    report = resume_and_compare(images, out, cache, finished)
    assert report.built + report.cached == 3
    if point not in ("1", "replace"):
        assert report.cached >= 1  # images finished before the kill are not computed again


@pytest.mark.parametrize("point", ["third", "finish"])
def test_a_killed_rebuild_of_an_older_site_removes_its_stale_pages_on_resume(reference, tmp_path, point):
    images, finished = reference
    out, cache = tmp_path / "site", tmp_path / "cache"
    older = tmp_path / "older-images"
    write_good_images(older, 4)  # the same three images and one more, since deleted
    build(older, out, cache)
    assert "images/img3-png.html" in snapshot(out)
    kill = kill_points(finished)[1] if point == "third" else "finish"
    assert run_child(images, out, cache, kill) == -signal.SIGKILL
    report = resume_and_compare(images, out, cache, finished)
    assert not [path for path in snapshot(out) if path.startswith("images/img3-png")]
    assert (report.removed == []) == (point == "finish")  # finish had removed them before it died


def test_ctrl_c_releases_the_lock_and_the_next_run_finishes(reference, tmp_path):
    images, finished = reference
    out, cache = tmp_path / "site", tmp_path / "cache"
    middle = str(len(json.loads(finished[MANIFEST])["files"]) // 2)
    assert run_child(images, out, cache, middle, SITEGEN_FAKE_SIGNAL="INT") == -signal.SIGINT
    assert not (out / LOCK).exists()
    assert (out / JOURNAL).exists() and not (out / MANIFEST).exists()
    assert_whole(out, finished)
    resume_and_compare(images, out, cache, finished)


def test_a_build_killed_from_outside_while_it_works_is_finished_by_the_next_run(reference, tmp_path):
    images, finished = reference
    out, cache = tmp_path / "site", tmp_path / "cache"
    child = start_child(images, out, cache, SITEGEN_FAKE_CLIP_DELAY="1")
    try:
        deadline = time.monotonic() + 60
        while not (out / "images" / "img0-png.html").exists():  # the first image is published
            assert child.poll() is None and time.monotonic() < deadline, child.stderr.read()
            time.sleep(0.02)
    finally:
        child.send_signal(signal.SIGKILL)
        child.communicate()
    assert child.returncode == -signal.SIGKILL
    assert not (out / "index.html").exists()
    assert_whole(out, finished)
    report = resume_and_compare(images, out, cache, finished)
    assert report.cached >= 2  # img0 and img1 were computed before the kill
