"""The pages that compare variants, and the funnel section every image page carries.

Collect, then render, like the other page modules: records from results and funnels, a template
renders them, nothing is written here. Layout added to a site::

    images/<slug>.html                 the base variant's walkthrough (unchanged)
    images/<slug>--<variant>.html      another variant's full walkthrough (and its folder)
    images/<slug>/variants.html        every variant of the image compared
    images/<slug>/variants/...         that page's figures.js and pictures
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from sitegen.config import Variant
from sitegen.figures.registry import step_info
from sitegen.pipeline.funnel import STAGES, ClassFunnel
from sitegen.records import PipelineResult
from sitegen.site.figures_bundle import figures_script, place_figures
from sitegen.site.page_context import base_context, class_link
from sitegen.site.paths import check_site_paths, relative_href
from sitegen.site.render import format_number, render_page
from sitegen.site.summaries import SiteInfo

if TYPE_CHECKING:
    import jinja2

#: Separates an image's slug from a variant's name in the page names of other variants.
VARIANT_SEPARATOR = "--"


def variant_slug_names(names: Sequence[str], variants: Sequence[Variant]) -> list[str]:
    """What to slug for the pages of every (variant, image): the base's names, then ``NAME--VARIANT``.

    Passed to ``unique_slugs`` in this order, the base variant keeps exactly the slugs of a build
    without variants, and no other variant's page can take an image's slug.

    Examples
    --------
    >>> from sitegen.options import PipelineOptions
    >>> variants = [Variant("base", PipelineOptions(), is_base=True), Variant("low", PipelineOptions())]
    >>> variant_slug_names(["a.png", "b.png"], variants)
    ['a.png', 'b.png', 'a.png--low', 'b.png--low']
    """
    return [*names, *(f"{name}{VARIANT_SEPARATOR}{v.name}" for v in variants if not v.is_base for name in names)]


def comparison_page_path(base_slug: str) -> str:
    return f"images/{base_slug}/variants.html"


def funnel_section(
    funnels: Sequence[ClassFunnel],
    site: SiteInfo,
    page: str | None,
    viewer_href: str,
    figure_key: str,
    heading: str,
    suffix: str = "",
) -> dict:
    """The context of ``partials/funnel.html`` for one run's funnels.

    ``page`` is the page the section is on (its class chips link to the class pages from
    there; None: no class pages, as in ``sitegen run``). ``viewer_href`` is the run's walkthrough
    as seen from that page ("" on the walkthrough itself); each missed class's sentence links to
    the step that shows its loss there (``#step-N``). ``suffix`` keeps ids unique on a page with
    several funnels.
    """
    misses = []
    for funnel in funnels:
        if funnel.miss is not None:
            step = step_info(funnel.miss.step)
            misses.append(
                {
                    "cls": class_link(site, funnel.class_index, page, funnel.count("kept_masks") > 0),
                    "sentence": funnel.miss.sentence.removeprefix(f"{funnel.name}: "),
                    "href": f"{viewer_href}#step-{step.number}",
                    "step_number": step.number,
                    "step_title": step.title,
                }
            )
    rows = [
        {
            "cls": class_link(site, f.class_index, page, f.count("kept_masks") > 0),
            "counts": list(f.counts),
            "missed": f.miss is not None,
        }
        for f in funnels
    ]
    return {
        "heading": heading,
        "suffix": suffix,
        "figure": figure_key,
        "stages": [stage.label for stage in STAGES],
        "rows": rows,
        "misses": misses,
        "under_found": any(f.miss is not None and f.miss.iou is not None for f in funnels),
    }


def comparison_files(
    results: Mapping[str, PipelineResult],
    funnels: Mapping[str, Sequence[ClassFunnel]],
    variants: Sequence[Variant],
    pages: Mapping[str, str],
    base_slug: str,
    site: SiteInfo,
    env: jinja2.Environment,
    mean_iou: Mapping[str, float | None] | None = None,
) -> dict[str, bytes]:
    """The comparison page of one image and its figures.

    Parameters
    ----------
    results, funnels : mapping
        Variant name -> the image's result and funnel, for every variant (display order).
    variants : sequence of Variant
    pages : mapping
        Variant name -> its walkthrough page of this image (site-relative path).
    base_slug : str
        The image's slug in the base variant (the page lives in that image's folder).
    site : SiteInfo
        The base variant's site record (palette, classes).
    mean_iou : mapping, optional
        Variant name -> the image's mIoU against ground truth (None: not evaluated).
    """
    from sitegen.figures.variants import plot_funnel, plot_variant_maps

    page = comparison_page_path(base_slug)
    folder = f"images/{base_slug}/variants"
    maps, assets = plot_variant_maps(results, site.palette)
    figures = {"variant_maps": maps}
    figures.update({f"funnel_{i}": plot_funnel(funnels[v.name], site.palette) for i, v in enumerate(variants)})
    figures, files = place_figures(figures, assets, folder, page, "the variants comparison", {})
    files[f"{folder}/figures.js"] = figures_script(figures)
    mean_iou = mean_iou or {}
    table = []
    for spec in site.vocabulary.classes:
        cells = []
        for variant in variants:
            funnel = funnels[variant.name][spec.index]
            cells.append({"name": variant.name, "missed": funnel.miss is not None, **dict(zip((s.key for s in STAGES), funnel.counts))})
        kept = any(funnels[v.name][spec.index].count("kept_masks") > 0 for v in variants)
        table.append({"cls": class_link(site, spec.index, page, kept), "variants": cells})
    first = results[variants[0].name]
    context = {
        **base_context(site, page, f"{first.image.name}: variants"),
        "image": {"name": first.image.name},
        "index_href": relative_href(page, "index.html"),
        "variants": [
            {
                "name": v.name,
                "href": relative_href(page, pages[v.name]),
                "changes": [{"flag": key, "value": format_number(value)} for key, value in v.changes.items()],
                "masks": sum(f.count("kept_masks") for f in funnels[v.name]),
                "miou": mean_iou.get(v.name),
            }
            for v in variants
        ],
        "table": table,
        "funnels": [
            funnel_section(
                funnels[v.name], site, page, relative_href(page, pages[v.name]), f"funnel_{i}", f"Funnel of {v.name}", f"-{i}"
            )
            for i, v in enumerate(variants)
        ],
        "figures_script": relative_href(page, f"{folder}/figures.js"),
    }
    files[page] = render_page(env, "variants.html", context).encode("utf-8")
    return check_site_paths(files)
