"""``--shard K/N``: one of N processes (a Slurm array task, a Kubernetes Indexed Job pod) computes
its part of the images into a shared cache; a final build without a shard writes the site.

Which images: image ``i`` of the build's sorted input (``find_images``) belongs to shard
``i mod N``, so shards get nearly equal counts and neighbouring files (often alike in size) are
spread over all of them. Files with identical bytes share their cache entries, so such a file
belongs to the shard of its *first* occurrence only: no two shards ever write the same entry
(cache writes are atomic as well, so a killed shard leaves nothing half-written). Only files
whose sizes collide are read to find the identical ones.

K and N come from ``--shard K/N``, else from Slurm's ``SLURM_ARRAY_TASK_ID`` and
``SLURM_ARRAY_TASK_COUNT`` (minus ``SLURM_ARRAY_TASK_MIN``, so ``--array=1-4`` works too), else
from Kubernetes' ``JOB_COMPLETION_INDEX`` with ``--shard-count N``.
"""

from __future__ import annotations

import hashlib
import os
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from sitegen.errors import OptionsError


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``count`` (``0 <= index < count``)."""

    index: int
    count: int

    def __post_init__(self):
        if self.count < 1:
            raise OptionsError(f"--shard {self}: the number of shards must be at least 1")
        if not 0 <= self.index < self.count:
            raise OptionsError(
                f"--shard {self}: K must be between 0 and N-1 = {self.count - 1} (shards are numbered from 0)"
            )

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_shard(text: str) -> Shard:
    """``"K/N"`` -> ``Shard(K, N)``.

    >>> parse_shard("1/4")
    Shard(index=1, count=4)
    >>> parse_shard("3/2")
    Traceback (most recent call last):
    ...
    sitegen.errors.OptionsError: --shard 3/2: K must be between 0 and N-1 = 1 (shards are numbered from 0)
    """
    index, slash, count = text.strip().partition("/")
    try:
        if not slash:
            raise ValueError
        return Shard(int(index), int(count))
    except ValueError:
        raise OptionsError(f"--shard {text}: expected K/N, two whole numbers such as 0/4") from None


def _env_int(environ: Mapping[str, str], name: str) -> int:
    try:
        return int(environ[name])
    except ValueError:
        raise OptionsError(f"${name} is {environ[name]!r}, not a whole number") from None


def shard_from_environment(
    flag: str | None, shard_count: int | None, environ: Mapping[str, str] = os.environ
) -> Shard | None:
    """The shard of this process: ``--shard``, else a job scheduler's variables, else None.

    >>> shard_from_environment(None, None, {"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_COUNT": "4",
    ...                                     "SLURM_ARRAY_TASK_MIN": "1"})
    Shard(index=2, count=4)
    >>> shard_from_environment(None, 5, {"JOB_COMPLETION_INDEX": "4"})
    Shard(index=4, count=5)
    """
    if flag is not None:
        shard = parse_shard(flag)
        if shard_count is not None and shard_count != shard.count:
            raise OptionsError(f"--shard {flag} and --shard-count {shard_count} disagree on the number of shards")
        return shard
    if "SLURM_ARRAY_TASK_ID" in environ and "SLURM_ARRAY_TASK_COUNT" in environ:
        first = _env_int(environ, "SLURM_ARRAY_TASK_MIN") if "SLURM_ARRAY_TASK_MIN" in environ else 0
        return Shard(_env_int(environ, "SLURM_ARRAY_TASK_ID") - first, _env_int(environ, "SLURM_ARRAY_TASK_COUNT"))
    if "JOB_COMPLETION_INDEX" in environ:
        if shard_count is None:
            raise OptionsError(
                "$JOB_COMPLETION_INDEX is set (a Kubernetes Indexed Job): give the number of shards "
                "with --shard-count N (the Job's completions)"
            )
        return Shard(_env_int(environ, "JOB_COMPLETION_INDEX"), shard_count)
    if shard_count is not None:
        raise OptionsError(
            "--shard-count needs $JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) to say which shard this is; "
            "elsewhere pass --shard K/N"
        )
    return None


def _content_hash(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def first_occurrences(paths: Sequence[Path]) -> list[int]:
    """For each path, the position of the first path with the same bytes (itself when unique).

    Unreadable files count as unique (they fail in their own shard and write nothing).
    """
    owners = list(range(len(paths)))
    by_size: dict[int, list[int]] = defaultdict(list)
    for position, path in enumerate(paths):
        try:
            by_size[path.stat().st_size].append(position)
        except OSError:
            continue
    for positions in by_size.values():
        if len(positions) < 2:
            continue
        first_with: dict[str, int] = {}
        for position in positions:
            digest = _content_hash(paths[position])
            if digest is not None:
                owners[position] = first_with.setdefault(digest, position)
    return owners


def shard_positions(paths: Sequence[Path], shard: Shard) -> list[int]:
    """Positions (into the sorted ``paths``) of the images ``shard`` computes, in order."""
    owners = first_occurrences(paths)
    return [position for position, owner in enumerate(owners) if owner == position and position % shard.count == shard.index]
