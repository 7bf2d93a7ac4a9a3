"""Who computes the images of a build: this process (``local``) or a Ray cluster (``ray``).

A build's driver walks its images in order and, for each one the cache cannot answer, makes an
``ImageTask``. An executor computes those tasks with ``compute_image`` and hands the outcomes
back *in the order of the input*, so the driver writes the cache and the pages exactly as a
local build does, whatever ran where. Both executors offer:

* ``in_order(items, task_of, job, on_done)``: yields ``(item, outcome)`` for every item, in order.
  ``task_of(item)`` is the item's ``ImageTask`` or None (nothing to compute: the outcome is None).
  An outcome is a ``ComputedImage`` or the exception computing it raised (the driver decides
  whether that fails one image or stops the build). ``on_done(item, outcome)`` is called as
  each task finishes, wherever it ran, possibly before earlier items are yielded: the driver
  caches the outcome there (so Ctrl-C loses nothing that came back) and counts progress.
* ``encode_queries(queries, prompt_templates)``: (n, D) text embeddings, for the text cache.
* ``counters()``: model work so far (``LazyModels.counters``, summed over workers).
* use as a context manager: leaving it (also by Ctrl-C) stops whatever still runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

import numpy as np

from sitegen.errors import OptionsError
from sitegen.options import ModelOptions
from sitegen.pipeline.run import ComputedImage, ImageJob, ImageTask, LazyModels, compute_image

Item = TypeVar("Item")
Outcome = ComputedImage | Exception | None
EXECUTORS = ("local", "ray")


@dataclass(frozen=True)
class ExecutorSettings:
    """The ``--executor`` flags.

    Attributes
    ----------
    kind : {"local", "ray"}
        Where images are computed.
    ray_address : str or None
        A running cluster (``host:port``, ``ray://host:port`` or ``auto``); None starts a
        private local one (or joins the cluster named by ``$RAY_ADDRESS``).
    ray_workers : int or None
        Model-holding workers; None: one per GPU share with ``ray_gpus_per_worker``, else as
        many as the cluster has nodes' worth of CPUs for (see ``ray_executor.worker_shape``).
    ray_gpus_per_worker : float
        GPUs per worker (0: CPU workers).
    threads : int or None
        torch's intra-op threads in every process that runs the models: this one (local), each
        Ray worker, each shard. None: torch's default here (the cores), a worker's share of its
        node's CPUs on Ray. Float sums depend on the thread count (torch splits matrix products
        and elementwise kernels between threads differently), so builds are byte-identical only
        when their model runners use the same count: give the same ``--threads`` to each.
    """

    kind: Literal["local", "ray"] = "local"
    ray_address: str | None = None
    ray_workers: int | None = None
    ray_gpus_per_worker: float = 0.0
    threads: int | None = None

    def __post_init__(self):
        if self.kind not in EXECUTORS:
            raise OptionsError(f"--executor: must be one of {', '.join(EXECUTORS)}, got {self.kind!r}")
        ray_flags = self.ray_address is not None or self.ray_workers is not None or self.ray_gpus_per_worker
        if self.kind == "local" and ray_flags:
            raise OptionsError("--ray-address, --ray-workers and --ray-gpus-per-worker need --executor ray")
        if self.ray_workers is not None and self.ray_workers < 1:
            raise OptionsError(f"--ray-workers: must be at least 1, got {self.ray_workers}")
        if self.ray_gpus_per_worker < 0:
            raise OptionsError(f"--ray-gpus-per-worker: must be 0 or more, got {self.ray_gpus_per_worker}")
        if self.threads is not None and self.threads < 1:
            raise OptionsError(f"--threads: must be at least 1, got {self.threads}")


class LocalExecutor:
    """Every image in this process, one after the other, with one set of lazily loaded models."""

    def __init__(self, models: LazyModels):
        self.models = models

    def __enter__(self) -> LocalExecutor:
        return self

    def __exit__(self, *exc) -> None:
        self.models.release()  # undoes the gc.freeze of their loading (see LazyModels)

    def encode_queries(self, queries: Sequence[str], prompt_templates: Sequence[str]) -> np.ndarray:
        return self.models.clip.encode_queries(list(queries), tuple(prompt_templates))

    def in_order(
        self,
        items: Iterable[Item],
        task_of: Callable[[Item], ImageTask | None],
        job: ImageJob,
        on_done: Callable[[Item, Outcome], None] = lambda item, outcome: None,
    ) -> Iterator[tuple[Item, Outcome]]:
        for item in items:
            task = task_of(item)
            if task is None:
                yield item, None
                continue
            try:
                outcome: Outcome = compute_image(task, job, self.models)
            except Exception as error:  # noqa: BLE001 -- the driver decides (see the module docstring)
                outcome = error
            on_done(item, outcome)
            yield item, outcome

    def counters(self) -> dict[str, int]:
        return self.models.counters()


def open_executor(
    settings: ExecutorSettings,
    models: ModelOptions,
    make_models: Callable[[ModelOptions], LazyModels] | None = None,
):
    """The executor ``settings`` ask for, connected and ready (nothing is written yet).

    ``make_models`` builds a worker's models from ``models`` (``LazyModels`` unless given: tests
    pass stand-ins; for Ray it must be importable, or a ``functools.partial`` of something that is).

    Raises
    ------
    SitegenError
        For ``ray``: Ray is not installed, or the cluster at ``ray_address`` cannot be reached.
    """
    if make_models is None:
        from sitegen.pipeline import run

        make_models = run.LazyModels
    if settings.kind == "local":
        if settings.threads is not None:
            from sitegen.models.device import limit_cpu_threads

            limit_cpu_threads(settings.threads)
        return LocalExecutor(make_models(models))
    from sitegen.distributed.ray_executor import RayExecutor

    return RayExecutor(settings, models, make_models)
