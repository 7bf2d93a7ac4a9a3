import io

import numpy as np
import pytest
from PIL import Image

from sitegen.figures.png import encode_png


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
