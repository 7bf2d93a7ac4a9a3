"""The class list page: every class in one table, and the classes found in no image in full.

A 171-class vocabulary over a few images leaves most classes found nowhere, and a page each would
be a hundred near-empty pages. Those classes are *folded*: no page of their own, an entry on
``classes.html`` instead with their queries and their funnel per image (how far each image got
with them, and the stage that lost them). The classes found somewhere get a row that links to
their page.
"""

from __future__ import annotations

from collections.abc import Sequence

from sitegen.site.class_page import funnel_tables
from sitegen.site.gallery import ROWS_PER_PAGE
from sitegen.site.page_context import base_context, class_link
from sitegen.site.paths import CLASS_LIST_PAGE, class_list_anchor
from sitegen.site.render import render_page
from sitegen.site.summaries import ImageSummary, SiteInfo


def folded_classes(variants: Sequence[Sequence[ImageSummary]], count: int) -> frozenset[int]:
    """The classes SAM kept no mask of in any image of any variant: those without a page.

    Parameters
    ----------
    variants : sequence of sequences of ImageSummary
        Every variant's image summaries (a one-variant build: one sequence).
    count : int
        Classes in the vocabulary.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> image = lambda *found: NS(classes=[NS(found=f) for f in found])
    >>> sorted(folded_classes([[image(False, True, False, False), image(False, False, False, False)],
    ...                        [image(False, False, True, False)]], 4))
    [0, 3]
    """
    found = {i for summaries in variants for s in summaries for i in range(count) if s.classes[i].found}
    return frozenset(range(count)) - found


def class_list_page(
    summaries: Sequence[ImageSummary],
    site: SiteInfo,
    env,
    folded: frozenset[int],
    variants: list[tuple[str | None, Sequence[ImageSummary]]] | None = None,
) -> str:
    """The HTML of ``CLASS_LIST_PAGE``: a row per class, then an entry per folded class.

    Each class's anchor (``class_list_anchor``) is its full entry when it is folded and its row
    otherwise, so a page about one image can link any class there.

    Parameters
    ----------
    summaries : sequence of ImageSummary
        The base variant's images, in site order.
    folded : frozenset of int
        ``folded_classes`` of the build.
    variants : list of (name, summaries), optional
        A build with several variants: each one's name and summaries, base first; a folded class's
        funnel is then tabled per variant.
    """
    page = CLASS_LIST_PAGE
    rows, entries = [], []
    for i, spec in enumerate(site.vocabulary.classes):
        per_image = [s.classes[i] for s in summaries]
        row = {
            **class_link(site, i, page, i not in folded),
            "anchor": class_list_anchor(site.class_slugs[i]),
            "own_page": i not in folded,
            "queries": list(spec.queries),
            "images": sum(c.found for c in per_image),
            "regions": sum(len(c.region_areas) for c in per_image),
            "prompts": sum(c.prompts for c in per_image),
            "masks": sum(c.masks for c in per_image),
        }
        rows.append(row)
        if i in folded:
            tables = funnel_tables(i, page, variants or [(None, summaries)], reached_only=True)
            entries.append({**row, "href": None, "funnels": tables, "id_prefix": f"{row['anchor']}-"})
    context = {
        **base_context(site, page, "All classes"),
        "classes": rows,
        "folded": entries,
        "images": len(summaries),
        "per_page": {"rows": ROWS_PER_PAGE},
    }
    return render_page(env, "classes.html", context)
