"""Figure and page work in worker processes, handed back in the order it was asked for.

On a GPU the models take milliseconds per image and drawing the figures and writing the pages is
what limits a build; from cached results it is all a build does. That work is pure (a function
of the result, the neighbours' summaries and the site's settings), so ``OrderedPool`` runs it in
``jobs`` processes and gives the outcomes back in submission order: the files are then written
by the one process that owns the output folder, in the same order as a one-process build, and
the site is byte for byte the same whatever ``jobs`` is.

Workers start with ``forkserver`` (``spawn`` where it is missing), not ``fork``: the building
process may hold torch's threads and a loaded model, which a forked child must not inherit.
At most ``2 * jobs`` tasks are in flight, so a build of 5,000 images never holds more than a
few results in memory. ``jobs=1`` runs each task in the calling process when it is submitted
(no pool, no pickling): the plain path, and the reference the parallel one must match.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any


def default_jobs() -> int:
    """The processes a build uses unless told: the cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def threads_per_job(jobs: int) -> int:
    """Threads each of ``jobs`` processes may draw with: the cores shared out, at least one.

    On 2 cores one process draws with two threads (1.3 times faster than one thread: the GIL
    holds it back), two processes with one each (2.1 times faster than one process with one;
    ``benchmarks/site_scale.py``). More threads than cores would only contend for them.

    >>> threads_per_job(default_jobs() * 2)
    1
    """
    return max(1, default_jobs() // max(1, jobs))


@dataclass(frozen=True)
class Outcome:
    """One finished task: the ``tag`` it was submitted with, and its value or its exception."""

    tag: Any
    value: Any = None
    error: BaseException | None = None


def _context():
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


class OrderedPool:
    """``submit(tag, fn, *args)`` tasks; ``ready()`` / ``drain()`` yield ``Outcome``s in submission order.

    ``fn`` and its arguments must pickle (a module-level function and plain records) when
    ``jobs > 1``. A task's exception is returned in its ``Outcome``, never raised, so one bad
    image does not lose the others; ``KeyboardInterrupt`` still stops everything.

    Examples
    --------
    >>> with OrderedPool(1) as pool:
    ...     pool.submit("a", pow, 2, 10)
    ...     pool.submit("b", divmod, 1, 0)
    ...     [(o.tag, o.value, type(o.error).__name__) for o in pool.drain()]
    [('a', 1024, 'NoneType'), ('b', None, 'ZeroDivisionError')]
    """

    def __init__(self, jobs: int):
        if jobs < 1:
            raise ValueError(f"jobs must be at least 1, got {jobs}")
        self.jobs = jobs
        self._executor: ProcessPoolExecutor | None = None
        self._queue: deque[tuple[Any, Future | Outcome]] = deque()

    def __enter__(self) -> OrderedPool:
        if self.jobs > 1:
            self._executor = ProcessPoolExecutor(self.jobs, mp_context=_context())
        return self

    def __exit__(self, *exc_info) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def submit(self, tag: Any, fn: Callable, *args) -> None:
        """Queue one task; with ``jobs=1`` it runs now."""
        if self._executor is None:
            try:
                self._queue.append((tag, Outcome(tag, value=fn(*args))))
            except Exception as error:  # noqa: BLE001 -- handed back, as a worker's would be
                self._queue.append((tag, Outcome(tag, error=error)))
            return
        self._queue.append((tag, self._executor.submit(fn, *args)))

    def ready(self) -> Iterator[Outcome]:
        """The finished tasks at the head of the queue; blocks for the oldest while too many are in flight."""
        while self._queue and (len(self._queue) > 2 * self.jobs or self._done(self._queue[0][1])):
            yield self._pop()

    def drain(self) -> Iterator[Outcome]:
        """Every task still queued, waiting for each in turn."""
        while self._queue:
            yield self._pop()

    @staticmethod
    def _done(item: Future | Outcome) -> bool:
        return isinstance(item, Outcome) or item.done()

    def _pop(self) -> Outcome:
        tag, item = self._queue.popleft()
        if isinstance(item, Outcome):
            return item
        error = item.exception()
        return Outcome(tag, error=error) if error is not None else Outcome(tag, value=item.result())
