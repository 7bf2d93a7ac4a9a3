"""What a build shows on the terminal: progress bars while it runs, a summary table at the end.

Everything goes to the console it is given (stderr by default), so stdout stays clean for
scripts; ``quiet`` turns the bars off.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

if TYPE_CHECKING:
    from sitegen.site.build import BuildReport


def make_progress(console: Console, quiet: bool) -> Progress:
    """A bar with done/total counts, elapsed time, ETA and the file being worked on.

    Tasks carry a ``current`` field (the file name) shown at the end of the line.
    """
    return Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        TextColumn("{task.fields[current]}", style="dim"),
        console=console,
        disable=quiet,
    )


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
