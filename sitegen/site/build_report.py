"""What one build did: the ``BuildReport`` it returns, ``build-log.txt`` and the terminal's summary table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from rich.table import Table

from sitegen import __version__
from sitegen.site.summaries import Failure, ImageSummary, SiteInfo

#: The heading after which build-log.txt describes this run rather than the site.
RUN_SECTION = "this run"


@dataclass(frozen=True)
class BuildReport:
    """What one build did. ``written`` counts files whose bytes changed on disk."""

    images: int
    built: int
    cached: int
    failed: list[Failure]
    warnings: list[str]
    written: int
    removed: list[str]
    model_loads: int
    clip_forwards: int
    sam_embeds: int
    seconds: float


class BuildState(Protocol):
    """What a build has learnt by its end, as ``build_log`` reads it (the build's builder)."""

    site: SiteInfo
    summaries: list[ImageSummary]
    warnings: list[str]
    written: int


class RunCounts(Protocol):
    """What the model side of a build did (``sitegen.site.image_results.ImageResults``)."""

    log: list[str]
    stage_seconds: dict[str, float]
    built: int
    cached: int


def build_log(
    builder: BuildState,
    results: RunCounts,
    failures: list[Failure],
    displaced: list[str],
    counters: dict,
    started: datetime,
    seconds: float,
) -> str:
    """``build-log.txt``: what the site holds, then (after ``RUN_SECTION``) what this run did.

    Everything above ``RUN_SECTION`` except the ``started:`` line is the same for every build of
    the same inputs, interrupted or not.
    """
    lines = [
        f"sitegen {__version__} build log: {builder.site.title}",
        f"started: {started.isoformat(timespec='seconds')}",
        "",
        f"pages ({len(builder.summaries)})",
        *(f"  {s.name} -> {s.page}" for s in builder.summaries),
        f"failed ({len(failures)})",
        *(f"  {f.name}: {f.reason}" for f in failures),
        f"warnings ({len(builder.warnings)})",
        *(f"  {w}" for w in builder.warnings),
        "",
        RUN_SECTION,
        f"  built {results.built}, from the cache {results.cached}, failed {len(failures)} in {seconds:.1f} s",
        f"  models loaded {counters['model_loads']}, CLIP window forwards {counters['clip_forwards']}, "
        f"SAM image embeddings {counters['sam_embeds']}",
        f"  files written {builder.written} (files already up to date are left alone)",
        *(f"  {note}" for note in displaced),
        *results.log,
        "seconds per stage, images built in this run",
        *(f"  {stage}: {total:.2f}" for stage, total in results.stage_seconds.items()),
    ]
    return "\n".join(lines) + "\n"


def summary_table(report: BuildReport) -> Table:
    """One row per figure of the build: images built, from the cache, failed, files, models, time."""
    table = Table(title="sitegen build", show_header=False, title_justify="left")
    table.add_column("what")
    table.add_column("count", justify="right")
    rows = [
        ("images found", report.images),
        ("built", report.built),
        ("from the cache", report.cached),
        ("failed", len(report.failed)),
        ("warnings", len(report.warnings)),
        ("files written", report.written),
        ("stale files removed", len(report.removed)),
        ("models loaded", report.model_loads),
        ("CLIP window forwards", report.clip_forwards),
        ("SAM image embeddings", report.sam_embeds),
        ("seconds", f"{report.seconds:.1f}"),
    ]
    for label, value in rows:
        style = "bold red" if label == "failed" and value else None
        table.add_row(label, str(value), style=style)
    return table
