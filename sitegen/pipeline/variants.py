"""Several variants of the options on one image, sharing the model work they have in common.

Variants whose ``PipelineOptions.dense_fields()`` are equal see the same resized image, windows
and queries, so their CLIP output is one computation; every variant of an image that prompts SAM
on the same pixels uses one SAM image embedding (the predictor keeps it between ``predict``
calls, as ``SAM2ImagePredictor`` does). Only stages 3's numpy half to 12, and SAM's prompt calls,
run once per variant.

Where the decoded image and the CLIP output come from (a cache, the models) is the caller's
business: ``run_variants`` takes them as two functions, so a build can answer them from its cache
and a test from anything.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from sitegen.config import Variant
from sitegen.options import PipelineOptions
from sitegen.records import DenseSimilarity, LoadedImage, PipelineResult, Vocabulary


def dense_key(options: PipelineOptions) -> tuple:
    """What variants sharing one CLIP output have in common: their ``dense_fields()``, hashable."""
    return tuple(sorted(options.dense_fields().items()))


def dense_groups(variants: Sequence[Variant]) -> tuple[tuple[Variant, ...], ...]:
    """The variants grouped by equal ``dense_fields()``, groups and members in the given order.

    Examples
    --------
    >>> from sitegen.config import Variant
    >>> a, b, c = (Variant(n, PipelineOptions(short_side=s)) for n, s in (("a", 336), ("b", 224), ("c", 336)))
    >>> [[v.name for v in group] for group in dense_groups([a, b, c])]
    [['a', 'c'], ['b']]
    """
    groups: dict[tuple, list[Variant]] = {}
    for variant in variants:
        groups.setdefault(dense_key(variant.options), []).append(variant)
    return tuple(tuple(group) for group in groups.values())


class EmbeddedOnce:
    """A SAM predictor that skips ``set_image`` when given the image it embedded last.

    Parameters
    ----------
    predictor
        Has ``set_image(rgb)``, ``predict(points, labels)`` and ``batch_bytes(h, w)``
        (``sitegen.pipeline.sam_prompting.Predictor``).
    """

    def __init__(self, predictor):
        self.predictor = predictor
        self._embedded: np.ndarray | None = None

    def set_image(self, rgb: np.ndarray) -> None:
        """Embed ``rgb``, (H, W, 3) uint8, unless it equals the image embedded last."""
        last = self._embedded
        if last is not None and (rgb is last or (rgb.shape == last.shape and np.array_equal(rgb, last))):
            return
        self.predictor.set_image(rgb)
        self._embedded = rgb

    def predict(self, points, labels):
        return self.predictor.predict(points, labels)

    def batch_bytes(self, height: int, width: int) -> int:
        return self.predictor.batch_bytes(height, width)


class ImageModels:
    """The models as the variants of one image see them: SAM loads on first use, embeds once.

    ``run_stages`` reads ``options`` and ``sam`` from it, as from ``LazyModels``.
    """

    def __init__(self, models):
        self._models = models
        self.options = models.options
        self._sam: EmbeddedOnce | None = None

    @property
    def sam(self) -> EmbeddedOnce:
        if self._sam is None:
            self._sam = EmbeddedOnce(self._models.sam)
        return self._sam


def run_variants(
    variants: Sequence[Variant],
    vocabulary: Vocabulary,
    models,
    load: Callable[[PipelineOptions], LoadedImage],
    similarity: Callable[[LoadedImage, PipelineOptions, dict], DenseSimilarity],
) -> dict[str, PipelineResult]:
    """Stages 3 to 12 of every variant on one image, the model work shared (see the module).

    Parameters
    ----------
    variants : sequence of Variant
        The variants to compute (a build passes those its cache lacks).
    vocabulary : Vocabulary
    models : LazyModels
        Or a stand-in with ``options`` and ``sam``.
    load : callable
        ``load(options)`` decodes the image for ``options.max_pixels``; called once per group of
        variants with equal ``dense_fields()``.
    similarity : callable
        ``similarity(image, options, timings)``: the CLIP output for the group's options, adding
        the seconds it spends on models to ``timings``; called once per group.

    Returns
    -------
    dict
        Variant name -> its ``PipelineResult``, in the order of ``variants``. The shared work's
        timings go to the first variant of its group.
    """
    from sitegen.models.prompt_templates import get_prompt_templates
    from sitegen.pipeline.run import run_stages

    shared = ImageModels(models)
    results: dict[str, PipelineResult] = {}
    for group in dense_groups(variants):
        timings: dict[str, float] = {}
        image = load(group[0].options)
        dense = similarity(image, group[0].options, timings)
        for variant in group:
            prompt_templates = get_prompt_templates(variant.options.prompt_templates)
            results[variant.name] = run_stages(image, vocabulary, dense, shared, variant.options, prompt_templates, timings)
            timings = {}
    return {variant.name: results[variant.name] for variant in variants}


@dataclass(frozen=True)
class VariantsTask:
    """One image's model work for the variants of a build that the cache lacks.

    What a build's driver hands to an executor (``sitegen.pipeline.run.compute_image`` takes it
    as it takes an ``ImageTask``), so a Ray worker shares the work between variants as a local
    build does.

    Attributes
    ----------
    index : int
        The image's position in the build's sorted input.
    image : LoadedImage
        The decoded image (variants share ``max_pixels``, see ``sitegen.config``).
    variants : tuple of Variant
        The variants to compute, in the build's order.
    similarities : mapping
        ``dense_key`` -> the cached CLIP output of that group of variants.
    text_embeddings : mapping
        Prompt-templates name -> (Q, D) float32 text embeddings, for the groups whose CLIP output
        must be computed.
    """

    index: int
    image: LoadedImage
    variants: tuple[Variant, ...]
    similarities: Mapping[tuple, DenseSimilarity]
    text_embeddings: Mapping[str, np.ndarray]


@dataclass(frozen=True)
class ComputedVariants:
    """What ``compute_variants`` returns: every asked variant's result (by name, with its
    timings) and the CLIP outputs computed here (by ``dense_key``), for the driver's cache."""

    index: int
    results: Mapping[str, PipelineResult]
    similarities: Mapping[tuple, DenseSimilarity]


def compute_variants(task: VariantsTask, vocabulary: Vocabulary, models) -> ComputedVariants:
    """The model work of one ``VariantsTask``: ``run_variants`` with the task's CLIP outputs.

    Reads and writes no cache, like ``compute_image``.
    """
    from sitegen.pipeline.run import compute_similarity, timed

    computed: dict[tuple, DenseSimilarity] = {}

    def similarity(image: LoadedImage, options: PipelineOptions, timings: dict) -> DenseSimilarity:
        key = dense_key(options)
        if key in task.similarities:
            return task.similarities[key]
        if options.prompt_templates not in task.text_embeddings:
            raise ValueError(f"{image.name}: no CLIP output and no text embeddings to compute it with")
        with timed(timings, "clip_windows"):
            computed[key] = compute_similarity(models, image, task.text_embeddings[options.prompt_templates], options)
        return computed[key]

    results = run_variants(task.variants, vocabulary, models, lambda options: task.image, similarity)
    return ComputedVariants(task.index, results, computed)
