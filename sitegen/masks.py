"""Compact stores of full-resolution boolean masks: packed eight pixels to a byte, or cropped.

SAM's masks are full-resolution: on a 6000x4000 photo one mask is 24 MB as a bool array, 3 MB
packed, and usually far less cropped to the box of its pixels. A prompt-heavy image has hundreds
of prompts with three candidates each, so the pipeline keeps every chosen mask packed
(``PackedMasks``) and the candidates only of the prompts step 14 shows, cropped and packed
(``CandidateMasks``). Both unpack only what is indexed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class PackedMasks:
    """Boolean masks stored eight pixels to a byte (``np.packbits`` along the width).

    SAM's candidates are three full-resolution masks per prompt: 50 prompts on a 6000x4000
    image are 3.6 GB as bool arrays and 450 MB packed. Indexing unpacks only what it selects,
    so ``masks[p]``, ``masks[p, k]``, ``masks[rows, best]`` and ``masks[p, k, y0:y1, x0:x1]`` give
    the bool arrays a plain (P, 3, H, W) array would.

    Attributes
    ----------
    bits : ndarray of shape (..., H, ceil(W / 8)), dtype uint8
        The padding bits of each row's last byte are zero.
    width : int
        W, the unpacked width.
    """

    bits: np.ndarray
    width: int

    @classmethod
    def pack(cls, masks: np.ndarray) -> "PackedMasks":
        masks = np.asarray(masks, dtype=bool)
        return cls(np.packbits(masks, axis=-1), masks.shape[-1])

    @property
    def shape(self) -> tuple[int, ...]:
        return (*self.bits.shape[:-1], self.width)

    @property
    def ndim(self) -> int:
        return self.bits.ndim

    def __len__(self) -> int:
        return len(self.bits)

    def __getitem__(self, index) -> np.ndarray:
        index = index if isinstance(index, tuple) else (index,)
        leading, last = (index[:-1], index[-1]) if len(index) == self.ndim else (index, slice(None))
        bits = self.bits[leading] if leading else self.bits
        return np.unpackbits(bits, axis=-1, count=self.width).view(bool)[..., last]

    def each(self, indices: Sequence) -> Sequence[np.ndarray]:
        """The masks at ``indices`` (each an index as above), unpacked one at a time as they are
        read: 150 candidates of a 6000x4000 image would be 3.6 GB unpacked at once."""
        return _UnpackedEach(self, tuple(indices))

    def subset(self, indices: Sequence[int]) -> "PackedMasks":
        """The masks at ``indices``, still packed.

        >>> PackedMasks.pack(np.array([[[1, 0]], [[0, 1]], [[1, 1]]], bool)).subset([2, 0])[:].tolist()
        [[[True, True]], [[True, False]]]
        """
        return PackedMasks(self.bits[list(indices)], self.width)

    def pixel_counts(self) -> np.ndarray:
        """True pixels of each mask, counted on the packed bits (nothing is unpacked).

        Returns
        -------
        ndarray of shape ``shape[:-2]``, dtype int64

        Examples
        --------
        >>> PackedMasks.pack(np.array([[[1, 0, 1]], [[0, 0, 0]]], bool)).pixel_counts().tolist()
        [2, 0]
        """
        return np.bitwise_count(self.bits).sum(axis=(-2, -1), dtype=np.int64)


class _UnpackedEach(Sequence):
    def __init__(self, masks, indices: tuple):
        self.masks, self.indices = masks, indices

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return _UnpackedEach(self.masks, self.indices[i])
        return self.masks[self.indices[i]]


def mask_box(masks: np.ndarray) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1), exclusive, around the true pixels of ``masks`` (..., H, W) bool.

    (0, 0, 0, 0) when no pixel is true.

    Examples
    --------
    >>> mask_box(np.array([[[0, 0, 0], [0, 1, 0]], [[0, 0, 0], [0, 0, 1]]], bool))
    (1, 1, 3, 2)
    """
    union = masks.reshape(-1, *masks.shape[-2:]).any(axis=0)
    rows, columns = np.flatnonzero(union.any(axis=1)), np.flatnonzero(union.any(axis=0))
    if not len(rows):
        return (0, 0, 0, 0)
    return (int(columns[0]), int(rows[0]), int(columns[-1]) + 1, int(rows[-1]) + 1)


def crop_packed(masks: np.ndarray) -> tuple[tuple[int, int, int, int], PackedMasks]:
    """``masks`` (K, H, W) bool cropped to the box around all of them, and packed.

    Returns
    -------
    box : tuple of int
        (x0, y0, x1, y1) as ``mask_box`` gives it.
    crop : PackedMasks of shape (K, y1 - y0, x1 - x0)
    """
    x0, y0, x1, y1 = mask_box(masks)
    return (x0, y0, x1, y1), PackedMasks.pack(masks[:, y0:y1, x0:x1])


@dataclass(frozen=True, eq=False)
class CandidateMasks:
    """The three candidate masks of some prompts, each prompt's cropped to their common box.

    Indexing by a kept prompt index gives what a (P, 3, H, W) bool array would:
    ``masks[p]`` is (3, H, W), ``masks[p, k]`` (H, W) and ``masks[p, k, y0:y1, x0:x1]`` a crop;
    pixels outside the box are False. Any other prompt index raises ``KeyError``.

    Attributes
    ----------
    prompts : tuple of int
        The prompt indices whose candidates are kept, ascending.
    boxes : ndarray of shape (S, 4), dtype int64
        (x0, y0, x1, y1), exclusive, around each kept prompt's three candidates; all zero when
        the three are empty.
    crops : tuple of S PackedMasks of shape (3, y1 - y0, x1 - x0)
    image_shape : tuple of int
        (H, W) of the image.
    """

    prompts: tuple[int, ...]
    boxes: np.ndarray
    crops: tuple[PackedMasks, ...]
    image_shape: tuple[int, int]

    @classmethod
    def crop(cls, candidates: dict[int, np.ndarray], image_shape: tuple[int, int]) -> "CandidateMasks":
        """Keep ``candidates`` (prompt index -> (3, H, W) bool), each cropped to its box and packed.

        Examples
        --------
        >>> masks = np.zeros((3, 4, 5), bool)
        >>> masks[1, 1:3, 2] = True
        >>> kept = CandidateMasks.crop({7: masks}, (4, 5))
        >>> kept.boxes.tolist(), kept.crops[0].shape, 7 in kept, 6 in kept
        ([[2, 1, 3, 3]], (3, 2, 1), True, False)
        >>> bool(np.array_equal(kept[7], masks)), kept[7, 1, 1:3, 1:4].astype(int).tolist()
        (True, [[0, 1, 0], [0, 1, 0]])
        """
        return cls.assemble({p: crop_packed(masks) for p, masks in candidates.items()}, image_shape)

    @classmethod
    def assemble(
        cls, crops: dict[int, tuple[tuple[int, int, int, int], PackedMasks]], image_shape: tuple[int, int]
    ) -> "CandidateMasks":
        """From prompt index -> (box, packed crop) pairs as ``crop_packed`` makes them."""
        prompts = tuple(sorted(crops))
        boxes = np.array([crops[p][0] for p in prompts], np.int64).reshape(-1, 4)
        packed = tuple(crops[p][1] for p in prompts)
        return cls(prompts, boxes, packed, (int(image_shape[0]), int(image_shape[1])))

    def __contains__(self, prompt_index) -> bool:
        return prompt_index in self.prompts

    def __len__(self) -> int:
        return len(self.prompts)

    def __getitem__(self, index) -> np.ndarray:
        index = index if isinstance(index, tuple) else (index,)
        prompt_index, rest = index[0], index[1:]
        if prompt_index not in self.prompts:
            raise KeyError(f"the candidates of prompt {prompt_index} were not kept (kept: {list(self.prompts)})")
        position = self.prompts.index(prompt_index)
        x0, y0, x1, y1 = self.boxes[position]
        full = np.zeros((3, *self.image_shape), bool)
        full[:, y0:y1, x0:x1] = self.crops[position][:]
        return full[rest] if rest else full

    def each(self, indices: Sequence) -> Sequence[np.ndarray]:
        """The masks at ``indices`` (each an index as above), unpacked one at a time as they are read."""
        return _UnpackedEach(self, tuple(indices))

    @property
    def nbytes(self) -> int:
        """Bytes the packed crops hold."""
        return sum(crop.bits.nbytes for crop in self.crops)
