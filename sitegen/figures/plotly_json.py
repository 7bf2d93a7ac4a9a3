"""Plotly figures as plain JSON data: how numpy values are written and layouts are edited.

Figures are plain dicts in Plotly's JSON schema (``{"data": [{"type": "heatmap", ...}],
"layout": {...}}``), written out by ``figure_json``; plotly.py is not imported here.
"""

from __future__ import annotations

import base64
import json
import re

import numpy as np

from sitegen.records import Vocabulary


#: Plotly.js typed-array codes of the numpy dtypes it decodes (plotly.py's ``plotlyjsShortTypes``).
TYPED_ARRAY_CODES = {
    "int8": "i1",
    "uint8": "u1",
    "int16": "i2",
    "uint16": "u2",
    "int32": "i4",
    "uint32": "u4",
    "float32": "f4",
    "float64": "f8",
}


def figure_json(figure: dict) -> dict:
    """The figure as plain JSON data (what the site embeds), its stacked pictures kept apart.

    Figures are built as plain dicts (``{"data": [{"type": "heatmap", ...}], "layout": {...}}``)
    and serialised here by the json module: plotly.py's graph objects validated every value and
    deep-copied the figure, which took 1.1 s of the 2.5 s an image's 18 steps took. Numpy arrays
    become base64 typed arrays (``typed_array``), numpy scalars numbers, NaN ``null``: the JSON
    plotly.py writes. Put arrays only where Plotly.js reads data arrays (trace attributes such as
    ``z``); the tests check every figure with ``go.Figure``.
    """
    text = json.dumps(figure, default=_plain, separators=(",", ":"))
    data = json.loads(text, parse_constant=lambda _: None)  # NaN and infinities as null
    images = data.get("layout", {}).get("images")
    if images:
        data["layout"]["images"] = separate_stacked_images(images)
    return data


def _plain(value):
    """JSON form of the numpy values ``json`` does not know."""
    if isinstance(value, np.ndarray):
        return typed_array(value)
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def typed_array(array: np.ndarray) -> dict | list:
    """Plotly.js's typed-array spec of an array, as plotly.py >= 6 writes it (a third of a list's bytes).

    ``{"dtype": "f4", "bdata": <base64>, "shape": "R, K"}``; 64-bit integers are narrowed to the
    smallest type that holds them, and arrays Plotly.js cannot decode go as nested lists.
    """
    if array.size and array.dtype in (np.int64, np.uint64):
        low, high = array.min(), array.max()
        kinds = ("int8", "int16", "int32") if array.dtype == np.int64 else ("uint8", "uint16", "uint32")
        narrow = next((k for k in kinds if np.iinfo(k).min <= low and high <= np.iinfo(k).max), None)
        array = array.astype(narrow) if narrow else array
    code = TYPED_ARRAY_CODES.get(str(array.dtype))
    if not array.size or code is None:
        return array.tolist()
    spec = {"dtype": code, "bdata": base64.b64encode(np.ascontiguousarray(array)).decode("ascii")}
    if array.ndim > 1:
        spec["shape"] = str(array.shape)[1:-1]
    return spec


def separate_stacked_images(images: list[dict]) -> list[dict]:
    """Nudge layout images that share a placement by a thousandth of a pixel each.

    Plotly.js tells layout images apart by (xref, x, sizex, yref, y, sizey) and draws only one of
    several with the same placement, so a layer over the photo would silently vanish.
    """
    seen: dict[tuple, int] = {}
    separated = []
    for image in images:
        key = tuple(image.get(k) for k in ("xref", "x", "sizex", "yref", "y", "sizey"))
        repeat = seen.get(key, 0)
        seen[key] = repeat + 1
        separated.append({**image, "x": image["x"] - 0.001 * repeat} if repeat else image)
    return separated


def rounded(values: np.ndarray, decimals: int = 3) -> list:
    """Nested lists of floats rounded to ``decimals`` (how numbers go into figures)."""
    return np.round(np.asarray(values, np.float64), decimals).tolist()


def add_to_layout(figure: dict, key: str, items: list[dict]) -> None:
    """Append ``items`` to the layout list ``key`` (``shapes``, ``images``, ...), if there are any.

    No items, no key: the figure stays exactly what plotly.py used to write for it.
    """
    if items:
        figure["layout"].setdefault(key, []).extend(items)


def relayout(layout: dict, changes: dict) -> None:
    """Apply ``Plotly.relayout`` changes such as ``{"shapes[0].line.color": "red"}`` to a layout dict.

    A figure whose buttons switch between states starts in the state of its first button: build
    that state from the same changes, so the two cannot differ.
    """
    for path, value in changes.items():
        keys = [int(k) if k.isdigit() else k for k in re.findall(r"[^.\[\]]+", path)]
        target = layout
        for key in keys[:-1]:
            target = target[key] if isinstance(key, int) else target.setdefault(key, {})
        target[keys[-1]] = value


def plotly_text(text: str) -> str:
    """``text`` as a string Plotly.js shows literally in legends, hover labels, titles and ticks.

    Plotly.js renders a subset of HTML in those strings (``<b>``, ``<br>``, ``<a href>``...),
    decodes character references, and fills ``%{...}`` in hover templates. A class or file name
    is the user's text, not markup: ``&``, ``<``, ``>`` and ``%`` become character references,
    which Plotly.js turns back into the characters themselves.

    >>> plotly_text("<b>cat</b> & 50%{x}")
    '&lt;b&gt;cat&lt;/b&gt; &amp; 50&#37;{x}'
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("%", "&#37;")


def plotly_names(vocabulary: Vocabulary) -> list[str]:
    """The class names of ``vocabulary`` by index, as ``plotly_text`` (for figures, not pictures)."""
    return [plotly_text(name) for name in vocabulary.names]
