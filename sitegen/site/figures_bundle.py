"""``figures.js``: the Plotly figures of one image page, their pictures and repeats written once.

Figures name their pictures ``asset:<name>``; ``place_figures`` writes each distinct picture
once under the image's ``assets/`` folder and points the figures at it. ``figures_script``
writes the figures as a script (not JSON, so it loads from file://), each large repeated value
once.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from json.encoder import encode_basestring_ascii

from sitegen.errors import SitegenError
from sitegen.site.figures_codec import packed_script
from sitegen.site.paths import relative_href
from sitegen.site.render import script_json
from sitegen.site.slugs import slugify


#: A value that several figures of one image repeat is written once in figures.js from this many
#: JSON characters up (smaller ones cost less than the reference and the lookup).
SHARED_MIN_CHARS = 200


def _resolve_assets(figure: dict, urls: dict[str, str], owner: str) -> dict:
    """A copy of a Plotly figure whose ``asset:<name>`` image sources are replaced by URLs."""
    layout = figure.get("layout") or {}
    images = []
    for image in layout.get("images") or []:
        source = image.get("source")
        if isinstance(source, str) and source.startswith("asset:"):
            name = source.removeprefix("asset:")
            if name not in urls:
                raise SitegenError(f"{owner}'s figure uses asset {name!r} that it did not render")
            image = {**image, "source": urls[name]}
        images.append(image)
    if not images:
        return figure
    return {**figure, "layout": {**layout, "images": images}}


def picture_extension(data: bytes) -> str:
    """``png``, ``webp`` or ``jpg`` from a picture's first bytes (browsers go by content, people by name).

    >>> picture_extension(b"RIFF0000WEBPVP8 "), picture_extension(b"\\x89PNG\\r\\n\\x1a\\n")
    ('webp', 'png')
    """
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:3] == b"\xff\xd8\xff":
        return "jpg"
    return "png"


def place_figures(
    figures: dict[str, dict], assets: dict[str, bytes], folder: str, page: str, owner: str, emitted: dict[str, str]
) -> tuple[dict[str, dict], dict[str, bytes]]:
    """Emit ``assets`` under ``folder`` and point the figures' asset references at them.

    ``emitted`` maps the sha256 of each asset already placed for this page to its path, and is
    updated. Figures of one image share pictures (the photo is in most steps, and two layers of
    different names can be the same picture): equal bytes become one file, named after the first
    name they came with, which the browser loads once; different bytes never overwrite each other.
    """
    files, urls = {}, {}
    for name, data in assets.items():
        digest = hashlib.sha256(data).hexdigest()
        if digest not in emitted:
            emitted[digest] = f"{folder}/{slugify(name.removesuffix('.png'))}-{digest[:12]}.{picture_extension(data)}"
            files[emitted[digest]] = data
        urls[name] = relative_href(page, emitted[digest])
    return {key: _resolve_assets(figure, urls, owner) for key, figure in figures.items()}, files


def _leaf_text(value: object) -> str:
    """``json.dumps`` of a string, number, bool or None, without its per-call overhead."""
    if isinstance(value, str):
        return encode_basestring_ascii(value)
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    return repr(value)


def _share_repeats(figures: dict[str, dict]) -> tuple[dict[str, dict], list]:
    """Figures with each repeated value of at least ``SHARED_MIN_CHARS`` written once.

    Returns the figures and the shared values; ``{"$shared": i}`` stands for shared value ``i``
    wherever it occurred (shared values may hold references too). Values are compared by their
    JSON text, so only exact repeats are shared.
    """
    texts: dict[int, str] = {}  # the JSON text of every dict and list, built bottom-up once
    # In lists without a dict inside (z values, customdata, coordinates) only the list and its
    # rows may be shared, not the cells of a row: one json.dumps call writes a row, where
    # going down to every cell cost 0.04 s of astronaut.png's page.
    whole: set[int] = set()

    def text_of(value: object) -> str:
        if isinstance(value, dict):
            text = "{" + ",".join(f"{_leaf_text(key)}:{text_of(child)}" for key, child in value.items()) + "}"
        elif isinstance(value, list):
            text = json.dumps(value, separators=(",", ":"))
            if "{" in text:  # a dict inside (or a brace in a string): its parts may repeat
                text = "[" + ",".join(text_of(child) for child in value) + "]"
            else:
                for row in value:
                    if isinstance(row, list):
                        texts[id(row)] = json.dumps(row, separators=(",", ":"))
                        whole.add(id(row))
        else:
            return _leaf_text(value)
        texts[id(value)] = text
        return text

    def _json_text(value: object) -> str:
        return texts[id(value)] if isinstance(value, (dict, list)) else _leaf_text(value)

    text_of(figures)
    counts: Counter[str] = Counter()

    def count(value: object) -> None:
        text = _json_text(value)
        if len(text) < SHARED_MIN_CHARS:
            return
        counts[text] += 1
        if counts[text] == 1 and id(value) not in whole:
            for child in value.values() if isinstance(value, dict) else value if isinstance(value, list) else ():
                count(child)

    count(figures)
    shared: list = []
    index: dict[str, int] = {}

    def children(value: object) -> object:
        if isinstance(value, dict):
            return {key: replace(child) for key, child in value.items()}
        if isinstance(value, list):
            return value if id(value) in whole else [replace(child) for child in value]
        return value

    def replace(value: object) -> object:
        text = _json_text(value)
        if len(text) < SHARED_MIN_CHARS:
            return value
        if counts[text] < 2:
            return children(value)
        if text not in index:
            entry = children(value)
            index[text] = len(shared)
            shared.append(entry)
        return {"$shared": index[text]}

    return {key: children(figure) for key, figure in figures.items()}, shared


def figures_script(figures: dict[str, dict]) -> bytes:
    """``figures.js``: the bundle ``{"shared": [...], "figures": {key: figure}}``, deflated.

    The figures of one image repeat large values (the class outlines of steps 11 to 13, the hover
    areas of steps 9 and 10, ...); each is written once (``_share_repeats``) and sitegen.js puts a
    fresh copy back in every place before drawing. Repeats further apart than DEFLATE's 32 kB
    window are the ones this catches; ``packed_script`` deflates the rest. A script, not JSON,
    so it loads from file://.
    """
    shared_figures, shared = _share_repeats(figures)  # plain data: see figure_json
    return packed_script(script_json({"shared": shared, "figures": shared_figures}))
