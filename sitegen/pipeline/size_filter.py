"""Stage 6: drop the regions too small to be worth a SAM prompt (likely noise)."""

from __future__ import annotations

import numpy as np

from sitegen.records import Components, SizeFilter


def filter_regions(components: Components, min_region_size: int) -> SizeFilter:
    """Keep the regions with at least ``min_region_size`` pixels.

    Parameters
    ----------
    components : Components
        ``labels`` (H, W) int32 and the regions, in id order.
    min_region_size : int
        A region of exactly this many pixels is kept.

    Returns
    -------
    SizeFilter
        ``labels`` of shape (H, W) int32 with the ids of kept regions (dropped ones become 0);
        ``kept`` and ``dropped`` keep the id order.

    Examples
    --------
    >>> from sitegen.records import Components, Region
    >>> labels = np.array([[1, 1, 0, 2]], np.int32)
    >>> regions = (Region(1, 0, 2, (0, 0, 2, 1), (0.5, 0.0), 0.9),
    ...            Region(2, 0, 1, (3, 0, 4, 1), (3.0, 0.0), 0.9))
    >>> result = filter_regions(Components(labels, regions), min_region_size=2)
    >>> result.labels.tolist(), [r.id for r in result.kept], [r.id for r in result.dropped]
    ([[1, 1, 0, 0]], [1], [2])
    """
    kept = tuple(r for r in components.regions if r.size >= min_region_size)
    dropped = tuple(r for r in components.regions if r.size < min_region_size)
    is_kept = np.zeros(max((r.id for r in components.regions), default=0) + 1, dtype=bool)
    is_kept[[r.id for r in kept]] = True
    labels = np.where(is_kept[components.labels], components.labels, 0).astype(np.int32)
    return SizeFilter(labels=labels, kept=kept, dropped=dropped, min_region_size=int(min_region_size))
