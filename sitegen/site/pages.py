"""The pages of a site and the files each page needs, as ``{relative posix path: bytes}``.

Collect, then render: the functions here gather page records (plain dicts and frozen
dataclasses, no Jinja) from pipeline results and rendered figures, and hand them to a template.
Nothing is written to disk; the build loop writes the returned files atomically.

Layout of a built site::

    index.html                      classes/<class>.html         static/...   .nojekyll
    images/<slug>.html              images/<slug>/steps/NN_name.png
    images/<slug>/figures.js        images/<slug>/assets/<name>-<hash>.png
    images/<slug>/thumb.jpg         images/<slug>/class_<i>_confidence.jpg, class_<i>_mask.jpg
    images/<slug>/data/...          images/<slug>/per_class/class_<i>_<class>.png
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import struct
from collections import Counter
from dataclasses import asdict, dataclass
from json.encoder import encode_basestring_ascii
from typing import TYPE_CHECKING
from urllib.parse import quote

from sitegen.errors import SitegenError
from sitegen.options import ModelOptions, PipelineOptions
from sitegen.records import PipelineResult, Vocabulary
from sitegen.site.assets import static_files
from sitegen.site.render import format_number, render_page, script_json
from sitegen.site.slugs import slugify, unique_slugs

if TYPE_CHECKING:
    import jinja2

    from sitegen.figures import ClassDetails, Palette, RenderedStep

RANDOM_WEIGHTS_WARNING = "Random weights: masks are meaningless"

#: A value that several figures of one image repeat is written once in figures.js from this many
#: JSON characters up (smaller ones cost less than the reference and the lookup).
SHARED_MIN_CHARS = 200

#: What each downloadable data file holds (site pages and ``sitegen run`` pages).
DATA_DESCRIPTIONS = {
    "probabilities.npz": "class probabilities quantised to uint8 (p = q / 255), SCLIP argmax and final map (NumPy .npz)",
    "confidences.npy": "class probabilities, (H, W, C) float32 (NumPy .npy)",
    "prompts.json": "regions, positive and negative points, every SAM prompt and its outcome",
    "statistics.json": "parameters, models, per-class counts and timings",
}


# --- Records ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SiteInfo:
    """What every page of one site shares: the run's configuration and the class colours."""

    title: str
    vocabulary: Vocabulary
    palette: Palette
    options: PipelineOptions
    models: ModelOptions
    random_weights: bool
    version: str
    class_slugs: tuple[str, ...]

    @classmethod
    def create(
        cls, title: str, vocabulary: Vocabulary, options: PipelineOptions, models: ModelOptions
    ) -> SiteInfo:
        """The site record of a run: palette, class slugs and version derived from its inputs."""
        from sitegen import __version__
        from sitegen.figures import make_palette

        return cls(
            title=title,
            vocabulary=vocabulary,
            palette=make_palette(len(vocabulary)),
            options=options,
            models=models,
            random_weights=models.random_weights,
            version=__version__,
            class_slugs=tuple(unique_slugs(vocabulary.names)),
        )


@dataclass(frozen=True)
class ClassSummary:
    """One class in one image, as the index and the class pages show it.

    ``area`` counts the class's pixels in the final map; ``mean_confidence`` is the mean winning
    probability over its SCLIP argmax pixels (None when SCLIP never picked it).
    ``region_areas`` and ``region_confidences`` describe the regions that passed the size filter.
    Thumbnail paths are relative to the site root and exist only for found classes.
    """

    index: int
    prompts: int
    masks: int
    area: int
    mean_confidence: float | None
    region_areas: tuple[int, ...]
    region_confidences: tuple[float, ...]
    confidence_thumbnail: str | None
    mask_thumbnail: str | None

    @property
    def found(self) -> bool:
        """SAM kept at least one mask for this class."""
        return self.masks > 0


@dataclass(frozen=True)
class ImageSummary:
    """What the index and the class pages need about one image, small enough to keep hundreds.

    Paths are relative to the site root. ``classes[i]`` describes vocabulary class ``i``.
    """

    name: str
    slug: str
    page: str
    thumbnail: str
    width: int
    height: int
    total_masks: int
    total_prompts: int
    random_weights: bool
    classes: tuple[ClassSummary, ...]

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ImageSummary:
        classes = tuple(
            ClassSummary(
                **{
                    **row,
                    "region_areas": tuple(row["region_areas"]),
                    "region_confidences": tuple(row["region_confidences"]),
                }
            )
            for row in data["classes"]
        )
        return cls(**{**data, "classes": classes})


@dataclass(frozen=True)
class Failure:
    """An image that could not be processed, and the one-line reason."""

    name: str
    reason: str


# --- Paths --------------------------------------------------------------------------------------


def _join(folder: str, path: str) -> str:
    return f"{folder}/{path}" if folder else path


def _href(page: str, target: str) -> str:
    """The URL of ``target`` relative to ``page`` (both relative to the site root)."""
    return quote(posixpath.relpath(target, posixpath.dirname(page) or "."))


def _check_paths(files: dict[str, bytes]) -> dict[str, bytes]:
    """Refuse any path that could leave the output folder or is not a plain relative path."""
    for path in files:
        parts = path.split("/")
        if path.startswith("/") or "\\" in path or any(part in ("", ".", "..") for part in parts):
            raise SitegenError(f"refusing to write {path!r}: site paths must stay inside the output folder")
    return files


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


def _png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a PNG header, so pages reserve an image's space before it loads."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise SitegenError("a figure is not a PNG: the figures package must return PNG bytes")
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def _download(name: str, href: str, size: int | None) -> dict:
    """A data-file link; the size is shown when the file is known here."""
    return {
        "name": name,
        "href": href,
        "size": None if size is None else _file_size(size),
        "description": DATA_DESCRIPTIONS[name],
    }


def _file_size(size: int) -> str:
    if size < 1000:
        return f"{size} bytes"
    if size < 1_000_000:
        return f"{size / 1000:.1f} kB"
    return f"{size / 1_000_000:.1f} MB"


# --- Summaries ----------------------------------------------------------------------------------


def summarize_image(result: PipelineResult, slug: str, site: SiteInfo) -> ImageSummary:
    """The per-image record the index and the class pages are built from."""
    from sitegen.pipeline.data_files import class_statistics

    folder = image_folder(slug)
    classes = []
    for row in class_statistics(result):
        i = row["index"]
        regions = [r for r in result.size_filter.kept if r.class_index == i]
        found = row["masks_kept"] > 0
        classes.append(
            ClassSummary(
                index=i,
                prompts=row["prompts"],
                masks=row["masks_kept"],
                area=row["final_pixels"],
                mean_confidence=row["mean_confidence"],
                region_areas=tuple(int(r.size) for r in regions),
                region_confidences=tuple(round(float(r.confidence), 4) for r in regions),
                confidence_thumbnail=f"{folder}/class_{i}_confidence.jpg" if found else None,
                mask_thumbnail=f"{folder}/class_{i}_mask.jpg" if found else None,
            )
        )
    return ImageSummary(
        name=result.image.name,
        slug=slug,
        page=image_page_path(slug),
        thumbnail=f"{folder}/thumb.jpg",
        width=result.image.width,
        height=result.image.height,
        total_masks=sum(c.masks for c in classes),
        total_prompts=sum(c.prompts for c in classes),
        random_weights=result.models.random_weights,
        classes=tuple(classes),
    )


# --- Page pieces shared by several pages -------------------------------------------------------


def _class_link(site: SiteInfo, index: int, page: str | None) -> dict:
    """A class chip: name, palette colour and, on a site page, the link to its class page."""
    return {
        "index": index,
        "name": site.vocabulary.classes[index].name,
        "colour": site.palette.hex(index),
        "href": None if page is None else _href(page, class_page_path(site.class_slugs[index])),
    }


def _parameters(site: SiteInfo) -> list[dict]:
    """Every pipeline option as the flag that sets it, with its value."""
    return [
        {"flag": "--" + name.replace("_", "-"), "value": format_number(value)}
        for name, value in site.options.as_dict().items()
    ]


def _models(site: SiteInfo) -> list[dict]:
    models = site.models
    sam = models.sam_checkpoint or models.sam_model
    return [
        {"label": "CLIP model", "value": f"{models.clip_model} ({models.clip_pretrained})"},
        {"label": "SAM 2 model", "value": sam},
        {"label": "Weights", "value": "random (untrained)" if site.random_weights else "pretrained"},
        {"label": "Seed", "value": str(models.seed)},
    ]


def _base_context(site: SiteInfo, page: str, title: str) -> dict:
    return {
        "page_title": title,
        "site_title": site.title,
        "root": "../" * page.count("/"),
        "random_weights": site.random_weights,
        "random_weights_warning": RANDOM_WEIGHTS_WARNING,
        "version": site.version,
        "parameters": _parameters(site),
        "models": _models(site),
    }


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


def _place_figures(
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
            emitted[digest] = f"{folder}/{slugify(name.removesuffix('.png'))}-{digest[:12]}.png"
            files[emitted[digest]] = data
        urls[name] = _href(page, emitted[digest])
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
    """``figures.js``: ``window.SITEGEN_FIGURES = {"shared": [...], "figures": {key: figure}}``.

    The figures of one image repeat large values (the class outlines of steps 11 to 13, the hover
    areas of steps 9 and 10, ...); each is written once (``_share_repeats``) and sitegen.js puts a
    fresh copy back in every place before drawing. A script, not JSON, so it loads from file://.
    """
    shared_figures, shared = _share_repeats(figures)  # plain data: see figure_json
    bundle = {"shared": shared, "figures": shared_figures}
    return f"window.SITEGEN_FIGURES = {script_json(bundle)};\n".encode("utf-8")


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.split("\n\n") if p.strip()]


def _facts(facts: dict) -> list[dict]:
    return [{"label": label, "value": format_number(value)} for label, value in facts.items()]


def _viewer(
    result: PipelineResult,
    steps: list[RenderedStep],
    class_details: list[ClassDetails] | None,
    site: SiteInfo,
    folder: str,
    page: str,
    link_classes: bool,
) -> tuple[dict[str, bytes], dict]:
    """The 18-step viewer's files under ``folder`` and its context for the page at ``page``.

    Shared by the image pages of a site (``folder`` = ``images/<slug>``) and by ``sitegen run``
    (``folder`` = ``""``). Figures go into ``figures.js`` as ``window.SITEGEN_FIGURES``, keyed by
    step slug or ``class_<i>/<name>``, so they load from file:// without fetch.
    """
    files: dict[str, bytes] = {}
    figures: dict[str, dict] = {}
    emitted: dict[str, str] = {}
    step_records = []
    for step in steps:
        info = step.step
        png_path = _join(folder, f"steps/{info.slug}.png")
        files[png_path] = step.png
        figure_key = None
        if step.figure is not None:
            figure_key = info.slug
            placed, asset_files = _place_figures(
                {figure_key: step.figure}, step.assets, _join(folder, "assets"), page, info.slug, emitted
            )
            figures.update(placed)
            files.update(asset_files)
        width, height = _png_size(step.png)
        step_records.append(
            {
                "number": info.number,
                "slug": info.slug,
                "title": info.title,
                "png": _href(page, png_path),
                "png_width": width,
                "png_height": height,
                "png_bytes": _file_size(len(step.png)),
                "alt": f"Step {info.number}, {info.title}, for {result.image.name}",
                "figure": figure_key,
                "paragraphs": _paragraphs(step.description),
                "facts": _facts(step.facts),
            }
        )

    details_records = []
    for details in class_details or []:
        i = details.class_index
        name = site.vocabulary.classes[i].name
        png_path = _join(folder, f"per_class/class_{i}_{slugify(name)}.png")
        files[png_path] = details.png
        placed, asset_files = _place_figures(
            {f"class_{i}/{key}": figure for key, figure in details.figures.items()},
            details.assets,
            _join(folder, "assets"),
            page,
            f"class {name!r}",
            emitted,
        )
        figures.update(placed)
        files.update(asset_files)
        width, height = _png_size(details.png)
        details_records.append(
            {
                "cls": _class_link(site, i, page if link_classes else None),
                "png": _href(page, png_path),
                "png_width": width,
                "png_height": height,
                "alt": f"Per-class details of {name} in {result.image.name}",
                "figures": list(placed),
                "facts": _facts(details.facts),
            }
        )

    figures_path = _join(folder, "figures.js")
    files[figures_path] = figures_script(figures)
    context = {
        "steps": step_records,
        "class_details": details_records,
        "figures_script": _href(page, figures_path),
    }
    return files, context


def _dashboard(statistics: dict, site: SiteInfo, page: str, link_classes: bool) -> dict:
    """The statistics table of one image: a row per class plus totals, with bar widths."""
    rows = []
    for row in statistics["classes"]:
        confidence = row["mean_confidence"]
        rows.append(
            {
                **row,
                "cls": _class_link(site, row["index"], page if link_classes else None),
                "area_percent": 100.0 * row["final_fraction"],
                "confidence_percent": None if confidence is None else 100.0 * confidence,
            }
        )
    return {
        "rows": rows,
        "totals": statistics["totals"],
        "windows": statistics["sclip"]["windows"],
        "templates": statistics["prompt_templates"]["count"],
        "timings": [{"label": k, "value": v} for k, v in statistics["timings_seconds"].items()],
    }


def _result_context(result: PipelineResult, stats: dict, site: SiteInfo, page: str, link_classes: bool) -> dict:
    """What every page about one image's run shows besides the viewer: its name, size, statistics."""
    return {
        **_base_context(site, page, result.image.name),
        "image": {
            "name": result.image.name,
            "width": result.image.width,
            "height": result.image.height,
            "warnings": list(result.image.warnings),
        },
        "dashboard": _dashboard(stats, site, page, link_classes),
    }


# --- Image pages --------------------------------------------------------------------------------


def _neighbour(summary: ImageSummary | None, page: str) -> dict | None:
    return None if summary is None else {"name": summary.name, "href": _href(page, summary.page)}


def image_files(
    result: PipelineResult,
    steps: list[RenderedStep],
    summary: ImageSummary,
    previous: ImageSummary | None,
    next: ImageSummary | None,
    site: SiteInfo,
    env: jinja2.Environment,
    class_details: list[ClassDetails] | None = None,
) -> dict[str, bytes]:
    """Every file of one image: its viewer page, figures, thumbnails and data downloads."""
    from sitegen.figures import render_class_thumbnails, render_thumbnail
    from sitegen.pipeline.data_files import (
        compact_probabilities_npz,
        prompts_record,
        statistics,
        to_json_bytes,
    )

    page = summary.page
    folder = image_folder(summary.slug)
    files, viewer = _viewer(result, steps, class_details, site, folder, page, link_classes=True)
    files[summary.thumbnail] = render_thumbnail(result, site.palette)
    for cls in summary.classes:
        if cls.found:
            thumbnails = render_class_thumbnails(result, site.palette, cls.index)
            files[cls.confidence_thumbnail] = thumbnails["confidence"]
            files[cls.mask_thumbnail] = thumbnails["mask"]

    stats = statistics(result)
    data_files = {
        "probabilities.npz": compact_probabilities_npz(result),
        "prompts.json": to_json_bytes(prompts_record(result)),
        "statistics.json": to_json_bytes(stats),
    }
    downloads = []
    for name, data in data_files.items():
        path = f"{folder}/data/{name}"
        files[path] = data
        downloads.append(_download(name, _href(page, path), len(data)))

    context = {
        **_result_context(result, stats, site, page, link_classes=True),
        **viewer,
        "found": [_class_link(site, c.index, page) for c in summary.classes if c.found],
        "index_href": _href(page, "index.html"),
        "previous": _neighbour(previous, page),
        "next": _neighbour(next, page),
        "downloads": downloads,
    }
    files[page] = render_page(env, "image.html", context).encode("utf-8")
    return _check_paths(files)


# --- Index and class pages ----------------------------------------------------------------------


def _card(summary: ImageSummary, site: SiteInfo) -> dict:
    page = "index.html"
    found = [c for c in summary.classes if c.found]
    return {
        "name": summary.name,
        "href": _href(page, summary.page),
        "thumbnail": _href(page, summary.thumbnail),
        "width": summary.width,
        "height": summary.height,
        "masks": summary.total_masks,
        "class_indices": " ".join(str(c.index) for c in found),
        "classes": [{**_class_link(site, c.index, page), "masks": c.masks} for c in found],
    }


def _index_page(
    summaries: list[ImageSummary], failures: list[Failure], site: SiteInfo, env, build_facts: dict
) -> str:
    page = "index.html"
    class_rows = []
    for i in range(len(site.vocabulary)):
        found = [s for s in summaries if s.classes[i].found]
        class_rows.append(
            {
                **_class_link(site, i, page),
                "images": len(found),
                "masks": sum(s.classes[i].masks for s in summaries),
            }
        )
    context = {
        **_base_context(site, page, site.title),
        "cards": [_card(s, site) for s in summaries],
        "classes": class_rows,
        "failures": failures,
        "totals": {
            "images": len(summaries),
            "failed": len(failures),
            "classes": len(site.vocabulary),
            "masks": sum(s.total_masks for s in summaries),
            "prompts": sum(s.total_prompts for s in summaries),
        },
        "build_facts": _facts(build_facts),
    }
    return render_page(env, "index.html", context)


def _class_page(index: int, summaries: list[ImageSummary], site: SiteInfo, env) -> tuple[str, str]:
    spec = site.vocabulary.classes[index]
    page = class_page_path(site.class_slugs[index])
    found, missing = [], []
    for summary in summaries:
        cls = summary.classes[index]
        record = {
            "name": summary.name,
            "href": _href(page, summary.page),
            "prompts": cls.prompts,
            "masks": cls.masks,
            "area": cls.area,
            "mean_confidence": cls.mean_confidence,
            "regions": len(cls.region_areas),
        }
        if cls.found:
            record["confidence_thumbnail"] = _href(page, cls.confidence_thumbnail)
            record["mask_thumbnail"] = _href(page, cls.mask_thumbnail)
            record["width"], record["height"] = summary.width, summary.height
            found.append(record)
        else:
            missing.append(record)
    distributions = {
        "name": spec.name,
        "colour": site.palette.hex(index),
        "areas": [a for s in summaries for a in s.classes[index].region_areas],
        "confidences": [c for s in summaries for c in s.classes[index].region_confidences],
    }
    context = {
        **_base_context(site, page, spec.name),
        "cls": {**_class_link(site, index, page), "queries": list(spec.queries)},
        "found": found,
        "missing": missing,
        "distributions": distributions,
        "totals": {
            "images": len(summaries),
            "masks": sum(r["masks"] for r in found),
            "prompts": sum(r["prompts"] for r in found + missing),
            "regions": len(distributions["areas"]),
        },
    }
    return page, render_page(env, "class.html", context)


def site_files(
    summaries: list[ImageSummary],
    failures: list[Failure],
    site: SiteInfo,
    env: jinja2.Environment,
    build_facts: dict,
) -> dict[str, bytes]:
    """The site-wide files: index, one page per class, the shared static files."""
    files = static_files()
    files["index.html"] = _index_page(summaries, failures, site, env, build_facts).encode("utf-8")
    for index in range(len(site.vocabulary)):
        page, html = _class_page(index, summaries, site, env)
        files[page] = html.encode("utf-8")
    return _check_paths(files)


# --- sitegen run --------------------------------------------------------------------------------


def run_files(
    result: PipelineResult,
    steps: list[RenderedStep],
    site: SiteInfo,
    env: jinja2.Environment,
    class_details: list[ClassDetails] | None,
) -> dict[str, bytes]:
    """The original tool's single-image layout: index.html viewer, steps/, per_class/, static/.

    The ``data/`` files are added by the caller; the page links to them.
    """
    from sitegen.pipeline.data_files import statistics

    page = "index.html"
    files, viewer = _viewer(result, steps, class_details, site, "", page, link_classes=False)
    files.update(static_files())
    context = {
        **_result_context(result, statistics(result), site, page, link_classes=False),
        **viewer,
        "downloads": [
            _download(name, f"data/{name}", None) for name in ("confidences.npy", "prompts.json", "statistics.json")
        ],
    }
    files[page] = render_page(env, "run.html", context).encode("utf-8")
    return _check_paths(files)
