"""Point choice helpers shared by the positive (stage 7) and negative (stage 8) prompts.

Both stages pick a first point by a nearest rule and spread the rest with farthest-point
sampling, so the two live here once. Candidates are pixel coordinates listed in row-major order,
which makes "ties go to the lowest index" mean "ties go to the first pixel in reading order".
"""

from __future__ import annotations

import numpy as np


def nearest_index(candidates: np.ndarray, point: tuple[float, float] | np.ndarray) -> int:
    """Index of the candidate nearest to ``point`` (Euclidean); ties go to the lowest index.

    Parameters
    ----------
    candidates : ndarray of shape (M, 2), float
        XY coordinates, M >= 1.
    point : sequence of 2 floats
        XY coordinate.

    Returns
    -------
    int

    Examples
    --------
    >>> nearest_index(np.array([[0, 0], [2, 0], [0, 2]], float), (1.0, 1.0))
    0
    """
    candidates = np.asarray(candidates, dtype=np.float64)
    if candidates.ndim != 2 or candidates.shape[1] != 2 or len(candidates) == 0:
        raise ValueError(f"candidates must have shape (M, 2) with M >= 1, got {candidates.shape}")
    return int(np.argmin((candidates[:, 0] - point[0]) ** 2 + (candidates[:, 1] - point[1]) ** 2))


def farthest_point_sampling(
    candidates: np.ndarray, first: int, k: int, excluded: np.ndarray | None = None
) -> np.ndarray:
    """Pick ``k`` spread-out candidates: start at ``first``, then always the farthest from all picked.

    Keeps, for every candidate, its squared distance to the nearest picked point and updates it
    with one vectorised ``np.minimum`` per pick, so the cost is O(k * M) with no Python loop over
    candidates. Ties go to the lowest index. ``k`` is capped at the number of candidates; once
    every remaining candidate coincides with a picked one the sampling stops early rather than
    repeat a point. ``excluded`` candidates are never picked, exactly as if they had been removed
    from the array (which would cost a copy of the rest).

    Parameters
    ----------
    candidates : ndarray of shape (M, 2), float
        XY coordinates, M >= 1.
    first : int
        Index of the first pick.
    k : int
        Number of picks wanted, k >= 1.
    excluded : ndarray of shape (E,), int, optional
        Indices that must not be picked; ``first`` must not be one of them.

    Returns
    -------
    ndarray of shape (min(k, M - E),), dtype int64
        Indices into ``candidates`` in the order they were picked.

    Examples
    --------
    >>> points = np.array([[0, 0], [1, 0], [5, 0], [2, 0]], float)
    >>> farthest_point_sampling(points, first=0, k=3).tolist()
    [0, 2, 3]
    """
    candidates = np.asarray(candidates, dtype=np.float64)
    if candidates.ndim != 2 or candidates.shape[1] != 2 or len(candidates) == 0:
        raise ValueError(f"candidates must have shape (M, 2) with M >= 1, got {candidates.shape}")
    if not 0 <= first < len(candidates):
        raise ValueError(f"first must index one of the {len(candidates)} candidates, got {first}")
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    if excluded is not None and np.any(np.asarray(excluded) == first):
        raise ValueError(f"first ({first}) is among the excluded candidates")
    picked = [int(first)]
    if k == 1:
        return np.array(picked, dtype=np.int64)
    nearest_sq = np.full(len(candidates), np.inf)
    if excluded is not None:
        nearest_sq[excluded] = -np.inf
    x, y = np.ascontiguousarray(candidates[:, 0]), np.ascontiguousarray(candidates[:, 1])
    for _ in range(k - 1):
        np.minimum(nearest_sq, (x - x[picked[-1]]) ** 2 + (y - y[picked[-1]]) ** 2, out=nearest_sq)
        farthest = int(np.argmax(nearest_sq))
        if nearest_sq[farthest] <= 0:  # every candidate left is picked, excluded or a repeat
            break
        picked.append(farthest)
    return np.array(picked, dtype=np.int64)
