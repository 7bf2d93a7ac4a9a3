"""Where every file of a built site lives, and the check that keeps page paths inside it.

Paths are relative POSIX paths from the site root. Layout of a built site::

    index.html                      classes/<class>.html         static/...   .nojekyll
    classes.html
    images/<slug>.html              images/<slug>/steps/NN_name.png
    images/<slug>/figures.js        images/<slug>/assets/<name>-<hash>.png
    images/<slug>/thumb.webp        images/<slug>/class_<i>_confidence.webp, class_<i>_mask.png
    images/<slug>/photo.webp        images/<slug>/data/...
    gallery.js                      images/<slug>/per_class/class_<i>_<class>.png (--paper-figures)
    (steps/ only with --paper-figures)
"""

from __future__ import annotations

import posixpath
from urllib.parse import quote

from sitegen.errors import SitegenError
from sitegen.site.output import check_relpath
from sitegen.site.slugs import slugify


def check_site_paths(files: dict[str, bytes]) -> dict[str, bytes]:
    """Refuse any path that could leave the output folder or is not a plain relative path.

    Page functions return their files through this, so a path built from a hostile file name
    is refused where it is made (``OutputFolder.write`` checks again where it is written).
    """
    for path in files:
        check_relpath(path)
    return files



def relative_href(page: str, target: str) -> str:
    """The URL of ``target`` relative to ``page`` (both relative to the site root)."""
    return quote(posixpath.relpath(target, posixpath.dirname(page) or "."))


def _check_slug(slug: str) -> str:
    if slugify(slug) != slug:
        raise SitegenError(f"{slug!r} is not a slug: make page names with sitegen.site.slugs.unique_slugs")
    return slug


def image_page_path(slug: str) -> str:
    return f"images/{_check_slug(slug)}.html"


def image_folder(slug: str) -> str:
    return f"images/{_check_slug(slug)}"


def class_page_path(class_slug: str) -> str:
    return f"classes/{_check_slug(class_slug)}.html"


#: Every class in one table; the classes found in no image (which get no page of their own) are
#: described there in full. At the site root, where no class slug can reach it.
CLASS_LIST_PAGE = "classes.html"


def class_list_anchor(class_slug: str) -> str:
    """The id of a class's entry on ``CLASS_LIST_PAGE``."""
    return f"class-{_check_slug(class_slug)}"


def thumbnail_path(folder: str) -> str:
    """The final-map thumbnail (WebP) of the image whose files are in ``folder``."""
    return f"{folder}/thumb.webp"


def photo_thumbnail_path(folder: str) -> str:
    """The photograph at thumbnail size (WebP), under every class's mask overlay."""
    return f"{folder}/photo.webp"


def class_thumbnail_path(folder: str, index: int | str, kind: str) -> str:
    """A found class's ``confidence`` map (WebP) or ``mask`` overlay (transparent PNG) in ``folder``.

    >>> class_thumbnail_path("images/a", 3, "mask"), class_thumbnail_path("images/a", 3, "confidence")
    ('images/a/class_3_mask.png', 'images/a/class_3_confidence.webp')
    """
    return f"{folder}/class_{index}_{kind}.{'png' if kind == 'mask' else 'webp'}"
