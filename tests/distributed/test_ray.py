"""``--executor ray`` on a local Ray cluster of 2 CPUs, started once for the module.

The workers run the fake models (``tests.site.fake_models``; the workers import them from the
repository, which is their working directory), so a test takes seconds and the local and Ray
results can be compared byte for byte. ``DyingModels`` kills a worker's process in the middle
of a chosen image.
"""

from __future__ import annotations

import dataclasses
import functools
import sys

import pytest
import ray
import torch

import sitegen.site.output as output
from sitegen.distributed.executors import ExecutorSettings, LocalExecutor, open_executor
from sitegen.distributed.ray_executor import RayExecutor
from sitegen.models.prompt_templates import get_prompt_templates
from sitegen.pipeline.image import load_image
from sitegen.pipeline.run import ImageJob, ImageTask
from tests.distributed.dying_models import DyingModels, WaitingModels, deaths
from tests.site.build_support import build, comparable, snapshot, without_timings, write_good_images
from tests.site.fake_models import MODELS, OPTIONS, VOCABULARY, FakeModels

pytestmark = pytest.mark.slow

JOB = ImageJob(VOCABULARY, OPTIONS, tuple(get_prompt_templates(OPTIONS.prompt_templates)))


@pytest.fixture(scope="module")
def cluster():
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR")
    yield
    ray.shutdown()


@pytest.fixture
def images(tmp_path):
    """Two small images, 64 and 68 pixels wide (``DyingModels`` picks one by its width)."""
    return write_good_images(tmp_path / "images", 2)


@pytest.fixture
def folder(images):
    """The folder of the two images."""
    return images[0].parent


def compute_all(executor, paths, job=JOB) -> tuple[list, list]:
    """Every image through ``in_order``: the outcomes in input order, and the order they finished in."""
    text = executor.encode_queries(VOCABULARY.queries, job.prompt_templates)
    tasks = [ImageTask(i, load_image(path, OPTIONS.max_pixels), None, text) for i, path in enumerate(paths)]
    finished = []
    outcomes = list(executor.in_order(tasks, lambda task: task, job, lambda task, outcome: finished.append(task.index)))
    assert [task.index for task, _ in outcomes] == list(range(len(paths)))
    return [outcome for _, outcome in outcomes], finished


def test_ray_workers_compute_the_same_bytes_as_this_process(cluster, images):
    with LocalExecutor(FakeModels(MODELS)) as local:
        expected, _ = compute_all(local, images)
    with RayExecutor(ExecutorSettings("ray", ray_workers=2), MODELS, FakeModels) as executor:
        assert executor.shape.workers == 2 and executor.shape.cpus == 0.9
        outcomes, finished = compute_all(executor, images)
        counters = executor.counters()
    assert [without_timings(o) for o in outcomes] == [without_timings(e) for e in expected]
    assert sorted(finished) == [0, 1]
    # Each image ran CLIP once and SAM once, wherever it ran; the text went through one worker.
    assert counters["clip_forwards"] == 2 and counters["sam_embeds"] == 2 and counters["text_encodings"] == 4


def test_with_the_same_threads_real_models_on_two_workers_compute_the_bytes_of_a_local_build(cluster, images):
    """The random-weight CLIP and SAM 2, not doubles: two workers of 1 thread against this
    process at 1 thread (``--threads 1`` for both), on the two tiny images."""
    job = dataclasses.replace(JOB, options=dataclasses.replace(OPTIONS, min_confidence=0.0, min_region_size=10))
    before = torch.get_num_threads()
    try:
        with open_executor(ExecutorSettings("local", threads=1), MODELS) as local:
            assert torch.get_num_threads() == 1
            expected, _ = compute_all(local, images, job)
    finally:
        torch.set_num_threads(before)
    with open_executor(ExecutorSettings("ray", ray_workers=2, threads=1), MODELS) as executor:
        assert (executor.shape.workers, executor.shape.threads) == (2, 1)
        outcomes, _ = compute_all(executor, images, job)
        counters = executor.counters()
    assert counters["sam_embeds"] == 2 and all(len(o.result.candidates.prompts) > 0 for o in outcomes)  # SAM ran
    assert [without_timings(o) for o in outcomes] == [without_timings(e) for e in expected]


def test_progress_counts_an_image_when_any_worker_finishes_it_and_results_still_come_in_order(cluster, images, tmp_path):
    # img0 (64 px wide) is held on its worker until the driver has counted img1 as finished.
    signal_file = tmp_path / "img1-finished"
    held = functools.partial(WaitingModels, width=64, signal_file=signal_file)
    finished = []

    def on_done(task, outcome):
        finished.append(task.index)
        if task.index == 1:
            signal_file.touch()

    with RayExecutor(ExecutorSettings("ray", ray_workers=2), MODELS, held) as executor:
        text = executor.encode_queries(VOCABULARY.queries, JOB.prompt_templates)
        tasks = [ImageTask(i, load_image(path, OPTIONS.max_pixels), None, text) for i, path in enumerate(images)]
        outcomes = list(executor.in_order(tasks, lambda task: task, JOB, on_done))
    assert finished == [1, 0]  # img1 was counted first, on the other worker ...
    assert [task.index for task, _ in outcomes] == [0, 1]  # ... and still came back second
    assert [outcome.index for _, outcome in outcomes] == [0, 1]


def test_an_error_inside_a_worker_comes_back_as_the_original_exception(cluster, images):
    with RayExecutor(ExecutorSettings("ray", ray_workers=1), MODELS, FakeModels) as executor:
        image = load_image(images[0], OPTIONS.max_pixels)
        # No CLIP output and no text embeddings: compute_image refuses, in the worker.
        ((_, outcome),) = executor.in_order([ImageTask(0, image, None, None)], lambda task: task, JOB)
    assert type(outcome) is ValueError
    assert str(outcome) == "img0.png: no CLIP output and no text embeddings to compute it with"


# --- Whole builds ---------------------------------------------------------------------------------


def ray_build(folder, out, cache, make_models=FakeModels, workers=2):
    with RayExecutor(ExecutorSettings("ray", ray_workers=workers), MODELS, make_models) as executor:
        return build(folder, out, cache, executor=executor)[0]


def test_a_ray_build_equals_a_local_build(cluster, folder, tmp_path):
    build(folder, tmp_path / "local", tmp_path / "local-cache")
    report = ray_build(folder, tmp_path / "ray", tmp_path / "ray-cache")
    assert (report.built, report.cached, report.failed) == (2, 0, [])
    assert (report.clip_forwards, report.sam_embeds) == (2, 2)
    assert comparable(snapshot(tmp_path / "ray")) == comparable(snapshot(tmp_path / "local"))


def test_a_worker_killed_during_a_build_still_gives_the_complete_equal_site(cluster, folder, tmp_path):
    markers = tmp_path / "markers"
    markers.mkdir()
    build(folder, tmp_path / "local", tmp_path / "local-cache")
    dying = functools.partial(DyingModels, marker_dir=markers, width=68, deaths=1)
    report = ray_build(folder, tmp_path / "ray", tmp_path / "ray-cache", dying)
    assert deaths(markers) == 1
    assert (report.built, report.failed) == (2, [])
    assert comparable(snapshot(tmp_path / "ray")) == comparable(snapshot(tmp_path / "local"))


def test_an_image_that_kills_two_workers_fails_alone_and_the_next_build_finishes(cluster, folder, tmp_path):
    markers = tmp_path / "markers"
    markers.mkdir()
    dying = functools.partial(DyingModels, marker_dir=markers, width=68, deaths=5)
    report = ray_build(folder, tmp_path / "ray", tmp_path / "cache", dying)
    assert deaths(markers) == 2  # the first try and one retry on another worker, then no more
    assert report.built == 1
    assert [(f.name, f.reason) for f in report.failed] == [
        ("img1.png", "the worker computing this image died, and so did the one that tried it again "
         "(killed, or out of memory?); the next build tries it again")
    ]
    assert b"img1.png" in (tmp_path / "ray" / "index.html").read_bytes()
    # The cause goes away (here: no more deaths): the next build computes only that image.
    again, _ = build(folder, tmp_path / "ray", tmp_path / "cache")
    assert (again.built, again.cached, again.failed) == (1, 1, [])
    build(folder, tmp_path / "local", tmp_path / "local-cache")
    assert comparable(snapshot(tmp_path / "ray")) == comparable(snapshot(tmp_path / "local"))


def test_ctrl_c_stops_the_workers_keeps_what_came_back_and_the_next_build_resumes(cluster, folder, tmp_path, monkeypatch):
    def interrupted(self, relpath, data):
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(output.OutputFolder, "write", interrupted)
        executor = RayExecutor(ExecutorSettings("ray", ray_workers=2), MODELS, FakeModels)
        with pytest.raises(KeyboardInterrupt), executor:
            build(folder, tmp_path / "ray", tmp_path / "cache", executor=executor)
    assert executor._actors == [] and ray.is_initialized()  # workers killed; the test's cluster stays
    # The first page write came after image 0's result at least: it is in the cache.
    report, models = build(folder, tmp_path / "ray", tmp_path / "cache")
    assert report.cached >= 1 and report.built == 2 - report.cached
    build(folder, tmp_path / "local", tmp_path / "local-cache")
    assert comparable(snapshot(tmp_path / "ray")) == comparable(snapshot(tmp_path / "local"))


# --- The command line -------------------------------------------------------------------------------


def test_an_unreachable_ray_address_is_one_line_and_writes_nothing(cli, tmp_path):
    result = cli("--cache-dir", str(tmp_path / "cache"), "--executor", "ray", "--ray-address", "127.0.0.1:1")
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "error: --ray-address 127.0.0.1:1: no Ray cluster answers there (Connection refused); "
        "start one with `ray start --head` or fix the address"
    ]
    assert not (tmp_path / "site").exists() and not (tmp_path / "cache").exists()


def test_without_ray_installed_the_ray_executor_says_how_to_install_it(cli, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    result = cli("--cache-dir", str(tmp_path / "cache"), "--executor", "ray")
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == ["error: --executor ray needs Ray, which is not installed: pip install 'sitegen[ray]'"]
    assert not (tmp_path / "site").exists() and not (tmp_path / "cache").exists()


def test_the_command_line_builds_with_ray_workers_on_the_running_cluster(cli, cluster, tmp_path):
    result = cli("--cache-dir", str(tmp_path / "cache"), "--executor", "ray", "--ray-workers", "1")
    assert result.exit_code == 0, result.output
    assert ray.is_initialized(), "a cluster the build did not start is left running"
    local = cli("--cache-dir", str(tmp_path / "local-cache"), "--out", str(tmp_path / "local"))
    assert local.exit_code == 0, local.output
    assert comparable(snapshot(tmp_path / "site")) == comparable(snapshot(tmp_path / "local"))
