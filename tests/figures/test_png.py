import io

import numpy as np
import pytest
from PIL import Image

from sitegen.figures.png import encode_palette_png, encode_png


@pytest.mark.parametrize("shape", [(1, 1, 3), (7, 13, 3), (40, 3, 4), (2, 300, 4)])
def test_pillow_decodes_exactly_the_pixels_written(shape):
    rng = np.random.default_rng(sum(shape))
    pixels = rng.integers(0, 256, shape, dtype=np.uint8)
    pixels[shape[0] // 2 :, : shape[1] // 2] = [200, 10, 30, 255][: shape[2]]  # a flat patch too
    decoded = Image.open(io.BytesIO(encode_png(pixels)))
    assert decoded.mode == ("RGB" if shape[2] == 3 else "RGBA")
    assert np.array_equal(np.asarray(decoded), pixels)


def test_flat_pictures_compress():
    picture = np.full((600, 800, 3), 255, np.uint8)
    picture[100:300, 200:500] = [0, 114, 178]
    assert len(encode_png(picture)) < 10_000  # of 1.44 MB


@pytest.mark.parametrize("bad", [np.zeros((4, 4), np.uint8), np.zeros((4, 4, 3), np.float32), np.zeros((0, 4, 3), np.uint8)])
def test_other_arrays_are_refused(bad):
    with pytest.raises(ValueError, match="uint8"):
        encode_png(bad)


@pytest.mark.parametrize("ordered", [True, False])
@pytest.mark.parametrize("channels", [3, 4])
def test_palette_pictures_decode_to_their_colours(ordered, channels):
    rng = np.random.default_rng(channels)
    colours = rng.integers(0, 256, (7, channels), dtype=np.uint8)
    index = rng.integers(0, 7, (9, 11), dtype=np.uint8)
    index[:, :3] = np.arange(9)[:, None] % 7  # rows that differ, so "Up" has work to do
    decoded = Image.open(io.BytesIO(encode_palette_png(index, colours, ordered=ordered)))
    assert decoded.mode == "P"
    assert np.array_equal(np.asarray(decoded.convert("RGBA" if channels == 4 else "RGB")), colours[index])


def test_a_smooth_heat_map_takes_fewer_bytes_as_row_differences():
    ramp = (np.add.outer(np.arange(200), np.arange(300)) * 255 // 500).astype(np.uint8)
    ramp = (ramp + np.random.default_rng(0).integers(0, 2, ramp.shape)).astype(np.uint8)
    grey = np.repeat(np.arange(256, dtype=np.uint8)[:, None], 3, axis=1)
    assert len(encode_palette_png(ramp, grey, ordered=True)) < 0.8 * len(encode_palette_png(ramp, grey, ordered=False))


@pytest.mark.parametrize(
    ("index", "colours"),
    [
        (np.zeros((4, 4), np.int32), np.zeros((2, 3), np.uint8)),
        (np.zeros((4, 4), np.uint8), np.zeros((257, 3), np.uint8)),
        (np.zeros((4, 4), np.uint8), np.zeros((2, 2), np.uint8)),
    ],
)
def test_bad_palette_pictures_are_refused(index, colours):
    with pytest.raises(ValueError, match="uint8"):
        encode_palette_png(index, colours, ordered=False)
