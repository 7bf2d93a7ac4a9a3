"""Compact stores of full-resolution boolean masks: packed eight pixels to a byte and deflated, or cropped.

SAM's masks are full-resolution: on a 6000x4000 photo one mask is 24 MB as a bool array and 3 MB
packed. A prompt-heavy photo has hundreds of prompts (910 with every region prompted), so packed
masks alone would be 2.7 GB. But each mask is SAM's 256x256 logits upsampled and thresholded:
its packed rows repeat and deflate several times over (trained weights give a few transitions per
row and shrink the most). So the pipeline keeps every chosen mask packed and deflated
(``PackedMasks``), and the candidates only of the prompts step 14 shows, cropped to their box
too (``CandidateMasks``). Both inflate only what is indexed, one mask at a time.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

#: zlib's fastest level: masks compress about as well at 1 as at 6, four times faster.
DEFLATE_LEVEL = 1


def deflate_mask(mask: np.ndarray) -> bytes:
    """One (H, W) bool mask packed along the width (``np.packbits``) and deflated."""
    return zlib.compress(np.packbits(np.asarray(mask, dtype=bool), axis=-1).tobytes(), DEFLATE_LEVEL)


@dataclass(frozen=True, eq=False)
class PackedMasks:
    """Boolean masks stored eight pixels to a byte, each mask deflated on its own.

    Indexing inflates only what it selects, so ``masks[p]``, ``masks[p, k]``,
    ``masks[rows, best]`` and ``masks[p, k, y0:y1, x0:x1]`` give the bool arrays a plain
    (..., H, W) array would. The true pixels of each mask are counted once, when it is packed.

    Attributes
    ----------
    blobs : tuple of bytes
        One per mask, in C order over the leading dimensions: the (H, ceil(W / 8)) packed rows,
        deflated. The padding bits of each row's last byte are zero.
    shape : tuple of int
        (..., H, W), the shape of the bool array the masks stand for.
    counts : ndarray of shape ``shape[:-2]``, dtype int64
        True pixels of each mask.
    """

    blobs: tuple[bytes, ...]
    shape: tuple[int, ...]
    counts: np.ndarray

    @classmethod
    def pack(cls, masks: np.ndarray) -> "PackedMasks":
        masks = np.asarray(masks, dtype=bool)
        each = masks.reshape(int(np.prod(masks.shape[:-2])), *masks.shape[-2:])
        counts = np.array([np.count_nonzero(m) for m in each], np.int64).reshape(masks.shape[:-2])
        return cls(tuple(deflate_mask(m) for m in each), tuple(masks.shape), counts)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def nbytes(self) -> int:
        """Bytes the deflated masks hold."""
        return sum(len(blob) for blob in self.blobs)

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, index) -> np.ndarray:
        index = index if isinstance(index, tuple) else (index,)
        leading, last = index[: self.ndim - 2], index[self.ndim - 2 :]
        positions = self._positions()[leading]
        if positions.ndim == 0:
            masks = self._unpacked(int(positions))
        else:
            masks = np.empty((*positions.shape, *self.shape[-2:]), bool)
            for where, position in np.ndenumerate(positions):
                masks[where] = self._unpacked(int(position))
        return masks[(slice(None),) * positions.ndim + last] if last else masks

    def each(self, indices: Sequence) -> Sequence[np.ndarray]:
        """The masks at ``indices`` (each an index as above), inflated one at a time as they are
        read: 150 candidates of a 6000x4000 image would be 3.6 GB unpacked at once."""
        return _UnpackedEach(self, tuple(indices))

    def subset(self, indices: Sequence[int]) -> "PackedMasks":
        """The masks at ``indices`` along the first axis, still packed.

        >>> PackedMasks.pack(np.array([[[1, 0]], [[0, 1]], [[1, 1]]], bool)).subset([2, 0])[:].tolist()
        [[[True, True]], [[True, False]]]
        """
        indices = list(indices)
        positions = self._positions()[indices].ravel()
        return PackedMasks(
            tuple(self.blobs[p] for p in positions), (len(indices), *self.shape[1:]), self.counts[indices]
        )

    def pixel_counts(self) -> np.ndarray:
        """True pixels of each mask, of shape ``shape[:-2]``, int64 (nothing is inflated).

        Examples
        --------
        >>> PackedMasks.pack(np.array([[[1, 0, 1]], [[0, 0, 0]]], bool)).pixel_counts().tolist()
        [2, 0]
        """
        return self.counts.copy()

    def packed_chunks(self, columns: int) -> Iterator[np.ndarray]:
        """The packed bytes of every mask, row after row, ``columns`` bytes at a time.

        Yields arrays of shape (number of masks, at most ``columns``), uint8, from consecutive
        stretches of each mask's flattened packed rows; each mask is inflated as a stream, so
        only one chunk of each is ever held.
        """
        total = self.shape[-2] * -(-self.shape[-1] // 8)
        streams = [zlib.decompressobj() for _ in self.blobs]
        pending = list(self.blobs)
        for start in range(0, total, columns):
            size = min(columns, total - start)
            chunk = np.empty((len(streams), size), np.uint8)
            for k, stream in enumerate(streams):
                data = stream.decompress(pending[k], size)
                pending[k] = stream.unconsumed_tail
                if len(data) != size:
                    raise ValueError(f"mask {k} inflated to fewer bytes than its shape {self.shape[-2:]} needs")
                chunk[k] = np.frombuffer(data, np.uint8)
            yield chunk

    def _positions(self) -> np.ndarray:
        return np.arange(len(self.blobs)).reshape(self.shape[:-2])

    def _unpacked(self, position: int) -> np.ndarray:
        height, width = self.shape[-2:]
        packed = np.frombuffer(zlib.decompress(self.blobs[position]), np.uint8).reshape(height, -(-width // 8))
        return np.unpackbits(packed, axis=-1, count=width).view(bool)


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
        return sum(crop.nbytes for crop in self.crops)
