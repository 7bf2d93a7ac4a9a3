"""Pictures of the interactive figures, as the assets they travel in (WebP photos, indexed PNGs).

Pictures are never pixel arrays in a figure: they are ``layout.images`` whose source is
``"asset:<name>"``, a key of the step's assets (the site writer saves the PNG and swaps in its
URL; Plotly's image trace would read pixels through a canvas, which file:// pages may not do).
The raw photo is the same asset (``PHOTO_ASSET``, same bytes) in every figure of an image.
"""

from __future__ import annotations

import numpy as np

from sitegen.figures.canvas import encode_webp
from sitegen.figures.memo import remember_last
from sitegen.figures.overlay import VIRIDIS, Frame
from sitegen.figures.png import encode_palette_png, encode_png


PHOTO_ASSET = "photo"
ASSET_MAX_SIDE = 800


def asset_frame(height: int, width: int) -> Frame:
    """Asset size: shrunk to ``ASSET_MAX_SIDE``, tiny images enlarged (browsers blur stretched pixels)."""
    return Frame.fit(height, width, ASSET_MAX_SIDE, ASSET_MAX_SIDE)


@remember_last
def photo_asset(rgb: np.ndarray) -> bytes:
    """The photo as a lossy WebP asset of at most ``ASSET_MAX_SIDE`` px.

    A fifth of a 256-colour PNG's bytes (31 kB against 150 kB for a 512 px photo), and unlike
    the palette it does not band skies. Encoded once per image: 15 figures of an image show it,
    and the site writes it once (equal assets share one file).
    """
    return encode_webp(asset_frame(*rgb.shape[:2]).photo(rgb))


def layer_frame(height: int, width: int, max_side: int = 400) -> Frame:
    """The size of a picture layer asset (label colours, masks, thresholds) of an image.

    Sample a layer's inputs to this frame and build the layer there, not at full resolution:
    that is all the browser gets, and nearest neighbour keeps label colours exact. Then
    ``encode_indexed`` gives the PNG an 8-bit palette (several times smaller).
    """
    return Frame.fit(height, width, max_side, max_side)


def encode_indexed(image: np.ndarray) -> bytes:
    """PNG of an (H, W, 3 or 4) uint8 array, palette-based when it has at most 256 colours."""
    channels = image.shape[2]
    packed = np.zeros(image.shape[:2], np.uint32)
    for c in range(channels):
        packed = (packed << 8) | image[..., c]
    codes, index = np.unique(packed.ravel(), return_inverse=True)
    if len(codes) > 256:
        return encode_png(image)
    colours = np.stack([(codes >> (8 * (channels - 1 - c))) & 255 for c in range(channels)], axis=1).astype(
        np.uint8
    )
    return encode_palette_png(index.reshape(image.shape[:2]).astype(np.uint8), colours, ordered=False)


#: Heatmap assets' longest side: maps are smooth (SCLIP works on 16 px patches).
HEATMAP_SIDE = 320


def heatmap_asset(values: np.ndarray, vmin: float, vmax: float, max_side: int = HEATMAP_SIDE) -> bytes:
    """An (H, W) float map as a viridis PNG asset with an 8-bit palette (a quarter of RGB's bytes).

    Maps are smooth (SCLIP works on 16 px patches), so 320 px across loses little.
    """
    frame = Frame.fit(values.shape[0], values.shape[1], max_side, max_side)
    return heatmap_png(frame.sample(values), vmin, vmax)


def heatmap_png(values: np.ndarray, vmin: float, vmax: float) -> bytes:
    """An (h, w) float map, already at its display size, as a viridis PNG with an 8-bit palette.

    The 8-bit value of each pixel is its palette index, so the browser colours it from the
    PNG's own viridis palette (a quarter of RGB's bytes, and rows stored as differences).
    """
    index = np.clip((values - vmin) / ((vmax - vmin) or 1.0), 0, 1) * (len(VIRIDIS) - 1)
    return encode_palette_png(np.round(index).astype(np.uint8), VIRIDIS, ordered=True)
