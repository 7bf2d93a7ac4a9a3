"""Resize and sliding-window geometry, on hand-computed cases."""

import numpy as np
import pytest

from sitegen.models.windows import resized_size, sliding_windows


@pytest.mark.parametrize(
    ("size", "short_side", "expected"),
    [
        ((640, 480), 336, (448, 336)),  # downscale, short side to 336
        ((100, 80), 336, (420, 336)),  # upscale
        ((333, 500), 336, (336, 505)),  # portrait: 500 * 336 / 333 = 504.6 -> 505
        ((10_000, 100), 336, (2048, 20)),  # long side capped: scale 0.2048
        ((300, 250), 224, (269, 224)),  # 268.8 rounds to 269
    ],
)
def test_resized_size(size, short_side, expected):
    assert resized_size(*size, short_side) == expected


def test_windows_shift_the_last_one_back_inside_the_image():
    boxes = sliding_windows(288, 240, 224, 112)
    assert boxes.dtype == np.int32
    assert boxes.tolist() == [[0, 0, 224, 224], [64, 0, 288, 224], [0, 16, 224, 240], [64, 16, 288, 240]]


def test_windows_cover_exact_multiples_without_extra_windows():
    boxes = sliding_windows(448, 224, 224, 112)
    assert boxes.tolist() == [[0, 0, 224, 224], [112, 0, 336, 224], [224, 0, 448, 224]]


def test_image_smaller_than_a_window_is_one_window():
    assert sliding_windows(125, 100, 224, 112).tolist() == [[0, 0, 125, 100]]


def test_axis_shorter_than_the_window_gets_full_height_windows():
    boxes = sliding_windows(400, 90, 224, 112)
    assert boxes.tolist() == [[0, 0, 224, 90], [112, 0, 336, 90], [176, 0, 400, 90]]


def test_every_pixel_is_covered():
    boxes = sliding_windows(517, 301, 160, 80)
    count = np.zeros((301, 517), int)
    for x0, y0, x1, y1 in boxes:
        count[y0:y1, x0:x1] += 1
    assert count.min() >= 1
    assert set(map(tuple, boxes[:, 2:] - boxes[:, :2])) == {(160, 160)}
