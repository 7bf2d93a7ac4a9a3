"""``sitegen build``: every image of a folder through the pipeline, then a multi-page site.

Gather, then work, then write. The image files are listed and given their page slugs up front
(slugs of failing images are reserved too, so one image starting to fail never renames another's
page). Each image then goes load -> result cache -> CLIP-similarity cache -> models (loaded on
first need only), then figures -> pages (``sitegen.site.page_task``) in one of ``jobs`` worker
processes as soon as the next successful image is known (a page links to its neighbours, and a
failed image must not be linked to); this process writes what the workers return, in image
order (``sitegen.site.parallel``), so the site is the same for any ``jobs``. A page whose
neighbour then failed in a worker is rendered again with the right links (``_relink``). The
index, the class pages and ``build-log.txt`` come last, and ``OutputFolder.finish`` records the
build and removes the pages of images that left the folder.

The model work goes through an executor (``sitegen.distributed``): this process, or Ray workers.
This process stays the driver either way: it decodes and looks up (``prepare``), caches what
comes back as soon as it does (``store``), and takes the outcomes in input order for figures and
pages (``add``). With a shard (``--shard K/N``) the same loop runs over the shard's images only,
renders their figures into the cache and writes no pages.

Only image files directly inside the folder count (``IMAGE_EXTENSIONS``, any case); hidden files
and subfolders are skipped, so a folder of exports with a ``raw/`` subfolder builds what it shows.

The site is a pure function of the images, vocabulary, options and weights: a build interrupted
at any point and run again gives the same bytes as one that was never interrupted. So pages carry
no timestamps and no run-dependent numbers: the per-stage timings of each image are left out of
the site (``statistics.json`` and the dashboard) and go to ``build-log.txt`` with the rest of
what this particular run did.

A bad image never stops the build: any error while handling one image (a ``SitegenError`` such as
an undecodable file, running out of memory, or an unexpected exception) becomes a ``Failure`` with one line, listed on
the index page, in the log and in the report. Only Ctrl-C (``KeyboardInterrupt``) and the errors
that concern the whole run (``RUN_ERRORS``: missing weights, an option the models refuse) stop it.
Whether failures change the exit code is the CLI's choice (``--strict``).
"""

from __future__ import annotations

import dataclasses
import time
import traceback
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from sitegen.distributed.shards import Shard, shard_positions
from sitegen.errors import OUT_OF_MEMORY_ADVICE, GroundTruthError, OptionsError, OutputError, SitegenError, WeightsError, is_out_of_memory
from sitegen.options import ModelOptions, PipelineOptions
from sitegen.pipeline.run import ComputedImage, ImageJob, ImageTask
from sitegen.records import PipelineResult, Vocabulary
from sitegen.site.build_report import BuildReport, build_log
from sitegen.site.cache import ResultCache, clip_identity, model_identity
from sitegen.site.evaluation import EvaluatedImage, EvaluationTally, GroundTruthSource, evaluate_result
from sitegen.site.index_page import site_files
from sitegen.site.output import OutputFolder
from sitegen.site.page_task import PageTask, render_pages, rendered_figures
from sitegen.site.parallel import OrderedPool
from sitegen.site.progress import make_progress
from sitegen.site.summaries import Failure, ImageSummary, SiteInfo, summarize_image

__all__ = ["IMAGE_EXTENSIONS", "BUILD_LOG", "BuildReport", "build_site", "find_images"]

IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".gif"})
BUILD_LOG = "build-log.txt"
#: Errors that no other image would escape either: they stop the build instead of failing one image.
RUN_ERRORS = (WeightsError, OptionsError, OutputError)


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


def failure_of(path: Path, error: Exception) -> Failure:
    """One line for the index page: the file's name and the reason, without the folder's path.

    Pipeline messages start with the full path (right for a terminal); a published site names
    the file only. Running out of memory says what reduces it; any other unexpected exception is
    a bug and says so.
    """
    if isinstance(error, SitegenError):
        reason = str(error)
    elif is_out_of_memory(error):
        reason = f"out of memory ({type(error).__name__}): {OUT_OF_MEMORY_ADVICE}"
    else:
        reason = f"unexpected {type(error).__name__}: {error} (a bug in sitegen; please report it)"
    reason = reason.removeprefix(f"{path}: ").replace(str(path), path.name)
    return Failure(name=path.name, reason=" ".join(reason.split()))


@dataclass
class _Prepared:
    """One image after the driver's part of its work: decoded and looked up in the cache.

    Exactly one of ``result`` (from the cache), ``task`` (model work for an executor) and
    ``error`` (it cannot be used) is set.
    """

    path: Path
    slug: str
    key: str = ""
    similarity_key: str = ""
    result: PipelineResult | None = None
    task: ImageTask | None = None
    error: Exception | None = None


@dataclass
class _Pending:
    """An image whose result is ready, waiting to learn its next neighbour."""

    path: Path
    result: PipelineResult | None  # None once handed to the pool
    summary: ImageSummary
    figures_key: str
    evaluated: EvaluatedImage | None = None  # with --ground-truth, when the ground truth is usable
    left_out: str | None = None  # why the image has no evaluation, with --ground-truth


class _SiteBuilder:
    """The per-image work of one build and what it has learnt so far (see the module docstring)."""

    def __init__(
        self, title, vocabulary, options, models, cache, executor, folder, flags, console, quiet, pool, ground_truth=None
    ):
        from sitegen.models.prompt_templates import get_prompt_templates
        from sitegen.site.render import make_environment

        self.vocabulary = vocabulary
        self.options = options
        self.models = models
        self.cache = cache
        self.executor = executor
        self.folder = folder
        self.per_class_details = flags["per_class_details"]
        self.pool = pool
        self.console = console
        self.quiet = quiet
        self.prompt_templates = get_prompt_templates(options.prompt_templates)
        self.job = ImageJob(vocabulary, options, tuple(self.prompt_templates))
        self.model_identity = model_identity(models)
        self.clip_identity = clip_identity(models)
        self.site = SiteInfo.create(title, vocabulary, options, models, paper_figures=flags["paper_figures"])
        self.env = make_environment()
        self._text_embeddings = None
        self.store_text = True  # False in shards other than shard 0: one writer per cache entry
        self.summaries: list[ImageSummary] = []
        self.failures: dict[str, Failure] = {}
        self.warnings: list[str] = []
        self.log: list[str] = []  # one line per image about this run: built in N s, or cached
        self.stage_seconds: dict[str, float] = {}
        self.built = self.cached = self.written = 0
        self._pending: _Pending | None = None
        self._submitted: ImageSummary | None = None  # the last image handed to the pool
        self._linked: dict[str, tuple[str | None, str | None]] = {}  # page -> (previous, next) it links to
        self._images: dict[str, _Pending] = {}  # image name -> its record (result dropped once handed out)
        self._slugs: dict[str, str] = {}
        self.evaluation = None if ground_truth is None else EvaluationTally(ground_truth, vocabulary.names)

    # --- One image ------------------------------------------------------------------------------

    def prepare(self, index: int, path: Path, slug: str, counted: bool = True) -> _Prepared:
        """Decode the image and look it up: its cached result, else the task that computes it.

        The result cache is keyed by the image's bytes and everything that changes the result;
        on a miss the CLIP output may still be cached (a threshold changed), and the text
        embeddings are fetched (or encoded, once per build) only when CLIP must run.
        ``counted=False`` looks an image up again without counting or logging it.
        """
        from sitegen.pipeline.image import load_image

        try:
            image = load_image(path, self.options.max_pixels)
            data = path.read_bytes()
            key = self.cache.result_key(data, self.vocabulary, self.options, self.model_identity)
            cached = self.cache.get_result(key)
            if cached is not None and counted:
                self.cached += 1
                self.log.append(f"  {image.name}: from the cache")
            if cached is not None:
                # Everything that changes the arrays is in the key; the descriptive fields (file name,
                # its warnings, vocabulary line numbers, device) come from this run.
                result = dataclasses.replace(cached, image=image, vocabulary=self.vocabulary, models=self.models, timings={})
                return _Prepared(path, slug, key, result=result)
            similarity_key = self.cache.similarity_key(
                data, self.vocabulary.queries, self.options.dense_fields(), self.clip_identity
            )
            similarity = self.cache.get_similarity(similarity_key)
            text = self._text() if similarity is None else None
            return _Prepared(path, slug, key, similarity_key, task=ImageTask(index, image, similarity, text))
        except RUN_ERRORS:
            raise  # about the whole run (no weights, a bad option), not this image: stop, one message
        except Exception as error:  # noqa: BLE001 -- one bad image never stops the build
            return _Prepared(path, slug, error=error)

    def store(self, prepared: _Prepared, outcome) -> None:
        """Cache what a worker computed, as soon as it is back (so Ctrl-C keeps it); log its timings."""
        if not isinstance(outcome, ComputedImage):
            return
        if outcome.similarity is not None:
            self.cache.put_similarity(prepared.similarity_key, outcome.similarity)
        self.cache.put_result(prepared.key, outcome.result)
        self.built += 1
        for stage, seconds in outcome.result.timings.items():
            self.stage_seconds[stage] = self.stage_seconds.get(stage, 0.0) + seconds
        clip_note = "" if "clip_windows" in outcome.result.timings else " (CLIP output from the cache)"
        self.log.append(f"  {prepared.path.name}: built in {sum(outcome.result.timings.values()):.2f} s{clip_note}")

    def add(self, prepared: _Prepared, outcome, *, pages: bool = True) -> None:
        """One image's result (cached or computed) and its figures; publish the image before it.

        Without ``pages`` (a shard) the figures only go to the cache.
        """
        path = prepared.path
        try:
            if prepared.error is not None:
                raise prepared.error
            if isinstance(outcome, Exception):
                raise outcome
            result = prepared.result or dataclasses.replace(outcome.result, models=self.models, timings={})
            self.warnings.extend(result.image.warnings)
            if not self.quiet:
                for warning in result.image.warnings:
                    self.console.print(f"[yellow]warning:[/] {warning}")
            figures_key = self.cache.figures_key(prepared.key, result.image, self.per_class_details)
            if not pages:
                args = (result, self.site, self.cache, figures_key, self.per_class_details)
                self.pool.submit((path, None), rendered_figures, *args)
                self.write_outcomes(self.pool.ready())
                return
            ready = _Pending(path, result, summarize_image(result, prepared.slug, self.site), figures_key)
            if self.evaluation is not None:
                ready.evaluated, ready.left_out = self._evaluate(result)
        except RUN_ERRORS:
            raise  # about the whole run (no weights, a bad option), not this image: stop, one message
        except Exception as error:  # noqa: BLE001 -- one bad image never stops the build
            self._fail(path, error)
            return
        self._images[ready.summary.name] = ready
        self._slugs[ready.summary.name] = prepared.slug
        self.flush(next_summary=ready.summary)
        self._pending = ready
        self.write_outcomes(self.pool.ready())

    def flush(self, next_summary: ImageSummary | None = None) -> None:
        """Hand the waiting image, whose next neighbour is now known, to the pool."""
        pending, self._pending = self._pending, None
        if pending is None:
            return
        previous = self._submitted
        self._linked[pending.summary.name] = (previous and previous.name, next_summary and next_summary.name)
        self.pool.submit((pending.path, pending.summary), render_pages, self._task(pending, pending.result, previous, next_summary))
        pending.result = None  # the pool has it; keep memory flat over thousands of images
        self._submitted = pending.summary

    def _task(self, pending: _Pending, result, previous, next_summary) -> PageTask:
        evaluation = None if self.evaluation is None else (pending.evaluated, pending.left_out)
        return PageTask(
            result, pending.summary, previous, next_summary, self.site, self.cache,
            pending.figures_key, self.per_class_details, evaluation,
        )

    def finish_images(self) -> None:
        """Write every image still in the pool, then fix the links to images that failed there."""
        self.flush()
        self.write_outcomes(self.pool.drain())
        self._relink()
        for summary in self.summaries:
            pending = self._images[summary.name]
            if pending.evaluated is not None:
                self.evaluation.add(pending.evaluated.evaluation, summary.page)
            elif self.evaluation is not None:
                self.evaluation.leave_out(summary.name, pending.left_out)

    def write_outcomes(self, outcomes) -> None:
        """Write the files of finished images, in image order; an error fails its image only.

        An outcome's tag is ``(path, summary)``; a shard's figures-only task has no summary.
        """
        for outcome in outcomes:
            path, summary = outcome.tag
            try:
                if outcome.error is not None:
                    raise outcome.error
                if summary is None:
                    continue
                for relpath in sorted(outcome.value):
                    self.written += self.folder.write(relpath, outcome.value[relpath])
            except RUN_ERRORS:
                raise
            except Exception as error:  # noqa: BLE001 -- as in add()
                self._fail(path, error)
                continue
            self.summaries.append(summary)

    def _relink(self) -> None:
        """Render again the pages whose previous or next image failed after they were handed out.

        Rare (figures or pages failing for a result that was fine); their results come back from
        the cache. Done in this process, in image order, so the site is the same for any ``jobs``.
        A page that fails now is dropped too, and the pages around it are checked again.
        """
        settled = False
        while not settled:
            settled = True
            for i, summary in enumerate(self.summaries):
                previous = self.summaries[i - 1] if i else None
                next_summary = self.summaries[i + 1] if i + 1 < len(self.summaries) else None
                wanted = (previous and previous.name, next_summary and next_summary.name)
                if self._linked[summary.name] == wanted:
                    continue
                pending = self._images[summary.name]
                try:
                    prepared = self.prepare(i, pending.path, self._slugs[summary.name], counted=False)
                    if prepared.error is not None:
                        raise prepared.error
                    if prepared.result is None:
                        raise SitegenError(f"{pending.path.name}: its result left the cache during the build; build again")
                    files = render_pages(self._task(pending, prepared.result, previous, next_summary))
                    for relpath in sorted(files):
                        self.written += self.folder.write(relpath, files[relpath])
                except RUN_ERRORS:
                    raise
                except Exception as error:  # noqa: BLE001 -- as in add()
                    self._fail(pending.path, error)
                    del self.summaries[i]
                    settled = False
                    break
                self._linked[summary.name] = wanted

    def _evaluate(self, result: PipelineResult) -> tuple[EvaluatedImage | None, str | None]:
        """``(EvaluatedImage, None)``, or ``(None, reason)`` when the ground truth is unusable
        (the reason is also a warning: one line naming the file)."""
        try:
            return evaluate_result(result, self.evaluation.source, self.site.palette), None
        except GroundTruthError as error:
            self.warnings.append(str(error))
            if not self.quiet:
                self.console.print(f"[yellow]warning:[/] {escape(str(error))}")
            path = self.evaluation.source.path_for(result.image.name)
            return None, " ".join(str(error).replace(str(path), path.name).split())  # no local folders in a site

    def _fail(self, path: Path, error: Exception) -> None:
        if not isinstance(error, SitegenError) and not is_out_of_memory(error) and not self.quiet:
            self.console.print("".join(traceback.format_exception(error)).rstrip(), style="dim", markup=False)
        self.failures[path.name] = failure_of(path, error)

    def _text(self):
        """(Q, D) text embeddings, from the cache or the CLIP text tower, once per build."""
        if self._text_embeddings is None:
            self._text_embeddings = self.cache.text_embeddings(
                self.clip_identity,
                self.prompt_templates,
                self.vocabulary.queries,
                lambda queries: self.executor.encode_queries(queries, self.prompt_templates),
                store=self.store_text,
            )
        return self._text_embeddings

    # --- The whole site ---------------------------------------------------------------------------

    def write_site(self, found: list[Path]) -> list[Failure]:
        """The index and class pages; returns the failures in folder order."""
        order = {path.name: i for i, path in enumerate(found)}
        failures = sorted(self.failures.values(), key=lambda f: order[f.name])
        facts = {
            "Images found": len(found),
            "Images with pages": len(self.summaries),
            "Images failed": len(failures),
        }
        files = site_files(self.summaries, failures, self.site, self.env, facts, self.evaluation)
        for relpath in sorted(files):
            self.written += self.folder.write(relpath, files[relpath])
        return failures


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

    start = time.perf_counter()
    started = datetime.now(timezone.utc)
    console = console or Console(stderr=True)
    found = find_images(images_dir)
    if not found:
        extensions = ", ".join(sorted(IMAGE_EXTENSIONS))
        raise SitegenError(f"no images in {images_dir} (looked for {extensions}); pass the folder that holds them")
    slugs = unique_slugs([path.name for path in found])
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
            builder = _SiteBuilder(title, vocabulary, options, models, cache, executor, None, flags, console, quiet, pool)
            builder.store_text = shard.index == 0
            return _compute_shard(builder, found, slugs, shard, start)
    output = OutputFolder(out, overwrite=overwrite, inputs=[images_dir])
    site_root = Path(out).resolve()
    if site_root == Path(cache_dir).resolve() or site_root in Path(cache_dir).resolve().parents:
        raise SitegenError(f"the cache folder {cache_dir} is inside the output folder {out}; pass a --cache-dir outside it")
    cache = ResultCache(cache_dir, refresh=force)
    with owned or nullcontext(), output as folder, OrderedPool(jobs) as pool:
        builder = _SiteBuilder(
            title, vocabulary, options, models, cache, executor, folder, flags, console, quiet, pool, ground_truth
        )
        with make_progress(console, quiet) as progress:
            bar = progress.add_task("Building", total=len(found), current="")
            _run_images(builder, found, slugs, range(len(found)), progress, bar, pages=True)
            progress.update(bar, current="index and class pages")
            builder.finish_images()
            failures = builder.write_site(found)
        displaced = [f"{relpath} was not written by sitegen: kept as {aside}" for relpath, aside in folder.displaced]
        counters = executor.counters()
        log = build_log(builder, failures, displaced, counters, started, time.perf_counter() - start)
        builder.written += folder.write(BUILD_LOG, log.encode("utf-8"))
        removed = folder.finish()
    return BuildReport(
        images=len(found),
        built=builder.built,
        cached=builder.cached,
        failed=failures,
        warnings=builder.warnings + displaced,
        written=builder.written,
        removed=removed,
        model_loads=counters["model_loads"],
        clip_forwards=counters["clip_forwards"],
        sam_embeds=counters["sam_embeds"],
        seconds=time.perf_counter() - start,
    )


def _run_images(builder: _SiteBuilder, found: list[Path], slugs: list[str], positions, progress, bar, *, pages: bool) -> None:
    """The images at ``positions`` through the builder's executor, results taken in input order.

    The bar advances as each image's result is known: from the cache or failing at once, or
    when its task finishes on whichever worker ran it (which may be before earlier images).
    """

    def finished(prepared: _Prepared, outcome) -> None:
        builder.store(prepared, outcome)
        progress.update(bar, advance=1, current=prepared.path.name)

    prepared = (builder.prepare(i, found[i], slugs[i]) for i in positions)
    for image, outcome in builder.executor.in_order(prepared, lambda p: p.task, builder.job, finished):
        if image.task is None:
            progress.update(bar, advance=1, current=image.path.name)
        builder.add(image, outcome, pages=pages)


def _compute_shard(builder: _SiteBuilder, found: list[Path], slugs: list[str], shard: Shard, start: float) -> BuildReport:
    """``--shard``: this shard's images into the cache (results and figures), no pages."""
    positions = shard_positions(found, shard)
    with make_progress(builder.console, builder.quiet) as progress:
        bar = progress.add_task(f"Shard {shard}", total=len(positions), current="")
        _run_images(builder, found, slugs, positions, progress, bar, pages=False)
        builder.write_outcomes(builder.pool.drain())
    order = {path.name: i for i, path in enumerate(found)}
    counters = builder.executor.counters()
    return BuildReport(
        images=len(positions),
        built=builder.built,
        cached=builder.cached,
        failed=sorted(builder.failures.values(), key=lambda f: order[f.name]),
        warnings=builder.warnings,
        written=0,
        removed=[],
        model_loads=counters["model_loads"],
        clip_forwards=counters["clip_forwards"],
        sam_embeds=counters["sam_embeds"],
        seconds=time.perf_counter() - start,
    )
