"""Geometry of SCLIP's sliding-window inference: the resized image and its window boxes.

Pure numpy, so figures can redraw the same windows without torch. Both functions follow the
SCLIP reference (mmseg ``Resize(scale=(2048, 336), keep_ratio=True)`` and ``slide_inference``).
"""

from __future__ import annotations

import numpy as np

#: The long side of the resized image never exceeds this many pixels.
LONG_SIDE_MAX = 2048


def resized_size(
    width: int, height: int, short_side: int, long_side_max: int = LONG_SIDE_MAX
) -> tuple[int, int]:
    """Size of the image SCLIP runs on: aspect kept, short side ``short_side``, long side capped.

    ``scale = min(long_side_max / long, short_side / short)``; the image may be upscaled. Sizes
    are rounded half up, as mmcv's ``rescale_size`` does.

    Returns
    -------
    tuple of int
        ``(width, height)`` of the resized image.

    Examples
    --------
    >>> resized_size(640, 480, 336)
    (448, 336)
    >>> resized_size(100, 10_000, 336)
    (20, 2048)
    """
    scale = min(long_side_max / max(width, height), short_side / min(width, height))
    return int(width * scale + 0.5), int(height * scale + 0.5)


def _starts(length: int, window: int, stride: int) -> np.ndarray:
    """Start of every window along one axis; the last is shifted back to end at ``length``."""
    count = max(length - window + stride - 1, 0) // stride + 1
    ends = np.minimum(np.arange(count) * stride + window, length)
    return np.maximum(ends - window, 0)


def sliding_windows(width: int, height: int, window: int, stride: int) -> np.ndarray:
    """Boxes of the sliding windows over a ``width`` x ``height`` image, row by row.

    Windows are ``window`` pixels square and ``stride`` apart; the last window of a row or column
    is shifted back inside the image, and along an axis shorter than ``window`` a single window
    spans the whole axis (so every window has the same size).

    Returns
    -------
    ndarray of shape (N, 4), dtype int32
        ``(x0, y0, x1, y1)`` per window, x1 and y1 exclusive.

    Examples
    --------
    >>> sliding_windows(300, 100, 224, 112).tolist()
    [[0, 0, 224, 100], [76, 0, 300, 100]]
    """
    xs = _starts(width, window, stride)
    ys = _starts(height, window, stride)
    y0, x0 = (grid.ravel() for grid in np.meshgrid(ys, xs, indexing="ij"))
    boxes = np.stack([x0, y0, np.minimum(x0 + window, width), np.minimum(y0 + window, height)], axis=1)
    return boxes.astype(np.int32)
