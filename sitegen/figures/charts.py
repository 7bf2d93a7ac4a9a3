"""Small charts drawn with Pillow for the PNGs: histograms, bar charts and text tables.

Each returns an (h, w, 3) uint8 array that ``canvas.compose`` places as a panel, so charts and
pictures share one layout.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from sitegen.figures.canvas import FRAME, INK, MUTED, RGB, WHITE, font, line_height, text_width, wrap_text
from sitegen.figures.overlay import DROPPED_RED

TICK_SIZE = 13
LEFT, RIGHT, TOP, BOTTOM = 64, 18, 14, 52


def _plot_area(size: tuple[int, int]) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) of the axes inside a chart of (height, width)."""
    height, width = size
    return LEFT, TOP, width - RIGHT, height - BOTTOM


def _axes(image: Image.Image, size: tuple[int, int], xlabel: str, ylabel: str) -> None:
    """Axis lines, the x label under the axis and the y label turned upright on the left."""
    draw = ImageDraw.Draw(image)
    x0, y0, x1, y1 = _plot_area(size)
    draw.line((x0, y0, x0, y1, x1, y1), fill=INK, width=1)
    draw.text(((x0 + x1) // 2, size[0] - 4), xlabel, font=font(TICK_SIZE), fill=INK, anchor="md")
    label = Image.new("RGB", (text_width(ylabel, TICK_SIZE) + 4, line_height(TICK_SIZE)), WHITE)
    ImageDraw.Draw(label).text((2, 0), ylabel, font=font(TICK_SIZE), fill=INK)
    rotated = label.rotate(90, expand=True)
    image.paste(rotated, (4, max(0, (y0 + y1) // 2 - rotated.height // 2)))


def _x_ticks(draw: ImageDraw.ImageDraw, size, lo: float, hi: float, count: int = 5) -> None:
    x0, _, x1, y1 = _plot_area(size)
    for value in np.linspace(lo, hi, count):
        x = x0 + (value - lo) / ((hi - lo) or 1.0) * (x1 - x0)
        draw.line((x, y1, x, y1 + 4), fill=INK)
        draw.text((x, y1 + 6), f"{value:.3g}", font=font(TICK_SIZE), fill=INK, anchor="ma")


def _y_tick(draw: ImageDraw.ImageDraw, size, y: float, label: str) -> None:
    x0 = _plot_area(size)[0]
    draw.line((x0 - 4, y, x0, y), fill=INK)
    draw.text((x0 - 6, y), label, font=font(TICK_SIZE), fill=INK, anchor="rm")


def _threshold_line(draw: ImageDraw.ImageDraw, size, x: float, label: str) -> None:
    _, y0, x1, y1 = _plot_area(size)
    draw.line((x, y0, x, y1), fill=DROPPED_RED, width=2)
    anchor = "ra" if x > (x1 - 90) else "la"
    draw.text(
        (x + (-4 if anchor == "ra" else 4), y0 + 2),
        label,
        font=font(TICK_SIZE),
        fill=DROPPED_RED,
        anchor=anchor,
    )


def histogram_chart(
    counts: np.ndarray,
    edges: np.ndarray,
    size: tuple[int, int],
    *,
    colour: RGB,
    xlabel: str,
    ylabel: str = "pixels",
    threshold: float | None = None,
    threshold_label: str = "",
) -> np.ndarray:
    """A bar histogram with an optional red vertical threshold line.

    Parameters
    ----------
    counts : ndarray of shape (B,)
    edges : ndarray of shape (B + 1,)
        Bin edges, increasing.
    size : tuple of int
        (height, width) of the chart in px.
    """
    image = Image.new("RGB", (size[1], size[0]), WHITE)
    draw = ImageDraw.Draw(image)
    x0, y0, x1, y1 = _plot_area(size)
    lo, hi = float(edges[0]), float(edges[-1])
    top = max(1, int(counts.max())) if len(counts) else 1

    def to_x(value: float) -> float:
        return x0 + (value - lo) / ((hi - lo) or 1.0) * (x1 - x0)

    for count, left, right in zip(counts, edges[:-1], edges[1:]):
        if count > 0:
            bar_top = y1 - count / top * (y1 - y0)
            draw.rectangle((to_x(left), bar_top, max(to_x(left), to_x(right) - 1), y1), fill=colour)
    _axes(image, size, xlabel, ylabel)
    _x_ticks(draw, size, lo, hi)
    _y_tick(draw, size, y1, "0")
    _y_tick(draw, size, y0, f"{top:,}")
    if threshold is not None:
        _threshold_line(draw, size, to_x(threshold), threshold_label)
    return np.asarray(image)


def bar_chart(
    values: np.ndarray,
    colours: list[RGB],
    size: tuple[int, int],
    *,
    xlabel: str,
    ylabel: str,
    threshold: float | None = None,
    threshold_label: str = "",
) -> np.ndarray:
    """Bars on a log10 value axis (sizes spanning 1 to 10^6 px stay visible), one per value.

    A horizontal red line marks ``threshold`` when given.
    """
    image = Image.new("RGB", (size[1], size[0]), WHITE)
    draw = ImageDraw.Draw(image)
    x0, y0, x1, y1 = _plot_area(size)
    top = max(10.0, float(np.max(values, initial=1)), threshold or 1.0)
    decades = int(np.ceil(np.log10(top)))

    def to_y(value: float) -> float:
        return y1 - np.log10(max(value, 1.0)) / decades * (y1 - y0) if value > 0 else y1

    width = (x1 - x0) / max(1, len(values))
    for i, (value, colour) in enumerate(zip(values, colours)):
        left = x0 + i * width
        draw.rectangle((left + 1, min(to_y(value), y1 - 2), max(left + 1, left + width - 2), y1), fill=colour)
    _axes(image, size, xlabel, ylabel)
    for d in range(decades + 1):
        _y_tick(draw, size, to_y(10**d), f"{10**d:,}")
    if threshold is not None:
        y = to_y(threshold)
        draw.line((x0, y, x1, y), fill=DROPPED_RED, width=2)
        draw.text((x1 - 4, y - 3), threshold_label, font=font(TICK_SIZE), fill=DROPPED_RED, anchor="rd")
    return np.asarray(image)


def table_image(
    header: list[str],
    rows: list[list[str]],
    *,
    max_width: int,
    swatches: list[RGB] | None = None,
    size: int = 15,
) -> np.ndarray:
    """A text table; the widest columns wrap so the table fits ``max_width``.

    With ``swatches`` the first column of each row starts with a colour square.
    """
    pad = 10
    swatch = size if swatches else 0
    natural = [
        max(text_width(cell, size) for cell in [name, *(r[c] for r in rows)])
        + 2 * pad
        + (swatch + 6 if c == 0 else 0)
        for c, name in enumerate(header)
    ]
    widths = list(natural)
    while sum(widths) > max_width and max(widths) > 120:
        widest = int(np.argmax(widths))
        widths[widest] = max(120, widths[widest] - (sum(widths) - max_width))
    cells = [
        [
            wrap_text(cell, size, w - 2 * pad - (swatch + 6 if c == 0 else 0)) or [""]
            for c, (cell, w) in enumerate(zip(row, widths))
        ]
        for row in [header, *rows]
    ]
    heights = [max(len(c) for c in row) * line_height(size) + pad for row in cells]
    image = Image.new("RGB", (sum(widths) + 1, sum(heights) + 1), WHITE)
    draw = ImageDraw.Draw(image)
    y = 0
    for r, (row, h) in enumerate(zip(cells, heights)):
        if r == 0:
            draw.rectangle((0, 0, sum(widths), h), fill=(235, 235, 235))
        x = 0
        for c, (lines, w) in enumerate(zip(row, widths)):
            text_x = x + pad
            if c == 0 and swatches and r > 0:
                draw.rectangle(
                    (text_x, y + pad // 2 + 3, text_x + swatch, y + pad // 2 + 3 + swatch),
                    fill=swatches[r - 1],
                    outline=MUTED,
                )
                text_x += swatch + 6
            for i, line in enumerate(lines):
                draw.text((text_x, y + pad // 2 + i * line_height(size)), line, font=font(size), fill=INK)
            x += w
        draw.line((0, y + h, sum(widths), y + h), fill=FRAME)
        y += h
    draw.rectangle((0, 0, sum(widths), sum(heights)), outline=FRAME)
    return np.asarray(image)
