"""Which classes an image's per-class pictures show, so their cost follows the image, not the vocabulary.

Steps 4 and 5 draw one map per class, and ``--per-class-details`` one page of views per class.
With a benchmark vocabulary (150 or 171 classes) that is 150 pictures per image, nearly all of
classes the image does not contain. The rule, in one place for every per-class picture:

* a vocabulary of at most ``ALL_CLASSES_UP_TO`` classes: every class;
* otherwise the classes present in the SCLIP argmax (most pixels first), then the ``EXTRA``
  absent classes with the highest probability anywhere in the image (the nearest misses), at
  most ``LIMIT`` in all. Ties go to the lower class index.

The interactive views still offer every class (from a compact all-class layer); only the
pre-rendered grids and the per-class assets follow this rule.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sitegen.figures.wording import count, listed
from sitegen.records import PipelineResult

ALL_CLASSES_UP_TO = 24
EXTRA = 3
LIMIT = 24


@dataclass(frozen=True)
class ShownClasses:
    """The classes a per-class picture shows, ascending, and why.

    Attributes
    ----------
    indices : tuple of int
        Class indices, ascending.
    present : tuple of int
        Those present in the SCLIP argmax, ascending.
    total : int
        Classes in the vocabulary.
    """

    indices: tuple[int, ...]
    present: tuple[int, ...]
    total: int

    @property
    def everything(self) -> bool:
        return len(self.indices) == self.total


def choose_classes(
    argmax_pixels: np.ndarray,
    probability_max: np.ndarray,
    all_up_to: int = ALL_CLASSES_UP_TO,
    extra: int = EXTRA,
    limit: int = LIMIT,
) -> ShownClasses:
    """Classes present in the argmax, then the nearest misses, for a large vocabulary.

    Parameters
    ----------
    argmax_pixels : ndarray of shape (C,), int
        Pixels where each class wins the SCLIP argmax.
    probability_max : ndarray of shape (C,), float
        Each class's highest probability in the image.
    all_up_to : int
        Vocabularies of at most this many classes show every class.
    extra : int
        Absent classes added, highest ``probability_max`` first.
    limit : int
        Most classes shown; present classes with the most pixels come first.

    Examples
    --------
    >>> pixels = np.array([0, 50, 0, 7, 0, 0])
    >>> peak = np.array([0.2, 0.9, 0.4, 0.5, 0.4, 0.1])
    >>> choose_classes(pixels, peak, all_up_to=3, extra=2, limit=5).indices
    (1, 2, 3, 4)
    >>> choose_classes(pixels, peak, all_up_to=3, extra=2, limit=3).indices  # 1, 3, then 2 (tie with 4)
    (1, 2, 3)
    >>> choose_classes(pixels, peak, all_up_to=6).indices
    (0, 1, 2, 3, 4, 5)
    """
    argmax_pixels = np.asarray(argmax_pixels)
    total = len(argmax_pixels)
    present = tuple(int(c) for c in np.flatnonzero(argmax_pixels > 0))
    if total <= all_up_to:
        return ShownClasses(tuple(range(total)), present, total)
    by_pixels = sorted(present, key=lambda c: (-int(argmax_pixels[c]), c))
    absent = [c for c in range(total) if argmax_pixels[c] == 0]
    nearest = sorted(absent, key=lambda c: (-float(probability_max[c]), c))[:extra]
    return ShownClasses(tuple(sorted((by_pixels + nearest)[:limit])), present, total)


def shown_classes(result: PipelineResult) -> ShownClasses:
    """``choose_classes`` on a run: its argmax pixel counts and per-class probability peaks."""
    pixels = np.bincount(result.dense.prediction.ravel(), minlength=len(result.vocabulary))
    return choose_classes(pixels, result.dense.summary.probability_max)


def shown_sentence(result: PipelineResult, shown: ShownClasses, what: str, elsewhere: str) -> str:
    """The step text's account of which classes ``what`` shows and why ('' when it shows all),
    ending with ``elsewhere``: where the other classes can be seen."""
    if shown.everything:
        return ""
    names = result.vocabulary.names
    extra = [c for c in shown.indices if c not in shown.present]
    present_shown = [c for c in shown.indices if c in shown.present]
    parts = [
        f"{what} shows {count(len(shown.indices), 'class', 'classes')} of the {shown.total}: "
        f"{count(len(present_shown), 'class', 'classes')} present in the SCLIP argmax"
        + (f" (the {len(present_shown)} with the most pixels of {len(shown.present)})" if len(present_shown) < len(shown.present) else "")
        + (f": {listed([names[c] for c in present_shown])}" if present_shown else "")
    ]
    if extra:
        parts.append(
            f"and the {count(len(extra), 'absent class', 'absent classes')} with the highest probability anywhere in "
            f"the image: {listed([names[c] for c in extra])}"
        )
    return " ".join(parts) + ". " + elsewhere
