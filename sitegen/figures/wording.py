"""Small helpers that turn a run's numbers into the plain sentences of step descriptions."""

from __future__ import annotations

from collections.abc import Sequence

from sitegen.records import PipelineResult


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``count(1, "region")`` is "1 region", ``count(3, "region")`` is "3 regions"."""
    return f"{n:,} {noun if n == 1 else (plural or noun + 's')}"


def percent(part: float, whole: float) -> str:
    """ "41.2 %" (0 % of nothing)."""
    return f"{100.0 * part / whole:.1f} %" if whole else "0 %"


def listed(values: Sequence, limit: int = 10) -> str:
    """ "12, 40, 77", or the first ``limit`` then "and 5 more"."""
    shown = ", ".join(f"{v:,}" if isinstance(v, int) else str(v) for v in values[:limit])
    return shown + (f" and {len(values) - limit} more" if len(values) > limit else "")


def size(width: int, height: int) -> str:
    return f"{width} x {height} px"


def no_prompts_reason(result: PipelineResult) -> str:
    """Why a run has no point prompts, in the run's own terms."""
    options = result.options
    if not result.thresholding.passing.any():
        return f"No pixel reached min_confidence {options.min_confidence:g}, so no regions passed and SAM got no prompts."
    if not result.size_filter.kept:
        return (
            f"No regions passed min_confidence {options.min_confidence:g} and min_region_size "
            f"{options.min_region_size} px together: all {count(len(result.size_filter.dropped), 'region')} "
            "were too small, so SAM got no prompts."
        )
    return "SAM got no prompts."


def span(values: Sequence[int]) -> str:
    """ "3" when all values are 3, else "1 to 3"."""
    low, high = min(values), max(values)
    return f"{low}" if low == high else f"{low} to {high}"


def paragraphs(texts: Sequence[str]) -> str:
    """A description: paragraphs separated by a blank line."""
    return "\n\n".join(t for t in texts if t)
