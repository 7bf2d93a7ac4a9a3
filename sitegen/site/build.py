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
from sitegen.config import Variant, single_variant
from sitegen.errors import OUT_OF_MEMORY_ADVICE, GroundTruthError, OptionsError, OutputError, SitegenError, WeightsError, is_out_of_memory
from sitegen.options import ModelOptions, PipelineOptions
from sitegen.pipeline.run import ImageJob
from sitegen.pipeline.variants import VariantsTask
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

    ``results`` holds the variants found in the cache; ``task`` (model work for an executor)
    the others; ``error`` is set when the image cannot be used. ``slugs`` follow the build's
    variants; ``keys`` and ``results`` are by variant name.
    """

    path: Path
    slugs: list[str]
    keys: dict[str, str] = dataclasses.field(default_factory=dict)
    similarity_keys: dict[tuple, str] = dataclasses.field(default_factory=dict)
    results: dict[str, PipelineResult] = dataclasses.field(default_factory=dict)
    task: VariantsTask | None = None
    error: Exception | None = None


@dataclass
class _Pending:
    """An image whose result is ready, waiting to learn its next neighbour.

    ``variants`` lists every variant's name and page of this image (for the links between them)
    and ``comparison`` names the page that compares them (empty and None with one variant).
    """

    path: Path
    result: PipelineResult | None  # None once handed to the pool
    summary: ImageSummary
    figures_key: str
    evaluated: EvaluatedImage | None = None  # with --ground-truth, when the ground truth is usable
    left_out: str | None = None  # why the image has no evaluation, with --ground-truth
    variants: tuple[tuple[str, str], ...] = ()
    comparison: str | None = None


@dataclass
class _VariantState:
    """One variant's pages in a build: its site record, the images written, the one waiting."""

    variant: Variant
    site: SiteInfo
    summaries: list[ImageSummary] = dataclasses.field(default_factory=list)
    pending: _Pending | None = None
    submitted: ImageSummary | None = None  # the last image handed to the pool
    linked: dict[str, tuple[str | None, str | None]] = dataclasses.field(default_factory=dict)  # name -> (previous, next)
    images: dict[str, _Pending] = dataclasses.field(default_factory=dict)  # result dropped once handed out
    slugs: dict[str, list[str]] = dataclasses.field(default_factory=dict)


class _SiteBuilder:
    """The per-image work of one build and what it has learnt so far (see the module docstring).

    Every variant of the build gets its own pages; ``site`` and ``summaries`` are the base
    variant's (the first), which the index, the class pages, the evaluation and the build log are
    about.
    """

    def __init__(
        self, title, vocabulary, variants, models, cache, executor, folder, flags, console, quiet, pool, ground_truth=None
    ):
        from sitegen.models.prompt_templates import get_prompt_templates
        from sitegen.site.render import make_environment

        base = variants[0].options
        self.vocabulary = vocabulary
        self.models = models
        self.cache = cache
        self.executor = executor
        self.folder = folder
        self.per_class_details = flags["per_class_details"]
        self.pool = pool
        self.console = console
        self.quiet = quiet
        self.job = ImageJob(vocabulary, base, tuple(get_prompt_templates(base.prompt_templates)))
        self.model_identity = model_identity(models)
        self.clip_identity = clip_identity(models)
        self.states = [
            _VariantState(v, SiteInfo.create(title, vocabulary, v.options, models, paper_figures=flags["paper_figures"]))
            for v in variants
        ]
        self.site = self.states[0].site
        self.summaries = self.states[0].summaries
        self.env = make_environment()
        self._text_embeddings: dict[str, object] = {}
        self.store_text = True  # False in shards other than shard 0: one writer per cache entry
        self.failures: dict[str, Failure] = {}
        self.warnings: list[str] = []
        self.log: list[str] = []  # one line per image (and variant) about this run: built in N s, or cached
        self.stage_seconds: dict[str, float] = {}
        self.built = self.cached = self.written = 0
        self.evaluation = None if ground_truth is None else EvaluationTally(ground_truth, vocabulary.names)

    def _label(self, name: str) -> str:
        """`` [name]`` after an image's name in the log when the build has several variants."""
        return f" [{name}]" if len(self.states) > 1 else ""

    # --- One image ------------------------------------------------------------------------------

    def prepare(self, index: int, path: Path, slugs: list[str], counted: bool = True) -> _Prepared:
        """Decode the image and look every variant up: cached results, else the task that computes the rest.

        The result cache is keyed by the image's bytes and everything that changes the result,
        so each variant has its own entries: editing one variant misses only its own. On a miss
        the CLIP output of its group of variants may still be cached, and the text embeddings
        are fetched (or encoded, once per build) only when CLIP must run. ``counted=False`` looks
        an image up again without counting or logging it.
        """
        from sitegen.pipeline.image import load_image
        from sitegen.pipeline.variants import VariantsTask, dense_groups, dense_key

        try:
            image = load_image(path, self.job.options.max_pixels)
            data = path.read_bytes()
            prepared = _Prepared(path, slugs)
            missing = []
            for state in self.states:
                variant = state.variant
                key = prepared.keys[variant.name] = self.cache.result_key(
                    data, self.vocabulary, variant.options, self.model_identity
                )
                cached = self.cache.get_result(key)
                if cached is None:
                    missing.append(variant)
                    continue
                if counted:
                    self.cached += 1
                    self.log.append(f"  {image.name}{self._label(variant.name)}: from the cache")
                # Everything that changes the arrays is in the key; the descriptive fields (file name,
                # its warnings, vocabulary line numbers, device) come from this run.
                prepared.results[variant.name] = dataclasses.replace(
                    cached, image=image, vocabulary=self.vocabulary, models=self.models, timings={}
                )
            if not missing or not counted:
                return prepared
            similarities, texts = {}, {}
            for group in dense_groups(missing):
                options = group[0].options
                group_key = dense_key(options)
                prepared.similarity_keys[group_key] = self.cache.similarity_key(
                    data, self.vocabulary.queries, options.dense_fields(), self.clip_identity
                )
                similarity = self.cache.get_similarity(prepared.similarity_keys[group_key])
                if similarity is not None:
                    similarities[group_key] = similarity
                else:
                    texts[options.prompt_templates] = self._text(options.prompt_templates)
            prepared.task = VariantsTask(index, image, tuple(missing), similarities, texts)
            return prepared
        except RUN_ERRORS:
            raise  # about the whole run (no weights, a bad option), not this image: stop, one message
        except Exception as error:  # noqa: BLE001 -- one bad image never stops the build
            return _Prepared(path, slugs, error=error)

    def store(self, prepared: _Prepared, outcome) -> None:
        """Cache what a worker computed, as soon as it is back (so Ctrl-C keeps it); log its timings."""
        from sitegen.pipeline.variants import ComputedVariants, dense_key

        if not isinstance(outcome, ComputedVariants):
            return
        for group_key, similarity in outcome.similarities.items():
            self.cache.put_similarity(prepared.similarity_keys[group_key], similarity)
        for variant in prepared.task.variants:
            result = outcome.results[variant.name]
            self.cache.put_result(prepared.keys[variant.name], result)
            self.built += 1
            for stage, seconds in result.timings.items():
                self.stage_seconds[stage] = self.stage_seconds.get(stage, 0.0) + seconds
            if "clip_windows" in result.timings:
                clip_note = ""
            elif dense_key(variant.options) in outcome.similarities:
                clip_note = " (CLIP output shared with another variant)"
            else:
                clip_note = " (CLIP output from the cache)"
            self.log.append(
                f"  {prepared.path.name}{self._label(variant.name)}: built in {sum(result.timings.values()):.2f} s{clip_note}"
            )

    def add(self, prepared: _Prepared, outcome, *, pages: bool = True) -> None:
        """One image's results (cached or computed); hand the image before it to the pool.

        Without ``pages`` (a shard) the figures only go to the cache.
        """
        path = prepared.path
        try:
            if prepared.error is not None:
                raise prepared.error
            if isinstance(outcome, Exception):
                raise outcome
            computed = outcome.results if outcome is not None else {}
            ready = []
            for k, (state, slug) in enumerate(zip(self.states, prepared.slugs)):
                name = state.variant.name
                result = prepared.results.get(name) or dataclasses.replace(computed[name], models=self.models, timings={})
                if k == 0:
                    self.warnings.extend(result.image.warnings)
                    if not self.quiet:
                        for warning in result.image.warnings:
                            self.console.print(f"[yellow]warning:[/] {warning}")
                figures_key = self.cache.figures_key(prepared.keys[name], result.image, self.per_class_details)
                if not pages:
                    args = (result, state.site, self.cache, figures_key, self.per_class_details)
                    self.pool.submit((path, None, k), rendered_figures, *args)
                    continue
                ready.append(_Pending(path, result, summarize_image(result, slug, state.site), figures_key))
            if not pages:
                self.write_outcomes(self.pool.ready())
                return
            if self.evaluation is not None:  # the base variant's result is evaluated
                ready[0].evaluated, ready[0].left_out = self._evaluate(ready[0].result)
            if len(ready) > 1:
                ready = self._compare(ready)
        except RUN_ERRORS:
            raise  # about the whole run (no weights, a bad option), not this image: stop, one message
        except Exception as error:  # noqa: BLE001 -- one bad image never stops the build
            self._fail(path, error)
            return
        for k, (state, pending) in enumerate(zip(self.states, ready)):
            state.images[pending.summary.name] = pending
            state.slugs[pending.summary.name] = prepared.slugs
            self._flush(k, next_summary=pending.summary)
            state.pending = pending
        self.write_outcomes(self.pool.ready())

    def _compare(self, ready: list[_Pending]) -> list[_Pending]:
        """Write the image's comparison page; the waiting pages learn their siblings."""
        from sitegen.pipeline.funnel import compute_funnel
        from sitegen.site.variant_pages import comparison_files, comparison_page_path

        variants = [state.variant for state in self.states]
        results = {v.name: pending.result for v, pending in zip(variants, ready)}
        pages = {v.name: pending.summary.page for v, pending in zip(variants, ready)}
        funnels = {name: compute_funnel(result) for name, result in results.items()}
        mean_iou = self._variant_miou(results) if self.evaluation is not None else None
        files = comparison_files(results, funnels, variants, pages, ready[0].summary.slug, self.site, self.env, mean_iou)
        for relpath in sorted(files):
            self.written += self.folder.write(relpath, files[relpath])
        comparison = comparison_page_path(ready[0].summary.slug)
        siblings = tuple(pages.items())
        return [dataclasses.replace(pending, variants=siblings, comparison=comparison) for pending in ready]

    def _variant_miou(self, results: dict[str, PipelineResult]) -> dict[str, float] | None:
        """Each variant's mIoU of its final map on the image, None when its ground truth is unusable."""
        from sitegen.evaluation import evaluate_image, load_ground_truth

        first = next(iter(results.values()))
        source = self.evaluation.source
        try:
            truth = load_ground_truth(source.path_for(first.image.name), first.image, source.mapping)
        except (GroundTruthError, OSError):
            return None  # the base variant's evaluation already reported why
        return {
            name: evaluate_image(r.image.name, r.dense.prediction, r.final.labels, truth, len(r.vocabulary)).final.miou
            for name, r in results.items()
        }

    def _flush(self, k: int, next_summary: ImageSummary | None = None) -> None:
        """Hand variant ``k``'s waiting image, whose next neighbour is now known, to the pool."""
        state = self.states[k]
        pending, state.pending = state.pending, None
        if pending is None:
            return
        previous = state.submitted
        state.linked[pending.summary.name] = (previous and previous.name, next_summary and next_summary.name)
        task = self._task(k, pending, pending.result, previous, next_summary)
        self.pool.submit((pending.path, pending.summary, k), render_pages, task)
        pending.result = None  # the pool has it; keep memory flat over thousands of images
        state.submitted = pending.summary

    def _task(self, k: int, pending: _Pending, result, previous, next_summary) -> PageTask:
        evaluation = None if self.evaluation is None or k else (pending.evaluated, pending.left_out)
        return PageTask(
            result, pending.summary, previous, next_summary, self.states[k].site, self.cache,
            pending.figures_key, self.per_class_details, evaluation, pending.variants, pending.comparison,
        )

    def finish_images(self) -> None:
        """Write every image still in the pool, then fix the links to images that failed there."""
        for k in range(len(self.states)):
            self._flush(k)
        self.write_outcomes(self.pool.drain())
        for k in range(len(self.states)):
            self._relink(k)
        for summary in self.summaries:
            pending = self.states[0].images[summary.name]
            if pending.evaluated is not None:
                self.evaluation.add(pending.evaluated.evaluation, summary.page)
            elif self.evaluation is not None:
                self.evaluation.leave_out(summary.name, pending.left_out)

    def write_outcomes(self, outcomes) -> None:
        """Write the files of finished images, in image order; an error fails its image only.

        An outcome's tag is ``(path, summary, variant number)``; a shard's figures-only task has
        no summary.
        """
        for outcome in outcomes:
            path, summary, k = outcome.tag
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
            self.states[k].summaries.append(summary)

    def _relink(self, k: int) -> None:
        """Render again variant ``k``'s pages whose previous or next image failed after they were handed out.

        Rare (figures or pages failing for a result that was fine); their results come back from
        the cache. Done in this process, in image order, so the site is the same for any ``jobs``.
        A page that fails now is dropped too, and the pages around it are checked again.
        """
        state = self.states[k]
        summaries = state.summaries
        settled = False
        while not settled:
            settled = True
            for i, summary in enumerate(summaries):
                previous = summaries[i - 1] if i else None
                next_summary = summaries[i + 1] if i + 1 < len(summaries) else None
                wanted = (previous and previous.name, next_summary and next_summary.name)
                if state.linked[summary.name] == wanted:
                    continue
                pending = state.images[summary.name]
                try:
                    prepared = self.prepare(i, pending.path, state.slugs[summary.name], counted=False)
                    if prepared.error is not None:
                        raise prepared.error
                    result = prepared.results.get(state.variant.name)
                    if result is None:
                        raise SitegenError(f"{pending.path.name}: its result left the cache during the build; build again")
                    files = render_pages(self._task(k, pending, result, previous, next_summary))
                    for relpath in sorted(files):
                        self.written += self.folder.write(relpath, files[relpath])
                except RUN_ERRORS:
                    raise
                except Exception as error:  # noqa: BLE001 -- as in add()
                    self._fail(pending.path, error)
                    del summaries[i]
                    settled = False
                    break
                state.linked[summary.name] = wanted

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

    def _text(self, prompt_templates_name: str):
        """(Q, D) text embeddings for a set of prompt templates, from the cache or the CLIP text tower, once per build."""
        from sitegen.models.prompt_templates import get_prompt_templates

        if prompt_templates_name not in self._text_embeddings:
            prompt_templates = get_prompt_templates(prompt_templates_name)
            self._text_embeddings[prompt_templates_name] = self.cache.text_embeddings(
                self.clip_identity,
                prompt_templates,
                self.vocabulary.queries,
                lambda queries: self.executor.encode_queries(queries, prompt_templates),
                store=self.store_text,
            )
        return self._text_embeddings[prompt_templates_name]

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
        variants = [(state.variant, state.summaries) for state in self.states] if len(self.states) > 1 else None
        files = site_files(self.summaries, failures, self.site, self.env, facts, self.evaluation, variants)
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
            builder = _SiteBuilder(title, vocabulary, variants, models, cache, executor, None, flags, console, quiet, pool)
            builder.store_text = shard.index == 0
            return _compute_shard(builder, found, slugs, shard, start)
    output = OutputFolder(out, overwrite=overwrite, inputs=[images_dir])
    site_root = Path(out).resolve()
    if site_root == Path(cache_dir).resolve() or site_root in Path(cache_dir).resolve().parents:
        raise SitegenError(f"the cache folder {cache_dir} is inside the output folder {out}; pass a --cache-dir outside it")
    cache = ResultCache(cache_dir, refresh=force)
    with owned or nullcontext(), output as folder, OrderedPool(jobs) as pool:
        builder = _SiteBuilder(
            title, vocabulary, variants, models, cache, executor, folder, flags, console, quiet, pool, ground_truth
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


def _run_images(builder: _SiteBuilder, found: list[Path], slugs: list[list[str]], positions, progress, bar, *, pages: bool) -> None:
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


def _compute_shard(builder: _SiteBuilder, found: list[Path], slugs: list[list[str]], shard: Shard, start: float) -> BuildReport:
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
