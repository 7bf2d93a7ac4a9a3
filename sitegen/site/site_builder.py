"""The pages side of a build: each image's results into pages, in image order, and then the site.

``SiteBuilder`` takes every image's results (from ``sitegen.site.image_results``) in input
order. An image's pages link to its neighbours, so they are handed to the worker pool
(``sitegen.site.parallel``) only once the next successful image is known; this process writes
what the workers return, in image order, so the site is the same for any ``jobs``. A page whose
neighbour then failed in a worker is rendered again with the right links (``_relink``). With
several variants, every variant gets its own pages and each image a comparison page; the
base variant's pages carry the evaluation. A failure of one image becomes a ``Failure`` and the
build goes on.
"""

from __future__ import annotations

import dataclasses
import traceback
from dataclasses import dataclass
from pathlib import Path

from rich.markup import escape

from sitegen.config import Variant
from sitegen.errors import GroundTruthError, SitegenError, is_out_of_memory
from sitegen.records import PipelineResult
from sitegen.evaluation import GroundTruth, ImageEvaluation, evaluate_image
from sitegen.pipeline.funnel import ClassFunnel, compute_funnel
from sitegen.site.evaluation import EvaluatedImage, EvaluationTally, evaluate_result, load_truth
from sitegen.site.gallery import VariantListing
from sitegen.site.image_results import RUN_ERRORS, ImageResults, PreparedImage, failure_of
from sitegen.site.index_page import site_files
from sitegen.site.page_task import PageTask, render_pages, rendered_figures
from sitegen.site.parallel import threads_per_job
from sitegen.site.summaries import Failure, ImageSummary, SiteInfo, summarize_image


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
    funnels: tuple[ClassFunnel, ...] | None  # with ground truth, under-found classes explained too; None once handed
    evaluated: EvaluatedImage | None = None  # with --ground-truth, when the ground truth is usable
    left_out: str | None = None  # why the image has no evaluation, with --ground-truth
    variants: tuple[tuple[str, str], ...] = ()
    comparison: str | None = None
    scored: ImageEvaluation | None = None  # another variant's final map scored, with --ground-truth


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
    evaluation: EvaluationTally | None = None  # with --ground-truth: its final maps scored


class SiteBuilder:
    """The per-image work of one build and what it has learnt so far (see the module docstring).

    Every variant of the build gets its own pages; ``site`` and ``summaries`` are the base
    variant's (the first), which the index, the class pages, the evaluation and the build log are
    about.
    """

    def __init__(self, title, results: ImageResults, folder, flags, console, quiet, pool, ground_truth=None):
        from sitegen.site.render import make_environment

        self.results = results
        self.folder = folder
        self.per_class_details = flags["per_class_details"]
        self.pool = pool
        self.threads = threads_per_job(pool.jobs)
        self.console = console
        self.quiet = quiet
        self.states = [
            _VariantState(v, SiteInfo.create(title, results.vocabulary, v.options, results.models, paper_figures=flags["paper_figures"]))
            for v in results.variants
        ]
        self.site = self.states[0].site
        self.summaries = self.states[0].summaries
        self.env = make_environment()
        self.failures: dict[str, Failure] = {}
        self.warnings: list[str] = []
        self.written = 0
        self.evaluation = None if ground_truth is None else EvaluationTally(ground_truth, results.vocabulary.names)
        for k, state in enumerate(self.states):
            if ground_truth is not None:
                state.evaluation = EvaluationTally(ground_truth, results.vocabulary.names) if k else self.evaluation

    # --- One image ------------------------------------------------------------------------------

    def add(self, prepared: PreparedImage, outcome, *, pages: bool = True) -> None:
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
            truth, left_out = None, None
            ready = []
            for k, (state, slug) in enumerate(zip(self.states, prepared.slugs)):
                name = state.variant.name
                result = prepared.results.get(name) or dataclasses.replace(computed[name], models=self.results.models, timings={})
                if k == 0:
                    self.warnings.extend(result.image.warnings)
                    if not self.quiet:
                        for warning in result.image.warnings:
                            self.console.print(f"[yellow]warning:[/] {warning}")
                figures_key = self.results.cache.figures_key(prepared.keys[name], result.image, self.per_class_details)
                if not pages:
                    args = (result, state.site, self.results.cache, figures_key, self.per_class_details, self.threads)
                    self.pool.submit((path, None, k), rendered_figures, *args)
                    continue
                if k == 0 and self.evaluation is not None:  # every variant shares the image, so its ground truth
                    truth, left_out = self._load_truth(result)
                funnels = compute_funnel(result, None if truth is None else truth.labels)
                summary = summarize_image(result, slug, state.site, funnels)
                ready.append(_Pending(path, result, summary, figures_key, funnels))
            if not pages:
                self.write_outcomes(self.pool.ready())
                return
            if self.evaluation is not None:  # the base variant's result is evaluated
                ready[0].left_out = left_out
                ready[0].evaluated = None if truth is None else evaluate_result(ready[0].result, truth, self.site.palette)
            if len(ready) > 1:
                ready = self._compare(ready, truth)
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

    def _compare(self, ready: list[_Pending], truth: GroundTruth | None) -> list[_Pending]:
        """Write the image's comparison page; the waiting pages learn their siblings."""
        from sitegen.site.variant_pages import comparison_files, comparison_page_path

        variants = [state.variant for state in self.states]
        results = {v.name: pending.result for v, pending in zip(variants, ready)}
        pages = {v.name: pending.summary.page for v, pending in zip(variants, ready)}
        funnels = {v.name: pending.funnels for v, pending in zip(variants, ready)}
        scored = None
        if truth is not None:
            scored = {
                name: evaluate_image(r.image.name, r.dense.prediction, r.final.labels, truth, len(r.vocabulary))
                for name, r in results.items()
            }
        mean_iou = None if scored is None else {name: evaluation.final.miou for name, evaluation in scored.items()}
        files = comparison_files(results, funnels, variants, pages, ready[0].summary.slug, self.site, self.env, mean_iou)
        for relpath in sorted(files):
            self.written += self.folder.write(relpath, files[relpath])
        comparison = comparison_page_path(ready[0].summary.slug)
        siblings = tuple(pages.items())
        return [
            dataclasses.replace(
                pending, variants=siblings, comparison=comparison, scored=scored[variants[k].name] if scored and k else None
            )
            for k, pending in enumerate(ready)
        ]

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
        pending.result = pending.funnels = None  # the pool has them; keep memory flat over thousands of images
        state.submitted = pending.summary

    def _task(self, k: int, pending: _Pending, result, previous, next_summary) -> PageTask:
        evaluation = None if self.evaluation is None or k else (pending.evaluated, pending.left_out)
        funnels = pending.funnels if pending.funnels is not None else self._funnels_again(result)
        return PageTask(
            result, pending.summary, previous, next_summary, self.states[k].site, self.results.cache,
            pending.figures_key, self.per_class_details, self.threads, evaluation, pending.variants, pending.comparison,
            funnels,
        )

    def _funnels_again(self, result: PipelineResult) -> tuple[ClassFunnel, ...]:
        """The funnels of a result whose pages ``_relink`` renders again (dropped when first handed out)."""
        truth = None
        if self.evaluation is not None:
            try:
                truth = load_truth(result.image, self.evaluation.source).labels
            except GroundTruthError:
                pass  # reported when the image was added
        return compute_funnel(result, truth)

    def finish_images(self) -> None:
        """Write every image still in the pool, then fix the links to images that failed there."""
        for k in range(len(self.states)):
            self._flush(k)
        self.write_outcomes(self.pool.drain())
        for k in range(len(self.states)):
            self._relink(k)
        if self.evaluation is None:
            return
        for k, state in enumerate(self.states):
            for summary in state.summaries:
                base = self.states[0].images[summary.name]
                scored = state.images[summary.name].scored if k else base.evaluated and base.evaluated.evaluation
                if scored is not None:
                    state.evaluation.add(scored, summary.page)
                else:
                    state.evaluation.leave_out(summary.name, base.left_out or "its ground truth could not be read")

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
                    prepared = self.results.prepare(i, pending.path, state.slugs[summary.name], counted=False)
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

    def _load_truth(self, result: PipelineResult) -> tuple[GroundTruth | None, str | None]:
        """``(GroundTruth, None)``, or ``(None, reason)`` when the ground truth is unusable
        (the reason is also a warning: one line naming the file)."""
        try:
            return load_truth(result.image, self.evaluation.source), None
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
        variants = (
            [VariantListing(state.variant, state.summaries, state.evaluation) for state in self.states]
            if len(self.states) > 1
            else None
        )
        files = site_files(self.summaries, failures, self.site, self.env, facts, self.evaluation, variants)
        for relpath in sorted(files):
            self.written += self.folder.write(relpath, files[relpath])
        return failures
