"""File-name-safe slugs for image and class pages.

A slug becomes part of a path on every file system a site travels to (Linux, macOS, Windows,
GitHub Pages), so it is plain lowercase ASCII, short, never empty, never a dot name and never a
Windows device name. Distinct names must give distinct slugs even on case-insensitive disks.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

MAX_SLUG_LENGTH = 60

#: Names Windows refuses for a file whatever its extension (``con.html`` cannot be created).
WINDOWS_RESERVED = frozenset(
    ["con", "prn", "aux", "nul"]
    + [f"com{i}" for i in range(10)]
    + [f"lpt{i}" for i in range(10)]
)

_UNSAFE_RUN = re.compile(r"[^a-z0-9_-]+")
_FALLBACK = "item"


def slugify(text: str) -> str:
    """Turn any name into a short ASCII slug made of ``[a-z0-9_-]``.

    Accents are folded (``Café`` -> ``cafe``), every other run of unsafe characters becomes one
    ``-``, and the result is cut to ``MAX_SLUG_LENGTH`` characters. A name with nothing usable
    (``'..'``, ``'🙂'``) becomes ``'item'``; a Windows device name gets a ``_`` appended.

    Examples
    --------
    >>> slugify("Lionel Messi")
    'lionel-messi'
    >>> slugify('a "b" <script>.png')
    'a-b-script-png'
    >>> slugify("..")
    'item'
    >>> slugify("CON")
    'con_'
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = _UNSAFE_RUN.sub("-", ascii_text.lower()).strip("-_")
    slug = slug[:MAX_SLUG_LENGTH].rstrip("-_") or _FALLBACK
    if slug in WINDOWS_RESERVED:
        slug += "_"
    return slug


def unique_slugs(names: Sequence[str]) -> list[str]:
    """Slug every name so that no two slugs are equal, in input order.

    Slugs are lowercase, so distinct slugs stay distinct on case-insensitive file systems.
    A collision gets the smallest free ``-2``, ``-3``, ... suffix, the base cut short enough that
    the result still fits ``MAX_SLUG_LENGTH``. The same names always give the same slugs.

    Examples
    --------
    >>> unique_slugs(["Cat.png", "cat.png", "cat-png"])
    ['cat-png', 'cat-png-2', 'cat-png-3']
    """
    taken: set[str] = set()
    slugs = []
    for name in names:
        base = slugify(name)
        slug, number = base, 1
        while slug in taken:
            number += 1
            suffix = f"-{number}"
            slug = base[: MAX_SLUG_LENGTH - len(suffix)].rstrip("-_") + suffix
        taken.add(slug)
        slugs.append(slug)
    return slugs
