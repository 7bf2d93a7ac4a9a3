"""Paper-ready PNGs with Pillow: panels with captions, a title, legends, colour bars, notes.

Every step's PNG is one ``compose`` call, so all of them share one look: white page, a title,
a grid of captioned panels, then a colour bar, a legend that wraps and plain-text notes. Runs with
random weights get a red banner across the top. The default Pillow font is a scalable FreeType
font but covers little beyond ASCII, so the texts drawn here stick to ASCII.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from sitegen.figures.png import encode_png

RGB = tuple[int, int, int]

MAX_WIDTH = 1600
MARGIN = 24
GAP = 16
MIN_WIDTH = 560

JPEG_QUALITY = 82
WEBP_QUALITY = 80

TITLE_SIZE = 24
CAPTION_SIZE = 16
TEXT_SIZE = 15

WHITE: RGB = (255, 255, 255)
INK: RGB = (25, 25, 25)
MUTED: RGB = (85, 85, 85)
FRAME: RGB = (200, 200, 200)
BANNER_RED: RGB = (190, 0, 0)
BANNER_HEIGHT = 40
BANNER_TEXT = "RANDOM WEIGHTS - masks are meaningless"


@dataclass(frozen=True)
class Panel:
    """One picture of a figure, shown at its own size with a caption above it.

    Attributes
    ----------
    image : ndarray of shape (h, w, 3), dtype uint8
        Already at display size.
    caption : str
        Wrapped to the panel's width.
    """

    image: np.ndarray
    caption: str = ""


@dataclass(frozen=True)
class LegendItem:
    """A legend entry: a marker drawn in ``colour`` and a label.

    ``marker`` is ``square`` (a filled swatch), ``outline`` (an empty square), ``circle`` or
    ``cross`` (the point prompt symbols).
    """

    label: str
    colour: RGB
    marker: str = "square"


@dataclass(frozen=True)
class ColourBar:
    """A horizontal colour ramp from ``vmin`` to ``vmax`` with end ticks and marked values.

    Attributes
    ----------
    ramp : ndarray of shape (N, 3), dtype uint8
        Colours from low to high.
    marks : tuple of (float, str)
        Values to mark with a red tick and a label (for example the min_confidence).
    """

    label: str
    vmin: float
    vmax: float
    ramp: np.ndarray
    marks: tuple[tuple[float, str], ...] = ()


@functools.cache
def font(size: int) -> ImageFont.FreeTypeFont:
    """Pillow's built-in scalable font at ``size`` px, loaded once per size.

    ``load_default`` decodes the font from base64 and opens it anew on every call, and an
    image's 18 steps measure and draw text about 1,700 times (0.05 s).
    """
    return ImageFont.load_default(size=size)


def line_height(size: int) -> int:
    return int(round(size * 1.35))


def text_width(text: str, size: int) -> int:
    return int(np.ceil(font(size).getlength(text)))


def wrap_text(text: str, size: int, width: int) -> list[str]:
    """Greedy word wrap of one paragraph to ``width`` px; over-long words are cut."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        while text_width(word, size) > width and len(word) > 1:
            cut = max(1, int(len(word) * width / text_width(word, size)) - 1)
            lines += [current] if current else []
            lines.append(word[:cut])
            current, word = "", word[cut:]
        candidate = f"{current} {word}" if current else word
        if text_width(candidate, size) <= width or not current:
            current = candidate
        else:
            lines.append(current)
            current = word
    return lines + ([current] if current else [])


def encode_jpeg(rgb: np.ndarray) -> bytes:
    """JPEG bytes of an (H, W, 3) uint8 array: for previews only, never for a paper figure.

    A thumbnail over a photo is about a sixth of its PNG's bytes at quality ``JPEG_QUALITY``.
    """
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb)).save(buffer, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return buffer.getvalue()


def encode_webp(rgb: np.ndarray, quality: int = WEBP_QUALITY) -> bytes:
    """Lossy WebP bytes of an (H, W, 3) uint8 photo or photo composite, for the pages only.

    At ``WEBP_QUALITY`` a 512 px photograph is about a fifth of its 256-colour PNG and a reader
    cannot tell it from the original on screen; paper figures stay lossless PNGs.
    """
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb)).save(buffer, format="WEBP", quality=quality, method=4)
    return buffer.getvalue()


def draw_text_block(
    draw: ImageDraw.ImageDraw, xy: tuple[int, int], lines: list[str], size: int, fill: RGB
) -> int:
    """Draw lines top-down from ``xy``; returns the height used."""
    x, y = xy
    for i, line in enumerate(lines):
        draw.text((x, y + i * line_height(size)), line, font=font(size), fill=fill)
    return len(lines) * line_height(size)


def draw_marker(draw: ImageDraw.ImageDraw, x: float, y: float, marker: str, colour: RGB, radius: int) -> None:
    """One legend or point marker centred on (x, y), outlined so it shows on any background."""
    box = (x - radius, y - radius, x + radius, y + radius)
    if marker == "circle":
        draw.ellipse(box, fill=colour, outline=WHITE, width=max(1, radius // 3))
    elif marker == "cross":
        for dx in (-radius, radius):
            draw.line((x - radius, y - dx, x + radius, y + dx), fill=WHITE, width=max(3, radius // 2 + 2))
        for dx in (-radius, radius):
            draw.line((x - radius, y - dx, x + radius, y + dx), fill=colour, width=max(2, radius // 2))
    elif marker == "outline":
        draw.rectangle(box, outline=colour, width=max(2, radius // 3))
    else:
        draw.rectangle(box, fill=colour, outline=MUTED)


def draw_markers(
    image: np.ndarray, xy: np.ndarray, marker: str, colours: list[RGB], radius: int = 7
) -> np.ndarray:
    """A copy of ``image`` with one marker per point.

    Parameters
    ----------
    xy : ndarray of shape (N, 2)
        Display pixel coordinates (XY).
    colours : list of (int, int, int)
        One colour per point.
    """
    canvas = Image.fromarray(image)
    draw = ImageDraw.Draw(canvas)
    for (x, y), colour in zip(np.asarray(xy, float), colours):
        draw_marker(draw, x, y, marker, colour, radius)
    return np.asarray(canvas)


def draw_labels(image: np.ndarray, labels: list[tuple[float, float, str]], size: int = 14) -> np.ndarray:
    """A copy of ``image`` with short texts centred on display points, haloed in white."""
    canvas = Image.fromarray(image)
    draw = ImageDraw.Draw(canvas)
    for x, y, text in labels:
        draw.text((x, y), text, font=font(size), fill=INK, anchor="mm", stroke_width=2, stroke_fill=WHITE)
    return np.asarray(canvas)


def draw_boxes(
    image: np.ndarray, boxes: list[tuple[float, float, float, float]], colours: list[RGB], width: int = 2
) -> np.ndarray:
    """A copy of ``image`` with rectangle outlines (display XY, x1/y1 exclusive)."""
    canvas = Image.fromarray(image)
    draw = ImageDraw.Draw(canvas)
    for (x0, y0, x1, y1), colour in zip(boxes, colours):
        draw.rectangle((x0, y0, x1 - 1, y1 - 1), outline=colour, width=width)
    return np.asarray(canvas)


def draw_banner(draw: ImageDraw.ImageDraw, width: int, height: int, text: str) -> None:
    """The red random-weights band across the top, its text as large as fits."""
    draw.rectangle((0, 0, width - 1, height - 1), fill=BANNER_RED)
    size = min(20, int(height * 0.55))
    while size > 8 and text_width(text, size) > width - 8:
        size -= 1
    draw.text((width // 2, height // 2), text, font=font(size), fill=WHITE, anchor="mm")


def banner_height(width: int, random_weights: bool) -> int:
    """Rows ``with_banner`` adds on top of a picture ``width`` px across (0 without random weights).

    >>> banner_height(320, True), banner_height(1400, True), banner_height(320, False)
    (22, 40, 0)
    """
    return max(16, min(BANNER_HEIGHT, width // 14)) if random_weights else 0


def with_banner(image: np.ndarray, random_weights: bool) -> np.ndarray:
    """``image`` with a red "RANDOM WEIGHTS" band on top when the run used random weights."""
    if not random_weights:
        return image
    height = banner_height(image.shape[1], random_weights)
    band = Image.new("RGB", (image.shape[1], height), BANNER_RED)
    draw_banner(
        ImageDraw.Draw(band),
        image.shape[1],
        height,
        "RANDOM WEIGHTS" if image.shape[1] < 420 else BANNER_TEXT,
    )
    return np.concatenate([np.asarray(band), image], axis=0)


def _legend_layout(items: tuple[LegendItem, ...], width: int) -> list[list[tuple[LegendItem, int]]]:
    """Items packed into rows of ``width`` px: each row a list of (item, x offset)."""
    rows: list[list[tuple[LegendItem, int]]] = [[]]
    x = 0
    for item in items:
        item_width = 18 + 8 + text_width(item.label, TEXT_SIZE) + 22
        if x and x + item_width > width:
            rows.append([])
            x = 0
        rows[-1].append((item, x))
        x += item_width
    return rows if rows[0] else []


def _fit_row(panels: list[Panel], width: int) -> list[Panel]:
    """Shrink a row's panels proportionally if together they are wider than ``width``."""
    total = sum(p.image.shape[1] for p in panels) + GAP * (len(panels) - 1)
    if total <= width:
        return panels
    scale = (width - GAP * (len(panels) - 1)) / (total - GAP * (len(panels) - 1))
    shrunk = []
    for p in panels:
        h, w = p.image.shape[:2]
        size = (max(1, int(w * scale)), max(1, int(h * scale)))
        shrunk.append(
            Panel(np.asarray(Image.fromarray(p.image).resize(size, Image.Resampling.BOX)), p.caption)
        )
    return shrunk


def _row_spans(count: int, columns: int, breaks: tuple[int, ...]) -> list[tuple[int, int]]:
    """(start, end) of each row: ``columns`` panels, or fewer where a break starts a new row."""
    spans, start = [], 0
    while start < count:
        end = min([start + columns, count, *(b for b in breaks if b > start)])
        spans.append((start, end))
        start = end
    return spans


def _colour_bar_height(bar: ColourBar) -> int:
    """The ramp, its end values and label below it and, with marks, a line of mark labels above."""
    return (line_height(TEXT_SIZE) if bar.marks else 0) + 16 + 6 + line_height(TEXT_SIZE) * 2


def _draw_colour_bar(canvas: Image.Image, bar: ColourBar, x: int, y: int, width: int) -> None:
    """Draw ``bar`` with its top-left corner at (x, y).

    Mark labels sit above the ramp, kept inside its width, so they never cover the end values
    below it (a min_confidence of 0.1 is right next to the 0).
    """
    draw = ImageDraw.Draw(canvas)
    small = font(TEXT_SIZE)
    if bar.marks:
        y += line_height(TEXT_SIZE)
    positions = np.linspace(0, len(bar.ramp) - 1, width).round().astype(int)
    strip = np.repeat(bar.ramp[positions][None], 16, axis=0)
    canvas.paste(Image.fromarray(strip), (x, y))
    draw.rectangle((x, y, x + width - 1, y + 15), outline=MUTED)
    text_y = y + 16 + 4
    draw.text((x, text_y), f"{bar.vmin:g}", font=small, fill=INK)
    draw.text((x + width, text_y), f"{bar.vmax:g}", font=small, fill=INK, anchor="ra")
    draw.text((x + width // 2, text_y + line_height(TEXT_SIZE)), bar.label, font=small, fill=INK, anchor="ma")
    for value, label in bar.marks:
        mx = x + int(round((value - bar.vmin) / (bar.vmax - bar.vmin or 1.0) * (width - 1)))
        draw.line((mx, y - 4, mx, y + 19), fill=BANNER_RED, width=3)
        half = text_width(label, TEXT_SIZE) / 2
        centre = min(max(mx, x + half), x + width - half)
        draw.text((centre, y - 5), label, font=small, fill=BANNER_RED, anchor="md")


def compose(
    title: str,
    panels: list[Panel],
    *,
    random_weights: bool,
    columns: int | None = None,
    breaks: tuple[int, ...] = (),
    legend: tuple[LegendItem, ...] = (),
    colour_bar: ColourBar | None = None,
    notes: tuple[str, ...] = (),
) -> bytes:
    """Lay out a titled figure and return it as PNG bytes.

    Parameters
    ----------
    title : str
        Drawn large at the top (wrapped).
    panels : list of Panel
        Filled row by row, ``columns`` per row (all in one row by default), and a new row also
        starts at each panel index in ``breaks``. A row wider than ``MAX_WIDTH`` is shrunk to fit.
    random_weights : bool
        Draw the red "RANDOM WEIGHTS" banner across the top.
    legend, colour_bar, notes
        Drawn below the panels in that order; notes are paragraphs of muted text.
    """
    columns = columns or max(1, len(panels))
    content_max = MAX_WIDTH - 2 * MARGIN
    rows = [_fit_row(panels[a:b], content_max) for a, b in _row_spans(len(panels), columns, breaks)]
    row_widths = [sum(p.image.shape[1] for p in row) + GAP * (len(row) - 1) for row in rows]
    content = max([MIN_WIDTH - 2 * MARGIN, *row_widths])
    width = content + 2 * MARGIN

    title_lines = wrap_text(title, TITLE_SIZE, content)
    captions = [[wrap_text(p.caption, CAPTION_SIZE, p.image.shape[1]) for p in row] for row in rows]
    caption_heights = [max((len(c) for c in row), default=0) * line_height(CAPTION_SIZE) for row in captions]
    row_heights = [max(p.image.shape[0] for p in row) for row in rows]
    legend_rows = _legend_layout(legend, content)
    note_lines = [wrap_text(note, TEXT_SIZE, content) for note in notes]

    height = (BANNER_HEIGHT if random_weights else 0) + MARGIN
    height += len(title_lines) * line_height(TITLE_SIZE) + GAP
    height += sum(c + 4 + r + GAP for c, r in zip(caption_heights, row_heights))
    height += (_colour_bar_height(colour_bar) + GAP) if colour_bar else 0
    height += len(legend_rows) * line_height(TEXT_SIZE) + (GAP if legend_rows else 0)
    height += sum(len(lines) * line_height(TEXT_SIZE) + 6 for lines in note_lines)
    height += MARGIN

    canvas = Image.new("RGB", (width, height), WHITE)
    draw = ImageDraw.Draw(canvas)
    y = 0
    if random_weights:
        draw_banner(draw, width, BANNER_HEIGHT, BANNER_TEXT)
        y = BANNER_HEIGHT
    y += MARGIN
    y += draw_text_block(draw, (MARGIN, y), title_lines, TITLE_SIZE, INK) + GAP
    for row, row_captions, caption_height, row_height in zip(rows, captions, caption_heights, row_heights):
        x = MARGIN
        for panel, lines in zip(row, row_captions):
            draw_text_block(draw, (x, y), lines, CAPTION_SIZE, INK)
            canvas.paste(Image.fromarray(panel.image), (x, y + caption_height + 4))
            h, w = panel.image.shape[:2]
            draw.rectangle((x - 1, y + caption_height + 3, x + w, y + caption_height + 4 + h), outline=FRAME)
            x += w + GAP
        y += caption_height + 4 + row_height + GAP
    if colour_bar:
        bar_width = min(content, 480)
        _draw_colour_bar(canvas, colour_bar, MARGIN, y + 4, bar_width)
        y += _colour_bar_height(colour_bar) + GAP
    for legend_row in legend_rows:
        for item, offset in legend_row:
            centre_y = y + line_height(TEXT_SIZE) // 2
            draw_marker(draw, MARGIN + offset + 9, centre_y, item.marker, item.colour, 7)
            draw.text(
                (MARGIN + offset + 26, centre_y), item.label, font=font(TEXT_SIZE), fill=INK, anchor="lm"
            )
        y += line_height(TEXT_SIZE)
    y += GAP if legend_rows else 0
    for lines in note_lines:
        y += draw_text_block(draw, (MARGIN, y), lines, TEXT_SIZE, MUTED) + 6
    return encode_png(np.asarray(canvas))
