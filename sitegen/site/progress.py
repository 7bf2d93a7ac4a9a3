"""What a build shows on the terminal while it runs: progress bars (``build_report`` has the summary table).

Everything goes to the console it is given (stderr by default), so stdout stays clean for
scripts; ``quiet`` turns the bars off.
"""

from __future__ import annotations

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
