"""Per-class similarity and probability at any pixel, computed on demand from SCLIP's canvas.

CLIP's cosines exist at the resolution the windows ran at (the window canvas, a few hundred
pixels across). Stage 3 resizes them bilinearly to the image, as
``torch.nn.functional.interpolate(mode="bilinear", align_corners=False)`` does, takes the softmax
over all queries and lets each class keep the best of its queries. At full resolution these
per-class maps are large (a 6000x4000 image with 20 classes: 1.9 GB of probabilities and as
much again of similarities), and nothing needs all of them at once: the pipeline needs the
argmax and its probability, figures need a display-sized grid, downloads go a band of rows at
a time. So ``ClassScores`` keeps the canvas and computes any rows and columns exactly when
asked, a few rows at a time.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

#: Work on at most this many float32 values of the (rows, columns, Q) logits at a time, so a
#: large image never needs more than a few extra buffers of this size (16 MiB each).
CHUNK_VALUES = 1 << 22


def bilinear_positions(out_size: int, in_size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where each output pixel samples its input along one axis, for a bilinear resize.

    The convention of ``torch.nn.functional.interpolate(mode="bilinear", align_corners=False)``
    without antialias: source = (i + 0.5) * in / out - 0.5, clamped at 0, in float32.

    Returns
    -------
    below, above : ndarray of shape (out_size,), dtype int64
        The two input indices each output index blends (equal at the last input pixel).
    weight : ndarray of shape (out_size,), dtype float32
        The weight of ``above`` (``below`` gets ``1 - weight``).

    Examples
    --------
    >>> below, above, weight = bilinear_positions(4, 2)
    >>> below.tolist(), above.tolist(), weight.tolist()
    ([0, 0, 0, 1], [1, 1, 1, 1], [0.0, 0.25, 0.75, 0.25])
    """
    source = (np.arange(out_size, dtype=np.float32) + np.float32(0.5)) * np.float32(in_size / out_size)
    source = np.maximum(source - np.float32(0.5), np.float32(0.0))
    below = np.minimum(source.astype(np.int64), in_size - 1)
    above = np.minimum(below + 1, in_size - 1)
    return below, above, (source - below).astype(np.float32)


@dataclass(frozen=True, eq=False)
class ClassScores:
    """The per-class maps of one image, computed from the window canvas when asked.

    Attributes
    ----------
    cosines : ndarray of shape (h, w, Q), dtype float32
        Window-averaged cosines of every canvas pixel with every query.
    query_class : ndarray of shape (Q,), int
        The class of each query.
    num_classes : int
        C.
    logit_scale : float
        Softmax temperature: logits = logit_scale * cosine.
    image_size : tuple of int
        ``(width, height)`` of the image the maps are resized to.
    """

    cosines: np.ndarray
    query_class: np.ndarray
    num_classes: int
    logit_scale: float
    image_size: tuple[int, int]

    @property
    def shape(self) -> tuple[int, int, int]:
        """(H, W, C) of the full-resolution maps."""
        return self.image_size[1], self.image_size[0], self.num_classes

    def at(self, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Similarities and probabilities at pixel rows x cols of the image.

        Parameters
        ----------
        rows, cols : ndarray of int
            Pixel indices along each axis (a grid is their outer product).

        Returns
        -------
        similarities, probabilities : ndarray of shape (len(rows), len(cols), C), dtype float32
            A class's similarity is its best query's cosine; its probability the best of its
            queries' softmax over all Q queries. Equal to the full maps indexed at the grid.
        """
        rows, cols = np.asarray(rows, np.int64), np.asarray(cols, np.int64)
        similarities = np.empty((len(rows), len(cols), self.num_classes), np.float32)
        probabilities = np.empty_like(similarities)
        step = max(1, CHUNK_VALUES // max(1, len(cols) * self.cosines.shape[2]))
        for start in range(0, len(rows), step):
            chunk = slice(start, start + step)
            by_class = self._scores(rows[chunk], cols)
            similarities[chunk] = by_class[0].transpose(1, 2, 0)
            probabilities[chunk] = by_class[1].transpose(1, 2, 0)
        return similarities, probabilities

    def similarities_at(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """(len(rows), len(cols), C) float32 similarities at pixel rows x cols."""
        return self.at(rows, cols)[0]

    def probabilities_at(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """(len(rows), len(cols), C) float32 probabilities at pixel rows x cols."""
        return self.at(rows, cols)[1]

    def bands(self) -> Iterator[tuple[slice, np.ndarray, np.ndarray]]:
        """``(rows, similarities, probabilities)`` for consecutive bands of rows covering the image.

        Class first: each map is of shape (C, rows, W), so that work across classes (the argmax,
        per-class statistics) goes plane by plane over contiguous memory.
        """
        height, width, _ = self.shape
        step = max(1, CHUNK_VALUES // max(1, width * self.cosines.shape[2]))
        all_cols = np.arange(width)
        for start in range(0, height, step):
            rows = slice(start, min(start + step, height))
            yield (rows, *self._scores(np.arange(rows.start, rows.stop), all_cols))

    def similarities(self) -> np.ndarray:
        """The full (H, W, C) float32 similarity maps (large: for small images and tests)."""
        return self._full(0)

    def probabilities(self) -> np.ndarray:
        """The full (H, W, C) float32 probability maps (large: for ``confidences.npy`` and tests)."""
        return self._full(1)

    def _full(self, which: int) -> np.ndarray:
        maps = np.empty(self.shape, np.float32)
        for band in self.bands():
            maps[band[0]] = band[1 + which].transpose(1, 2, 0)
        return maps

    def __getstate__(self) -> dict:
        """The fields only: the cached ``_planes`` are a second copy of the cosines, which would
        double a cached result and what a build sends to each worker process."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)  # frozen: object.__setattr__ would do the same, field by field

    @functools.cached_property
    def _planes(self) -> np.ndarray:
        """The cosines query first, (Q, h, w): the softmax and the per-class maxima then combine
        whole planes, where with Q last every pixel reduced a dozen values on its own (3x slower)."""
        return np.ascontiguousarray(self.cosines.transpose(2, 0, 1))

    @functools.cached_property
    def _class_queries(self) -> list[np.ndarray]:
        return [np.flatnonzero(self.query_class == c) for c in range(self.num_classes)]

    def _scores(self, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Resize, softmax and per-class max for a few rows, all in float32, class first:
        (C, len(rows), len(cols)) similarities and probabilities."""
        height, width, _ = self.shape
        planes = self._planes
        rows_below, rows_above, row_weights = bilinear_positions(height, planes.shape[1])
        cols_below, cols_above, col_weights = bilinear_positions(width, planes.shape[2])
        # np.take keeps the result query first in memory (indexing with [:, :, cols] does not).
        weight = row_weights[rows][:, None]
        vertical = np.take(planes, rows_below[rows], axis=1) * (1 - weight)
        vertical += np.take(planes, rows_above[rows], axis=1) * weight
        weight = col_weights[cols]
        chunk = np.take(vertical, cols_below[cols], axis=2) * (1 - weight)
        chunk += np.take(vertical, cols_above[cols], axis=2) * weight
        logits = chunk * np.float32(self.logit_scale)
        logits -= logits.max(axis=0)
        np.exp(logits, out=logits)
        logits /= logits.sum(axis=0)
        shape = (self.num_classes, len(rows), len(cols))
        similarities, probabilities = np.empty(shape, np.float32), np.empty(shape, np.float32)
        for c, queries in enumerate(self._class_queries):
            np.max(chunk[queries], axis=0, out=similarities[c])
            np.max(logits[queries], axis=0, out=probabilities[c])
        return similarities, probabilities
