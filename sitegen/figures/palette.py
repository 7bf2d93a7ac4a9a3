"""Class colours: one palette per site, so a class keeps its colour on every page.

The first ten colours are a fixed colour-blind-aware set (Okabe and Ito's seven without black,
then three of Paul Tol's muted colours); later classes get hues spaced by the golden ratio at a
fixed saturation and lightness, which keeps any number of classes apart. For up to 30 classes the
closest pair stays more than 30 apart in RGB (Euclidean, 0-255 per channel).
"""

from __future__ import annotations

import colorsys
from dataclasses import dataclass

RGB = tuple[int, int, int]

#: Okabe-Ito (orange, sky blue, bluish green, yellow, blue, vermillion, reddish purple), then
#: Paul Tol's teal, wine and olive. Black and white-ish colours are left out: they vanish in
#: overlays and outlines.
FIXED_COLOURS: tuple[RGB, ...] = (
    (230, 159, 0),
    (86, 180, 233),
    (0, 158, 115),
    (240, 228, 66),
    (0, 114, 178),
    (213, 94, 0),
    (204, 121, 167),
    (68, 170, 153),
    (136, 34, 85),
    (153, 153, 51),
)

GOLDEN_RATIO_CONJUGATE = 0.6180339887498949
FIRST_HUE = 0.33
SATURATION = 0.65
LIGHTNESS = 0.5


@dataclass(frozen=True)
class Palette:
    """One colour per class index, as 0-255 RGB triples."""

    colours: tuple[RGB, ...]

    def colour(self, index: int) -> RGB:
        """The class's colour; raises IndexError for an index the palette was not made for."""
        return self.colours[index]

    def hex(self, index: int) -> str:
        """The class's colour as ``#rrggbb`` (lower case), for Plotly and CSS."""
        return "#{:02x}{:02x}{:02x}".format(*self.colours[index])

    def __len__(self) -> int:
        return len(self.colours)


def golden_ratio_colour(step: int) -> RGB:
    """The ``step``-th generated colour: hue advanced by the golden ratio, fixed S and L."""
    hue = (FIRST_HUE + step * GOLDEN_RATIO_CONJUGATE) % 1.0
    r, g, b = colorsys.hls_to_rgb(hue, LIGHTNESS, SATURATION)
    return (round(255 * r), round(255 * g), round(255 * b))


def make_palette(num_classes: int) -> Palette:
    """Colours for ``num_classes`` classes: the fixed set first, then golden-ratio hues.

    >>> make_palette(2).hex(1)
    '#56b4e9'
    """
    if num_classes < 0:
        raise ValueError(f"num_classes must be 0 or more, got {num_classes}")
    fixed = FIXED_COLOURS[:num_classes]
    generated = tuple(golden_ratio_colour(i) for i in range(num_classes - len(fixed)))
    return Palette(colours=fixed + generated)
