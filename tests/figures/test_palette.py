"""Class colours: the fixed colour-blind-aware set first, golden-ratio hues after, all distinct."""

from __future__ import annotations

import colorsys
import itertools

import numpy as np
import pytest

from sitegen.figures.palette import FIXED_COLOURS, make_palette


def test_first_colours_are_okabe_ito_without_black():
    palette = make_palette(3)
    assert palette.colours == ((230, 159, 0), (86, 180, 233), (0, 158, 115))
    assert palette.hex(0) == "#e69f00"
    assert palette.colour(2) == (0, 158, 115)


def test_later_colours_step_the_hue_by_the_golden_ratio():
    palette = make_palette(13)
    for step, colour in enumerate(palette.colours[len(FIXED_COLOURS) :]):
        hue = (0.33 + step * 0.6180339887498949) % 1.0
        expected = tuple(round(255 * v) for v in colorsys.hls_to_rgb(hue, 0.5, 0.65))
        assert colour == expected


def test_thirty_classes_stay_more_than_30_apart():
    colours = np.array(make_palette(30).colours, float)
    closest = min(np.linalg.norm(a - b) for a, b in itertools.combinations(colours, 2))
    assert closest > 30


def test_no_black_or_white_for_overlays():
    for colour in make_palette(40).colours:
        assert 40 < sum(colour) / 3 < 235


def test_palette_is_stable_and_prefix_consistent():
    assert make_palette(30).colours[:5] == make_palette(5).colours
    assert make_palette(0).colours == ()
    with pytest.raises(IndexError):
        make_palette(2).colour(2)
