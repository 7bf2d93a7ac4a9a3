"""The driver's part of each image's model work: look it up in the caches, cache what comes back.

``sitegen build`` runs on one machine or many (``sitegen.distributed``), but this process alone
touches the caches. For each image, ``prepare`` decodes it and looks every variant up in the
result cache; the variants that miss become one ``VariantsTask`` for an executor, carrying the
CLIP outputs and text embeddings the cache already holds. ``store`` caches what the executor
returns as soon as it does, so Ctrl-C keeps every finished image. The counts and per-stage
timings gathered here go to ``build-log.txt``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from sitegen.config import Variant
from sitegen.errors import OUT_OF_MEMORY_ADVICE, OptionsError, OutputError, SitegenError, WeightsError, is_out_of_memory
from sitegen.models.prompt_templates import get_prompt_templates
from sitegen.pipeline.run import ImageJob
from sitegen.pipeline.image import load_image
from sitegen.pipeline.variants import ComputedVariants, VariantsTask, dense_groups, dense_key
from sitegen.records import PipelineResult, Vocabulary
from sitegen.site.cache import ResultCache, clip_identity, model_identity
from sitegen.site.summaries import Failure

#: Errors that no other image would escape either: they stop the build instead of failing one image.
RUN_ERRORS = (WeightsError, OptionsError, OutputError)


@dataclass
class PreparedImage:
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


class ImageResults:
    """Cached and computed results of one build's images, for every variant.

    ``built``, ``cached``, ``log`` (one line per image and variant: built in N s, or cached) and
    ``stage_seconds`` say what this run did. ``store_text`` is False in shards other than
    shard 0, so that one writer stores each cache entry.
    """

    def __init__(self, vocabulary: Vocabulary, variants: tuple[Variant, ...], models, cache: ResultCache, executor):
        base = variants[0].options
        self.vocabulary = vocabulary
        self.variants = variants
        self.models = models
        self.cache = cache
        self.executor = executor
        self.job = ImageJob(vocabulary, base, tuple(get_prompt_templates(base.prompt_templates)))
        self.model_identity = model_identity(models)
        self.clip_identity = clip_identity(models)
        self.store_text = True
        self.built = self.cached = 0
        self.log: list[str] = []
        self.stage_seconds: dict[str, float] = {}
        self._text_embeddings: dict[str, object] = {}

    def label(self, name: str) -> str:
        """`` [name]`` after an image's name in the log when the build has several variants."""
        return f" [{name}]" if len(self.variants) > 1 else ""

    def prepare(self, index: int, path: Path, slugs: list[str], counted: bool = True) -> PreparedImage:
        """Decode the image and look every variant up: cached results, else the task that computes the rest.

        The result cache is keyed by the image's bytes and everything that changes the result,
        so each variant has its own entries: editing one variant misses only its own. On a miss
        the CLIP output of its group of variants may still be cached, and the text embeddings
        are fetched (or encoded, once per build) only when CLIP must run. ``counted=False`` looks
        an image up again without counting or logging it.
        """
        try:
            image = load_image(path, self.job.options.max_pixels)
            data = path.read_bytes()
            prepared = PreparedImage(path, slugs)
            missing = []
            for variant in self.variants:
                key = prepared.keys[variant.name] = self.cache.result_key(
                    data, self.vocabulary, variant.options, self.model_identity
                )
                cached = self.cache.get_result(key)
                if cached is None:
                    missing.append(variant)
                    continue
                if counted:
                    self.cached += 1
                    self.log.append(f"  {image.name}{self.label(variant.name)}: from the cache")
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
                    texts[options.prompt_templates] = self.text(options.prompt_templates)
            prepared.task = VariantsTask(index, image, tuple(missing), similarities, texts)
            return prepared
        except RUN_ERRORS:
            raise  # about the whole run (no weights, a bad option), not this image: stop, one message
        except Exception as error:  # noqa: BLE001 -- one bad image never stops the build
            return PreparedImage(path, slugs, error=error)

    def store(self, prepared: PreparedImage, outcome) -> None:
        """Cache what a worker computed, as soon as it is back (so Ctrl-C keeps it); log its timings."""
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
                f"  {prepared.path.name}{self.label(variant.name)}: built in {sum(result.timings.values()):.2f} s{clip_note}"
            )

    def text(self, prompt_templates_name: str):
        """(Q, D) text embeddings for a set of prompt templates, from the cache or the CLIP text tower, once per build."""
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
