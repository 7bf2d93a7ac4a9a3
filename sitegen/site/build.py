"""``sitegen build``: every image of a folder through the pipeline, then a multi-page site.

Gather, then work, then write. The image files are listed and given their page slugs up front
(slugs of failing images are reserved too, so one image starting to fail never renames another's
page). Each image then goes load -> result cache -> CLIP-similarity cache -> models (loaded on
first need only), then figures -> pages (``sitegen.site.page_task``) in one of ``jobs`` worker
processes as soon as the next successful image is known (a page links to its neighbours, and a
failed image must not be linked to); this process writes what the workers return, in image
order (``sitegen.site.parallel``), so the site is the same for any ``jobs``. A page whose
neighbour then failed in a worker is rendered again with the right links
(``sitegen.site.site_builder``). The index, the class pages and ``build-log.txt`` come last, and ``OutputFolder.finish`` records the
build and removes the pages of images that left the folder.

The model work goes through an executor (``sitegen.distributed``): this process, or Ray workers.
This process stays the driver either way: it decodes and looks up, and caches what comes back as
soon as it does (``sitegen.site.image_results``), and takes the outcomes in input order for
figures and pages (``SiteBuilder.add``). With a shard (``--shard K/N``) the same loop runs over the shard's images only,
renders their figures into the cache and writes no pages.

Only image files directly inside the folder count (``IMAGE_EXTENSIONS``, any case); hidden files
and subfolders are skipped, so a folder of exports with a ``raw/`` subfolder builds what it shows.

The site is a pure function of the images, vocabulary, options and weights: a build interrupted
at any point and run again gives the same bytes as one that was never interrupted. So pages carry
no timestamps and no run-dependent numbers: the per-stage timings of each image are left out of
the site (``statistics.json`` and the dashboard) and go to ``build-log.txt`` with the rest of
what this particular run did.

A bad image never stops the build: any error while handling one image (a ``SitegenError`` such as
an undecodable file, running out of memory, or an unexpected exception) becomes a ``Failure``
with one line, listed on the index page, in the log and in the report. Only Ctrl-C (``KeyboardInterrupt``) and the errors
that concern the whole run (``RUN_ERRORS``: missing weights, an option the models refuse) stop it.
Whether failures change the exit code is the CLI's choice (``--strict``).
"""

from __future__ import annotations

import time
from contextlib import nullcontext
from datetime import datetime, timezone
from pathlib import Path

from rich.console import Console

from sitegen.config import Variant, single_variant
from sitegen.distributed.shards import Shard, shard_positions
from sitegen.errors import SitegenError
from sitegen.options import ModelOptions, PipelineOptions
from sitegen.records import Vocabulary
from sitegen.site.build_report import BuildReport, build_log
from sitegen.site.cache import ResultCache
from sitegen.site.evaluation import GroundTruthSource
from sitegen.site.image_results import ImageResults, PreparedImage
from sitegen.site.output import OutputFolder
from sitegen.site.parallel import OrderedPool
from sitegen.site.progress import make_progress
from sitegen.site.site_builder import SiteBuilder

__all__ = ["IMAGE_EXTENSIONS", "BUILD_LOG", "BuildReport", "build_site", "find_images"]

IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".gif"})
BUILD_LOG = "build-log.txt"


def find_images(folder: Path) -> list[Path]:
    """Image files directly inside ``folder`` by extension, sorted by name; hidden ones skipped.

    Anything with an image extension that is not a folder is listed, even a broken symlink or an
    unreadable file, so that it is reported as a failure instead of silently missing.
    """
    try:
        entries = list(Path(folder).iterdir())
    except OSError as error:
        raise SitegenError(f"cannot list the image folder {folder}: {error.strerror}") from None
    return sorted(
        (
            path
            for path in entries
            if path.suffix.lower() in IMAGE_EXTENSIONS and not path.name.startswith(".") and not path.is_dir()
        ),
        key=lambda path: path.name,
    )


def build_site(
    images_dir: Path,
    vocabulary: Vocabulary,
    options: PipelineOptions,
    models: ModelOptions,
    out: Path,
    *,
    cache_dir: Path,
    force: bool = False,
    overwrite: bool = False,
    per_class_details: bool = False,
    paper_figures: bool = False,
    jobs: int = 1,
    quiet: bool = False,
    console: Console | None = None,
    lazy_models=None,
    executor=None,
    shard: Shard | None = None,
    ground_truth: GroundTruthSource | None = None,
    variants: tuple[Variant, ...] | None = None,
) -> BuildReport:
    """Build the site for every image in ``images_dir`` into ``out``, or compute one shard of it.

    Parameters
    ----------
    images_dir : Path
        The folder of images (not searched recursively).
    vocabulary, options, models
        What to segment and how; ``models`` names the weights (loaded only if some image is not
        in the cache).
    out : Path
        The site folder. Refused when it is (inside) ``images_dir``, when another build is
        writing to it, or when it holds files sitegen did not write and ``overwrite`` is False.
        Not touched with ``shard``.
    cache_dir : Path
        The result cache (see ``sitegen.site.cache``).
    force : bool
        Ignore the cache: run every model again (the new results are cached).
    overwrite : bool
        Accept foreign files in ``out``; they are kept (see ``sitegen.site.output``).
    per_class_details : bool
        Add the per-class detail views to every image page (presentation only: no model runs).
    paper_figures : bool
        Also write the lossless PNG of every step (and of every per-class view): paper figures,
        about 7 MB per image. Without it every step is shown by its interactive figure.
    jobs : int
        Processes that draw figures and make pages (the models run through ``executor``). The
        site is the same for any value; the CLI's default is the number of usable cores.
    quiet : bool
        No progress bars and no warnings on the console.
    console : rich Console, optional
        Where progress goes; a stderr console by default.
    lazy_models : LazyModels, optional
        The models of the default local executor (tests pass stand-ins); ``LazyModels(models)``
        by default.
    executor : optional
        Who computes the images (``sitegen.distributed.executors``, already open); a
        ``LocalExecutor`` over ``lazy_models`` by default. The caller closes it.
    shard : Shard, optional
        Compute only this shard's images (``sitegen.distributed.shards``) into the cache,
        figures included, and write no pages: a later build without a shard assembles the site.
    ground_truth : GroundTruthSource, optional
        Evaluate every image against its ground truth (``--ground-truth``); the site then has
        ``metrics.json`` and evaluation sections. No part of any cache key.
    variants : tuple of Variant, optional
        ``read_config``'s variants, the base (with ``options``) first: each gets its own pages
        (the base keeps the paths of a one-variant build), every image a comparison page, and
        the variants share each image's CLIP output and SAM embedding. Default: ``options`` alone.

    Returns
    -------
    BuildReport
        For a shard, of its images only (``written`` is 0).

    Raises
    ------
    SitegenError
        Before any image is processed: no images, unusable output or cache folder.
    """
    from sitegen.distributed.executors import LocalExecutor
    from sitegen.pipeline.run import LazyModels
    from sitegen.site.slugs import unique_slugs
    from sitegen.site.variant_pages import variant_slug_names

    start = time.perf_counter()
    started = datetime.now(timezone.utc)
    console = console or Console(stderr=True)
    found = find_images(images_dir)
    if not found:
        extensions = ", ".join(sorted(IMAGE_EXTENSIONS))
        raise SitegenError(f"no images in {images_dir} (looked for {extensions}); pass the folder that holds them")
    variants = tuple(variants) if variants else single_variant(options)
    if variants[0].options != options or not variants[0].is_base:
        raise ValueError("the first variant must be the base variant, with the options passed in")
    names = [path.name for path in found]
    all_slugs = unique_slugs(variant_slug_names(names, variants))
    slugs = [all_slugs[i :: len(names)] for i in range(len(names))]  # per image: one slug per variant
    # Models made here are released at the end, which undoes their gc.freeze (given ones, and an
    # executor's, belong to the caller).
    owned = LazyModels(models) if executor is None and lazy_models is None else None
    if executor is None:
        executor = LocalExecutor(owned or lazy_models)
    title = f"sitegen: {Path(images_dir).resolve().name}"
    flags = {"per_class_details": per_class_details, "paper_figures": paper_figures}
    if shard is not None:
        cache = ResultCache(cache_dir, refresh=force)
        with owned or nullcontext(), OrderedPool(jobs) as pool:
            results = ImageResults(vocabulary, variants, models, cache, executor)
            builder = SiteBuilder(title, results, None, flags, console, quiet, pool)
            builder.results.store_text = shard.index == 0
            return _compute_shard(builder, found, slugs, shard, start)
    output = OutputFolder(out, overwrite=overwrite, inputs=[images_dir])
    site_root = Path(out).resolve()
    if site_root == Path(cache_dir).resolve() or site_root in Path(cache_dir).resolve().parents:
        raise SitegenError(f"the cache folder {cache_dir} is inside the output folder {out}; pass a --cache-dir outside it")
    cache = ResultCache(cache_dir, refresh=force)
    with owned or nullcontext(), output as folder, OrderedPool(jobs) as pool:
        results = ImageResults(vocabulary, variants, models, cache, executor)
        builder = SiteBuilder(title, results, folder, flags, console, quiet, pool, ground_truth)
        with make_progress(console, quiet) as progress:
            bar = progress.add_task("Building", total=len(found), current="")
            _run_images(builder, found, slugs, range(len(found)), progress, bar, pages=True)
            progress.update(bar, current="index and class pages")
            builder.finish_images()
            failures = builder.write_site(found)
        displaced = [f"{relpath} was not written by sitegen: kept as {aside}" for relpath, aside in folder.displaced]
        counters = executor.counters()
        log = build_log(builder, builder.results, failures, displaced, counters, started, time.perf_counter() - start)
        builder.written += folder.write(BUILD_LOG, log.encode("utf-8"))
        removed = folder.finish()
    return BuildReport(
        images=len(found),
        built=builder.results.built,
        cached=builder.results.cached,
        failed=failures,
        warnings=builder.warnings + displaced,
        written=builder.written,
        removed=removed,
        model_loads=counters["model_loads"],
        clip_forwards=counters["clip_forwards"],
        sam_embeds=counters["sam_embeds"],
        seconds=time.perf_counter() - start,
    )


def _run_images(builder: SiteBuilder, found: list[Path], slugs: list[list[str]], positions, progress, bar, *, pages: bool) -> None:
    """The images at ``positions`` through the builder's executor, results taken in input order.

    The bar advances as each image's result is known: from the cache or failing at once, or
    when its task finishes on whichever worker ran it (which may be before earlier images).
    """

    def finished(prepared: PreparedImage, outcome) -> None:
        builder.results.store(prepared, outcome)
        progress.update(bar, advance=1, current=prepared.path.name)

    prepared = (builder.results.prepare(i, found[i], slugs[i]) for i in positions)
    for image, outcome in builder.results.executor.in_order(prepared, lambda p: p.task, builder.results.job, finished):
        if image.task is None:
            progress.update(bar, advance=1, current=image.path.name)
        builder.add(image, outcome, pages=pages)


def _compute_shard(builder: SiteBuilder, found: list[Path], slugs: list[list[str]], shard: Shard, start: float) -> BuildReport:
    """``--shard``: this shard's images into the cache (results and figures), no pages."""
    positions = shard_positions(found, shard)
    with make_progress(builder.console, builder.quiet) as progress:
        bar = progress.add_task(f"Shard {shard}", total=len(positions), current="")
        _run_images(builder, found, slugs, positions, progress, bar, pages=False)
        builder.write_outcomes(builder.pool.drain())
    order = {path.name: i for i, path in enumerate(found)}
    counters = builder.results.executor.counters()
    return BuildReport(
        images=len(positions),
        built=builder.results.built,
        cached=builder.results.cached,
        failed=sorted(builder.failures.values(), key=lambda f: order[f.name]),
        warnings=builder.warnings,
        written=0,
        removed=[],
        model_loads=counters["model_loads"],
        clip_forwards=counters["clip_forwards"],
        sam_embeds=counters["sam_embeds"],
        seconds=time.perf_counter() - start,
    )
