"""``--shard K/N`` builds: shards in separate processes over one cache, then the assembling build.

The shards run as subprocesses at the same time (``tests.distributed.shard_child``, fake models);
the assembly runs here, and must equal a local build of the same images byte for byte (apart
from the run section of ``build-log.txt``) while running no model at all.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.distributed.conftest import SCHEDULER_VARIABLES
from tests.site.build_support import build, comparable, snapshot, write_good_images

REPO = Path(__file__).resolve().parents[2]
CHILD = "from tests.distributed.shard_child import main; main()"

pytestmark = pytest.mark.slow


def start_shard(images: Path, out: Path, cache: Path, shard: str) -> subprocess.Popen:
    env = {key: value for key, value in os.environ.items() if key not in SCHEDULER_VARIABLES}
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(images), str(out), str(cache), shard],
        cwd=REPO,
        env={**env, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def result_entries(cache: Path) -> list[str]:
    return sorted(p.name for p in (cache / "results").rglob("*.pkl.gz")) if (cache / "results").exists() else []


def test_two_shards_in_two_processes_then_the_assembly_equals_a_local_build_and_runs_no_model(tmp_path):
    images = tmp_path / "images"
    write_good_images(images, 3)
    local_report, _ = build(images, tmp_path / "local", tmp_path / "local-cache")

    cache = tmp_path / "shared-cache"
    shards = [start_shard(images, tmp_path / "site", cache, f"{k}/2") for k in (0, 1)]
    reports = []
    for process in shards:
        stdout, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stderr
        reports.append(json.loads(stdout))
    # Image i goes to shard i mod 2: images 0 and 2, then image 1; each computed once, nowhere else.
    assert [(r["images"], r["built"], r["clip_forwards"]) for r in reports] == [(2, 2, 2), (1, 1, 1)]
    assert not (tmp_path / "site").exists(), "a shard writes no pages"
    assert len(result_entries(cache)) == 3

    report, models = build(images, tmp_path / "site", cache)
    assert (report.built, report.cached, report.failed) == (0, 3, [])
    assert models.counters() == {"model_loads": 0, "clip_forwards": 0, "text_encodings": 0, "sam_embeds": 0}
    assert (report.model_loads, report.clip_forwards, report.sam_embeds) == (0, 0, 0)
    assert comparable(snapshot(tmp_path / "site")) == comparable(snapshot(tmp_path / "local"))
    assert local_report.built == 3


def entry_inodes(cache: Path) -> dict[str, int]:
    """Every cache entry (relative path) and its inode: an atomic rewrite gives a new inode."""
    return {p.relative_to(cache).as_posix(): p.stat().st_ino for p in cache.rglob("*.pkl.gz")}


def test_shards_never_write_the_same_cache_entry(tmp_path):
    images = tmp_path / "images"
    paths = write_good_images(images, 3)
    (images / "img3.png").write_bytes(paths[0].read_bytes())  # shard 1's by position, img0's bytes
    cache = tmp_path / "cache"
    first = start_shard(images, tmp_path / "site", cache, "1/2")
    assert json.loads(first.communicate(timeout=300)[0])["images"] == 1  # img1; img3 is img0's
    after_shard1 = entry_inodes(cache)
    second = start_shard(images, tmp_path / "site", cache, "0/2")
    assert json.loads(second.communicate(timeout=300)[0])["images"] == 2  # img0 and img2
    after_both = entry_inodes(cache)
    assert {path: after_both[path] for path in after_shard1} == after_shard1, "shard 0 rewrote an entry of shard 1"
    kinds = sorted(path.split("/")[0] for path in after_shard1)
    assert kinds == ["figures", "results", "similarity"], "only shard 0 stores the text embeddings"
    assert sorted(path.split("/")[0] for path in set(after_both) - set(after_shard1)) == [
        "figures", "figures", "results", "results", "similarity", "similarity", "text", "text", "text", "text"
    ]
    # The assembly runs no model: img3's result is img0's; only its figures (which name it) are drawn here.
    report, models = build(images, tmp_path / "site", cache)
    assert (report.built, report.cached, models.counters()["model_loads"]) == (0, 4, 0)


def test_the_assembly_computes_only_what_no_shard_finished(tmp_path):
    images = tmp_path / "images"
    write_good_images(images, 3)
    cache = tmp_path / "cache"
    shard = start_shard(images, tmp_path / "site", cache, "1/2")  # shard 0 never ran
    _, stderr = shard.communicate(timeout=300)
    assert shard.returncode == 0, stderr
    report, models = build(images, tmp_path / "site", cache)
    assert (report.built, report.cached) == (2, 1)
    assert models.counters()["clip_forwards"] == 2
    build(images, tmp_path / "local", tmp_path / "local-cache")
    assert comparable(snapshot(tmp_path / "site")) == comparable(snapshot(tmp_path / "local"))


# --- The command line: scheduler variables and errors ------------------------------------------


def test_slurm_array_variables_pick_the_shard(cli, tmp_path):
    cache = tmp_path / "cache"
    result = cli("--cache-dir", str(cache), env={"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "2"})
    assert result.exit_code == 0, result.output
    assert len(result_entries(cache)) == 1  # shard 1 of 3 images: image 1 only
    assert not (tmp_path / "site").exists()
    result = cli("--cache-dir", str(cache), env={"SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_COUNT": "2", "SLURM_ARRAY_TASK_MIN": "5"})
    assert result.exit_code == 0, result.output
    assert len(result_entries(cache)) == 3  # shard 0 (task 5 of an array from 5) added images 0 and 2


def test_a_kubernetes_completion_index_with_shard_count_picks_the_shard(cli, tmp_path):
    cache = tmp_path / "cache"
    result = cli("--cache-dir", str(cache), "--shard-count", "3", env={"JOB_COMPLETION_INDEX": "2"})
    assert result.exit_code == 0, result.output
    assert len(result_entries(cache)) == 1
    assert not (tmp_path / "site").exists()
    # Then the assembly, with no variable: the two missing images are computed, the site written.
    result = cli("--cache-dir", str(cache))
    assert result.exit_code == 0, result.output
    assert len(result_entries(cache)) == 3
    assert (tmp_path / "site" / "index.html").is_file()


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--shard", "3/2"], {}, "error: --shard 3/2: K must be between 0 and N-1 = 1 (shards are numbered from 0)"),
        (
            ["--shard", "0/2", "--executor", "ray"],
            {},
            "error: --shard 0/2 computes one part of the images in this process; it cannot be combined with "
            "--executor ray, which spreads the whole build by itself",
        ),
        (
            ["--executor", "ray"],
            {"SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_COUNT": "2"},
            "error: --shard 0/2 computes one part of the images in this process; it cannot be combined with "
            "--executor ray, which spreads the whole build by itself",
        ),
        (["--shard-count", "2"], {}, "error: --shard-count needs $JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) "
         "to say which shard this is; elsewhere pass --shard K/N"),
        (["--ray-workers", "2"], {}, "error: --ray-address, --ray-workers and --ray-gpus-per-worker need --executor ray"),
    ],
)
def test_shard_and_executor_errors_are_one_line_and_write_nothing(cli, tmp_path, args, env, message):
    cache = tmp_path / "cache"
    result = cli("--cache-dir", str(cache), *args, env=env)
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [message]
    assert not (tmp_path / "site").exists() and not cache.exists()


def test_a_shard_without_a_shared_cache_folder_is_refused(cli, tmp_path):
    result = cli("--shard", "0/2")
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "error: --shard 0/2: give the cache folder that every shard and the final build share, "
        "with --cache-dir (or $SITEGEN_CACHE_DIR)"
    ]
    assert not (tmp_path / "site").exists()
