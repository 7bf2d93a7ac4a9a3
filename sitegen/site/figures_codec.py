"""How ``figures.js`` carries its figures: their JSON, deflated, in one base64 string.

An image page's figures are mostly numbers and SVG paths that repeat themselves (hover grids,
outlines, slider states): raw DEFLATE takes their JSON to about an eighth, and even after base64
(a script holds text, not bytes) to a sixth. On a site of thousands of images that is the
difference between fitting GitHub Pages' 1 GB or not. The browser inflates it with its own
``DecompressionStream("deflate-raw")`` (no library, no request: works from file://).

Standard library only: ``sitegen check`` reads figures.js through ``unpack_script`` in a bare CI job.
"""

from __future__ import annotations

import base64
import json
import zlib

#: How ``figures.js`` starts: the deflated figures of one image, assigned to a global.
FIGURES_PREFIX = 'window.SITEGEN_FIGURES_DEFLATED = "'
FIGURES_SUFFIX = '";\n'
#: zlib level 6: level 9 made astronaut.png's figures 2.4 % smaller in five times the time.
DEFLATE_LEVEL = 6


def packed_script(bundle_json: str) -> bytes:
    """``figures.js`` holding ``bundle_json`` (the JSON text of the figure bundle), deflated.

    >>> unpack_script(packed_script('{"figures": {}, "shared": []}').decode("ascii"))
    {'figures': {}, 'shared': []}
    """
    deflate = zlib.compressobj(DEFLATE_LEVEL, zlib.DEFLATED, -15)  # raw: no zlib header
    packed = deflate.compress(bundle_json.encode("utf-8")) + deflate.flush()
    return (FIGURES_PREFIX + base64.b64encode(packed).decode("ascii") + FIGURES_SUFFIX).encode("ascii")


def unpack_script(script: str) -> dict | None:
    """The figure bundle a ``figures.js`` holds, or None when the text is not one.

    >>> unpack_script("var x = 1;") is None
    True
    """
    if not (script.startswith(FIGURES_PREFIX) and script.endswith(FIGURES_SUFFIX)):
        return None
    try:
        packed = base64.b64decode(script[len(FIGURES_PREFIX) : -len(FIGURES_SUFFIX)], validate=True)
        return json.loads(zlib.decompress(packed, -15).decode("utf-8"))
    except (ValueError, zlib.error):
        return None
