"""``--executor ray``: images computed by Ray actors that each hold one set of models.

The driver (the ``sitegen build`` process) keeps everything that touches files: it decodes the
images, looks the caches up, sends each ``ImageTask`` that needs model work to an idle
``ImageWorker`` actor, takes the ``ComputedImage`` back, stores it in the cache and writes the
pages. Workers load their models once, on their first task, and call the same
``compute_image`` as a local build, so the site is the same bytes (only the timings in
``build-log.txt`` differ). Workers need sitegen installed (the same version) on every node,
but no shared folder.

Sizing (``worker_shape``): with ``--ray-gpus-per-worker G`` one worker per G GPUs, each with one
CPU; otherwise CPU workers that split each node's CPUs between them, asking Ray for 90 % of
their share (Ray's own tasks need some room: actors that reserve every CPU can starve them)
and setting torch's threads to the share, so workers on a node never run more threads than it
has cores. With ``--threads N`` every worker runs N threads (what the local build it must equal
runs) and each node holds as many N-thread workers as it has N cores for.

Faults: a worker that dies while it holds an image (killed, out of memory, lost node) is
replaced by a new one and the image is tried once more, on another worker; a second death
makes the image fail like a bad image (one line, listed on the index page), and the build goes
on. Leaving the executor (the end of the build, an error, Ctrl-C) kills the workers; results
already back are in the cache, so the next build resumes from there.
"""

from __future__ import annotations

import dataclasses
import math
import os
import socket
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sitegen.distributed.executors import ExecutorSettings, Item, Outcome
from sitegen.errors import OptionsError, SitegenError
from sitegen.options import ModelOptions
from sitegen.pipeline.run import ImageJob, ImageTask, LazyModels, compute_image

INSTALL_HINT = "--executor ray needs Ray, which is not installed: pip install 'sitegen[ray]'"
#: The share of a worker's CPUs it asks Ray for, leaving room for Ray's own tasks.
CPU_RESERVE = 0.9
#: Tries of one image: the first and one retry on another worker.
ATTEMPTS = 2
#: Tasks in flight or waiting for their turn, per worker: enough to keep every worker busy while
#: the driver writes pages, few enough that results waiting for an earlier image stay few.
WINDOW_PER_WORKER = 4


class WorkerDied(SitegenError):
    """A worker died twice while computing the same image."""


def import_ray():
    """The ``ray`` module, or a one-line ``SitegenError`` saying how to install it."""
    try:
        import ray
    except ImportError:
        raise SitegenError(INSTALL_HINT) from None
    return ray


def check_reachable(address: str | None, timeout: float = 5.0) -> None:
    """Fail fast, in one line, when nothing listens at ``--ray-address``.

    ``ray.init`` would otherwise retry for a minute or more. ``None``, ``auto`` and ``local``
    are left to Ray. ``host:port`` is the cluster's GCS (``ray start --head`` prints it);
    ``ray://host:port`` is a Ray Client server (port 10001 when left out).

    >>> check_reachable("127.0.0.1:1")
    Traceback (most recent call last):
    ...
    sitegen.errors.SitegenError: --ray-address 127.0.0.1:1: no Ray cluster answers there (Connection refused); start one with `ray start --head` or fix the address
    """
    if address is None or address in ("auto", "local"):
        return
    rest = address.removeprefix("ray://")
    host, _, port = rest.rpartition(":")
    if not host:
        host, port = rest, "10001" if address.startswith("ray://") else "6379"
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            return
    except (OSError, ValueError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error) or type(error).__name__
    raise SitegenError(
        f"--ray-address {address}: no Ray cluster answers there ({reason}); "
        "start one with `ray start --head` or fix the address"
    )


@dataclass(frozen=True)
class WorkerShape:
    """How many workers, and what each asks Ray for."""

    workers: int
    cpus: float
    gpus: float
    threads: int


def worker_shape(node_resources: Sequence[dict], settings: ExecutorSettings) -> WorkerShape:
    """The workers for a cluster whose live nodes have ``node_resources`` (``{"CPU": 8, "GPU": 1}``).

    >>> worker_shape([{"CPU": 2.0}], ExecutorSettings("ray", ray_workers=2))
    WorkerShape(workers=2, cpus=0.9, gpus=0.0, threads=1)
    >>> worker_shape([{"CPU": 16.0}, {"CPU": 16.0}], ExecutorSettings("ray"))
    WorkerShape(workers=2, cpus=14.4, gpus=0.0, threads=16)
    >>> worker_shape([{"CPU": 16.0, "GPU": 4.0}], ExecutorSettings("ray", ray_gpus_per_worker=1))
    WorkerShape(workers=4, cpus=1.0, gpus=1.0, threads=4)

    With ``--threads N`` each CPU worker runs N threads, and a node holds as many as fit:

    >>> worker_shape([{"CPU": 16.0}, {"CPU": 8.0}], ExecutorSettings("ray", threads=4))
    WorkerShape(workers=6, cpus=3.6, gpus=0.0, threads=4)
    >>> worker_shape([{"CPU": 2.0}], ExecutorSettings("ray", ray_workers=2, threads=1))
    WorkerShape(workers=2, cpus=0.9, gpus=0.0, threads=1)
    """
    cpu_nodes = [float(node.get("CPU", 0)) for node in node_resources if node.get("CPU", 0) > 0]
    if not cpu_nodes:
        raise OptionsError("--executor ray: the Ray cluster has no node with CPUs")
    gpus = settings.ray_gpus_per_worker
    if gpus:
        total_gpus = sum(float(node.get("GPU", 0)) for node in node_resources)
        if total_gpus < gpus:
            raise OptionsError(
                f"--ray-gpus-per-worker {gpus:g}: the Ray cluster has {total_gpus:g} GPUs; "
                "use CPU workers (leave the flag out) or a cluster with GPUs"
            )
        workers = settings.ray_workers or int(total_gpus // gpus)
        threads = max(1, int(min(cpu_nodes) // max(1, math.ceil(workers / len(cpu_nodes)))))
        return WorkerShape(workers, 1.0, float(gpus), settings.threads or threads)
    if settings.threads:
        threads = settings.threads
        workers = settings.ray_workers or sum(max(1, int(cpus // threads)) for cpus in cpu_nodes)
        return WorkerShape(workers, round(min(threads, min(cpu_nodes)) * CPU_RESERVE, 2), 0.0, threads)
    workers = settings.ray_workers or len(cpu_nodes)
    share = min(cpu_nodes) / math.ceil(workers / len(cpu_nodes))
    return WorkerShape(workers, round(share * CPU_RESERVE, 2), 0.0, max(1, round(share)))


class ImageWorker:
    """One Ray actor: a set of models, loaded on first need, and ``compute_image`` over them."""

    def __init__(self, models: ModelOptions, make_models: Callable[[ModelOptions], LazyModels], threads: int):
        # torch takes its thread count from these when it is first imported (by the first model
        # load, not before: a worker whose images all come with their CLIP output still starts fast).
        os.environ["OMP_NUM_THREADS"] = os.environ["MKL_NUM_THREADS"] = str(threads)
        if "torch" in sys.modules:
            from sitegen.models.device import limit_cpu_threads

            limit_cpu_threads(threads)
        self.models = make_models(models)

    def encode_queries(self, queries: list[str], prompt_templates: tuple[str, ...]) -> tuple[np.ndarray, dict]:
        return self.models.clip.encode_queries(queries, prompt_templates), self.models.counters()

    def compute(self, task: ImageTask, job: ImageJob) -> tuple[Any, dict]:
        return compute_image(_writable(task), job, self.models), self.models.counters()


def _writable(task: ImageTask) -> ImageTask:
    """The task with its own copies of the arrays torch reads (Ray hands them over read-only,
    and torch warns about every read-only array it wraps)."""
    image = dataclasses.replace(task.image, rgb=np.array(task.image.rgb))
    text = task.text_embeddings
    if isinstance(text, np.ndarray):
        text = np.array(text)
    elif isinstance(text, Mapping):  # a VariantsTask's: prompt-templates name -> (Q, D) array
        text = {name: np.array(value) for name, value in text.items()}
    return dataclasses.replace(task, image=image, text_embeddings=text)


@dataclass(eq=False)
class _Entry:
    """One item on its way through ``RayExecutor.in_order``."""

    item: Any
    task: ImageTask | None
    outcome: Outcome = None
    done: bool = False
    attempts: int = 0
    tried_by: set = field(default_factory=set)


class RayExecutor:
    """Images computed by ``WorkerShape.workers`` Ray actors (see the module docstring)."""

    def __init__(
        self,
        settings: ExecutorSettings,
        models: ModelOptions,
        make_models: Callable[[ModelOptions], LazyModels] = LazyModels,
    ):
        ray = self.ray = import_ray()
        check_reachable(settings.ray_address)
        self._owns_cluster = not ray.is_initialized()
        if self._owns_cluster:
            try:
                ray.init(address=settings.ray_address, include_dashboard=False, logging_level="ERROR")
            except Exception as error:  # noqa: BLE001 -- Ray's many connection errors, as one line
                where = settings.ray_address or "a local cluster"
                raise SitegenError(f"--executor ray: cannot start or join {where}: {error}".splitlines()[0]) from None
        nodes = [node["Resources"] for node in ray.nodes() if node.get("Alive")]
        self.shape = worker_shape(nodes, settings)
        self._models = models
        self._make_models = make_models
        self._actor_class = ray.remote(ImageWorker).options(
            num_cpus=self.shape.cpus, num_gpus=self.shape.gpus, max_restarts=0, max_task_retries=0
        )
        self._actors: list = []
        self._idle: deque = deque()
        self._counters: dict[int, dict] = {}
        self._started = 0

    # --- Workers -----------------------------------------------------------------------------------

    def _new_actor(self):
        """A fresh worker, numbered (its counters are kept by number, even after it dies)."""
        actor = self._actor_class.remote(self._models, self._make_models, self.shape.threads)
        number = self._started
        self._started += 1
        self._actors.append((number, actor))
        return number, actor

    def _start_workers(self) -> None:
        while self._started < self.shape.workers:
            self._idle.append(self._new_actor())

    def __enter__(self) -> RayExecutor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Kill the workers (what they were doing is lost) and leave a cluster we started."""
        for _, actor in self._actors:
            self.ray.kill(actor)
        self._actors.clear()
        self._idle.clear()
        if self._owns_cluster and self.ray.is_initialized():
            self.ray.shutdown()

    def counters(self) -> dict[str, int]:
        totals = {"model_loads": 0, "clip_forwards": 0, "text_encodings": 0, "sam_embeds": 0}
        for counters in self._counters.values():
            for name in totals:
                totals[name] += counters.get(name, 0)
        return totals

    # --- Work ---------------------------------------------------------------------------------------

    def encode_queries(self, queries: Sequence[str], prompt_templates: Sequence[str]) -> np.ndarray:
        """Text embeddings from one worker (which thereby loads CLIP, as it will need it anyway)."""
        self._start_workers()
        number, actor = self._idle[0]
        embeddings, counters = self.ray.get(actor.encode_queries.remote(list(queries), tuple(prompt_templates)))
        self._counters[number] = counters
        return embeddings

    def in_order(
        self,
        items: Iterable[Item],
        task_of: Callable[[Item], ImageTask | None],
        job: ImageJob,
        on_done: Callable[[Item, Outcome], None] = lambda item, outcome: None,
    ) -> Iterator[tuple[Item, Outcome]]:
        """Dispatch tasks to idle workers, a window ahead of the item being yielded."""
        ray = self.ray
        source = iter(items)
        exhausted = False
        window: deque[_Entry] = deque()
        waiting: deque[_Entry] = deque()
        running: dict = {}  # object ref -> (entry, worker number, actor)
        job_ref = None
        limit = WINDOW_PER_WORKER * self.shape.workers
        while True:
            while not exhausted and len(window) < limit:
                try:
                    item = next(source)
                except StopIteration:
                    exhausted = True
                    break
                entry = _Entry(item, task_of(item))
                entry.done = entry.task is None
                window.append(entry)
                if not entry.done:
                    waiting.append(entry)
            if waiting:
                self._start_workers()
                job_ref = job_ref or ray.put(job)
            self._dispatch(waiting, running, job_ref)
            while window and window[0].done:
                entry = window.popleft()
                yield entry.item, entry.outcome
            if not window and exhausted:
                return
            if window and not window[0].done:
                if not running:
                    raise RuntimeError("sitegen bug: an image waits for a worker while every worker idles")
                (ref,), _ = ray.wait(list(running), num_returns=1)
                entry = self._collect(ref, running, waiting)
                if entry is not None:
                    on_done(entry.item, entry.outcome)

    def _dispatch(self, waiting: deque, running: dict, job_ref) -> None:
        """Give waiting tasks to idle workers; a retried task goes to a worker that has not tried it."""
        skipped = deque()
        while waiting and self._idle:
            entry = waiting.popleft()
            choice = next((w for w in self._idle if w[0] not in entry.tried_by), None)
            if choice is None:
                skipped.append(entry)
                continue
            self._idle.remove(choice)
            number, actor = choice
            entry.attempts += 1
            entry.tried_by.add(number)
            running[actor.compute.remote(entry.task, job_ref)] = (entry, number, actor)
        waiting.extendleft(reversed(skipped))

    def _collect(self, ref, running: dict, waiting: deque) -> _Entry | None:
        """Take one finished task back; its entry when its image is done (computed or failed)."""
        ray = self.ray
        entry, number, actor = running.pop(ref)
        try:
            computed, counters = ray.get(ref)
        except ray.exceptions.RayActorError:
            self._actors = [(n, a) for n, a in self._actors if n != number]
            self._idle.append(self._new_actor())
            if entry.attempts < ATTEMPTS:
                waiting.appendleft(entry)
                return None
            entry.outcome = WorkerDied(
                "the worker computing this image died, and so did the one that tried it again "
                "(killed, or out of memory?); the next build tries it again"
            )
        except ray.exceptions.RayTaskError as error:
            cause = getattr(error, "cause", None)
            entry.outcome = cause if isinstance(cause, Exception) else error
            self._idle.append((number, actor))
        else:
            self._counters[number] = counters
            entry.outcome = computed
            self._idle.append((number, actor))
        entry.done = True
        return entry
