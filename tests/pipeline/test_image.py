import re
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from sitegen.errors import ImageError
from sitegen.pipeline.image import load_image, to_uint8_gray


def saved(tmp_path, image, name, **params):
    path = tmp_path / name
    image.save(path, **params)
    return path


def gray_rgb(values):
    values = np.asarray(values, np.uint8)
    return np.repeat(values[..., None], 3, axis=-1).tolist()


def test_mode_1(tmp_path):
    image = Image.new("1", (3, 1))
    image.putdata([0, 1, 0])
    result = load_image(saved(tmp_path, image, "bits.png"))
    assert result.rgb.tolist() == gray_rgb([[0, 255, 0]])
    assert result.rgb.dtype == np.uint8 and result.name == "bits.png"
    assert result.original_size == (3, 1) and result.warnings == ()


def test_mode_l(tmp_path):
    image = Image.fromarray(np.array([[0, 77], [200, 255]], np.uint8))
    assert load_image(saved(tmp_path, image, "gray.png")).rgb.tolist() == gray_rgb([[0, 77], [200, 255]])


def test_mode_la_composited_on_white(tmp_path):
    image = Image.new("LA", (3, 1))
    image.putdata([(100, 0), (100, 255), (100, 128)])
    rgb = load_image(saved(tmp_path, image, "gray_alpha.png")).rgb
    assert rgb[0, :2].tolist() == [[255, 255, 255], [100, 100, 100]]
    half = 100 * 128 / 255 + 255 * (1 - 128 / 255)  # 177.2
    assert np.abs(rgb[0, 2].astype(int) - half).max() <= 1


def test_mode_p_and_p_with_transparency(tmp_path):
    image = Image.new("P", (3, 1))
    image.putpalette([255, 0, 0, 0, 128, 0, 10, 20, 30])
    image.putdata([0, 1, 2])
    assert load_image(saved(tmp_path, image, "palette.png")).rgb.tolist() == [[[255, 0, 0], [0, 128, 0], [10, 20, 30]]]
    path = saved(tmp_path, image, "palette_transparent.png", transparency=1)
    assert Image.open(path).info["transparency"] == 1
    assert load_image(path).rgb.tolist() == [[[255, 0, 0], [255, 255, 255], [10, 20, 30]]]


def test_mode_rgba_composited_on_white(tmp_path):
    image = Image.new("RGBA", (2, 1))
    image.putdata([(10, 20, 30, 0), (10, 20, 30, 255)])
    assert load_image(saved(tmp_path, image, "rgba.png")).rgb.tolist() == [[[255, 255, 255], [10, 20, 30]]]


def test_mode_i16_divided_by_257(tmp_path):
    path = saved(tmp_path, Image.fromarray(np.array([[0, 25700, 65535, 128]], np.uint16)), "deep.png")
    assert Image.open(path).mode == "I;16"
    assert load_image(path).rgb.tolist() == gray_rgb([[0, 100, 255, 0]])


def test_mode_i_scaled_by_its_maximum(tmp_path):
    path = saved(tmp_path, Image.fromarray(np.array([[0, 500, 1000, -5]], np.int32)), "wide.tif")
    assert Image.open(path).mode == "I"
    assert load_image(path).rgb.tolist() == gray_rgb([[0, 128, 255, 0]])


def test_mode_f_in_unit_range_multiplied_by_255(tmp_path):
    path = saved(tmp_path, Image.fromarray(np.array([[0.0, 0.5, 1.0, np.nan]], np.float32)), "float.tif")
    assert Image.open(path).mode == "F"
    assert load_image(path).rgb.tolist() == gray_rgb([[0, 128, 255, 0]])


@pytest.mark.parametrize(
    ("values", "mode", "expected"),
    [
        ([0, 100, 200], "I", [0, 100, 200]),  # already 8-bit values: kept
        ([0, 3000, 65535], "I", [0, 12, 255]),  # scaled by the maximum
        ([0.0, 2.0, 200.0], "F", [0, 2, 200]),  # above 1 but within 0..255: kept
        ([-1.0, 0.25, np.inf, 510.0], "F", [0, 0, 0, 255]),  # inf -> 0, then scaled by 510
    ],
)
def test_wide_gray_scaling_rules(values, mode, expected):
    dtype = np.int32 if mode == "I" else np.float32
    assert to_uint8_gray(np.array([values], dtype), mode).tolist() == [expected]


def test_mode_cmyk(tmp_path):
    image = Image.new("CMYK", (3, 1))
    image.putdata([(0, 0, 0, 0), (255, 0, 0, 0), (0, 0, 0, 255)])
    path = saved(tmp_path, image, "print.tif")
    assert Image.open(path).mode == "CMYK"
    assert load_image(path).rgb.tolist() == [[[255, 255, 255], [0, 255, 255], [0, 0, 0]]]


def test_exif_orientation_6_is_applied(tmp_path):
    array = np.zeros((20, 40, 3), np.uint8)  # 40 wide, 20 high
    array[...] = (0, 0, 255)
    array[:8, :8] = (255, 0, 0)  # a red block in the stored top-left corner
    image = Image.fromarray(array)
    exif = image.getexif()
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to display
    path = saved(tmp_path, image, "phone.jpg", exif=exif, quality=95)
    result = load_image(path)
    assert result.rgb.shape == (40, 20, 3)
    assert result.original_size == (20, 40)
    red, blue = result.rgb[3, 16].astype(int), result.rgb[3, 3].astype(int)  # top-right vs top-left
    assert red[0] > 200 and red[2] < 60
    assert blue[2] > 200 and blue[0] < 60


def test_animated_image_uses_the_first_frame(tmp_path):
    frames = [Image.new("RGB", (4, 4), (255, 0, 0)), Image.new("RGB", (4, 4), (0, 0, 255))]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100)
    result = load_image(path)
    assert (result.rgb == (255, 0, 0)).all()
    assert result.warnings == ("anim.gif: animated image with 2 frames; only the first frame is used",)


def test_large_image_downscaled_keeping_aspect_with_a_warning(tmp_path):
    path = saved(tmp_path, Image.new("RGB", (64, 48), (10, 200, 30)), "big.png")
    result = load_image(path, max_pixels=1024)
    # scale sqrt(1024 / 3072) = 0.577: 64 -> 36, 48 -> 27 (972 pixels).
    assert result.rgb.shape == (27, 36, 3)
    assert (result.rgb == (10, 200, 30)).all()
    assert result.original_size == (64, 48)
    assert result.warnings == (
        "big.png: downscaled from 64x48 (3,072 pixels) to 36x27 to stay within --max-pixels 1,024",
    )


def test_image_beyond_four_times_max_pixels_is_refused_before_decoding(tmp_path):
    path = saved(tmp_path, Image.new("RGB", (100, 50)), "huge.png")
    with pytest.raises(ImageError, match=r"huge\.png: 100x50 is 5,000 pixels, more than 4 x --max-pixels \(4,096\)"):
        load_image(path, max_pixels=1024)


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def test_pillow_decompression_bomb_becomes_an_image_error(tmp_path):
    header = png_chunk(b"IHDR", struct.pack(">IIBBBBB", 20_000, 20_000, 8, 0, 0, 0, 0))
    path = tmp_path / "bomb.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + header + png_chunk(b"IEND", b""))
    with pytest.raises(ImageError, match=r"bomb\.png: refused by Pillow as a possible decompression bomb"):
        load_image(path, max_pixels=100_000_000)


def truncated(tmp_path, name, keep):
    """The first ``keep`` (a fraction) of an image file of random pixels, whose data fills most of it."""
    rng = np.random.default_rng(0)
    data = saved(tmp_path, Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)), name).read_bytes()
    return data[: int(len(data) * keep)]


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.png", lambda tmp: b"", "file is empty (0 bytes)"),
        ("notes.png", lambda tmp: b"this is just text\n", "not an image Pillow can read"),
        ("cut.png", lambda tmp: truncated(tmp, "full.png", 0.5), "cannot decode the image"),
        ("cut.jpg", lambda tmp: truncated(tmp, "full.jpg", 0.5), "cannot decode the image"),
        ("cut_header.jpg", lambda tmp: truncated(tmp, "full.jpg", 0.05), "cannot decode the image"),
    ],
)
def test_bad_files_are_one_line_errors_naming_the_file(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content(tmp_path))
    with pytest.raises(ImageError) as caught:
        load_image(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: {reason}")
    assert "\n" not in message


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(ImageError, match=f"^{re.escape(str(tmp_path / 'gone.png'))}: file not found"):
        load_image(tmp_path / "gone.png")
    with pytest.raises(ImageError, match=f"^{re.escape(str(tmp_path))}: is a folder"):
        load_image(tmp_path)
