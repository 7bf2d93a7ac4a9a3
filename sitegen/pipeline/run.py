"""Run the 12 stages on one image: the only place that knows their order.

Model work is kept apart from the pure stages so a cache can stand in for it:
``compute_similarity`` is the CLIP forward (stage 3's expensive half) and ``run_stages``
everything after it, which touches SAM 2 only when some region produced a prompt.
Models come from ``LazyModels``, which loads each model on first use, once per build.
``compute_image`` is one image's model work as a build hands it out (an ``ImageTask`` in, a
``ComputedImage`` out): a local build and every Ray worker call it, so both compute the same bytes.
"""

from __future__ import annotations

import gc
import time
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from sitegen.options import ModelOptions, PipelineOptions
from sitegen.records import DenseSimilarity, LoadedImage, PipelineResult, Vocabulary


class LazyModels:
    """CLIP and SAM 2, each loaded the first time a stage needs it.

    A rebuild whose results all come from the cache therefore never pays for loading a model.
    ``loads`` counts the models actually loaded (tests and the build report read it). Whoever
    makes one releases it when the run ends (``release``, or ``with LazyModels(...) as models``).
    """

    def __init__(self, models: ModelOptions):
        self.options = models
        self.loads = 0
        self._frozen = False
        self._device: str | None = None
        self._clip = None
        self._sam = None

    @property
    def device(self) -> str:
        if self._device is None:
            from sitegen.models.device import resolve_device

            self._device = resolve_device(self.options.device)
        return self._device

    @property
    def clip(self):
        if self._clip is None:
            from sitegen.models.weights import refuse_unreachable_download

            refuse_unreachable_download(self.options, "clip")  # before torch is imported
            from sitegen.models.clip import load_clip

            self._clip = self._loaded(load_clip(self.options, self.device))
        return self._clip

    @property
    def sam(self):
        if self._sam is None:
            from sitegen.models.weights import refuse_unreachable_download

            refuse_unreachable_download(self.options, "sam")  # before torch is imported
            from sitegen.models.sam import load_sam

            self._sam = self._loaded(load_sam(self.options, self.device))
        return self._sam

    def _loaded(self, model):
        """Count a load and keep what now lives for the build out of the collector's walks."""
        self.loads += 1
        _keep_out_of_collections()
        self._frozen = True
        return model

    def release(self) -> None:
        """Drop the models and hand what was frozen at their loading back to the collector.

        Undoes ``_keep_out_of_collections``, so the process (a test session, a notebook, a
        second build) collects as it did before. A later use loads the models again.
        """
        self._clip = self._sam = None
        if self._frozen:
            gc.unfreeze()
            self._frozen = False

    def __enter__(self) -> LazyModels:
        return self

    def __exit__(self, *exc_info) -> None:
        self.release()

    def counters(self) -> dict[str, int]:
        """Model work done so far: loads, CLIP window forwards, text encodings, SAM embeddings."""
        return {
            "model_loads": self.loads,
            "clip_forwards": self._clip.forward_count if self._clip is not None else 0,
            "text_encodings": self._clip.text_count if self._clip is not None else 0,
            "sam_embeds": self._sam.embed_count if self._sam is not None else 0,
        }


def _keep_out_of_collections() -> None:
    """Move every object alive now out of the garbage collector's reach, for the rest of the run.

    torch, open_clip and SAM 2 leave about 420,000 Python objects (modules, functions, model
    layers) that live as long as the build. Each full collection walked all of them: 0.2 s,
    every image or two, as long as an image's pages take to write. Frozen, they are never
    walked again. Garbage already unreachable is collected first so that it is not kept.
    """
    gc.collect()
    gc.freeze()


@contextmanager
def timed(timings: dict[str, float], name: str):
    """Add the wall time of the block to ``timings[name]``."""
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[name] = timings.get(name, 0.0) + time.perf_counter() - start


def encode_vocabulary(
    models: LazyModels, vocabulary: Vocabulary, prompt_templates: tuple[str, ...]
) -> np.ndarray:
    """(Q, D) float32 text embeddings of every query of the vocabulary, in query order."""
    return models.clip.encode_queries(vocabulary.queries, prompt_templates)


def compute_similarity(
    models: LazyModels,
    image: LoadedImage,
    text_embeddings: np.ndarray,
    options: PipelineOptions,
) -> DenseSimilarity:
    """Stage 3's model half: SCLIP cosines of every pixel with every query."""
    return models.clip.compute_similarity(
        image.rgb,
        text_embeddings,
        short_side=options.short_side,
        window=options.window,
        stride=options.stride,
    )


def run_stages(
    image: LoadedImage,
    vocabulary: Vocabulary,
    similarity: DenseSimilarity,
    models: LazyModels,
    options: PipelineOptions,
    prompt_templates: tuple[str, ...],
    timings: dict[str, float],
) -> PipelineResult:
    """Stages 3 (scores) to 12 on one image whose CLIP similarity is known.

    ``timings`` receives one entry per stage (seconds) and is stored in the result.
    """
    from sitegen.pipeline.components import find_components
    from sitegen.pipeline.dense_prediction import predict_dense
    from sitegen.pipeline.final_segmentation import paint_final
    from sitegen.pipeline.negative_points import place_negative_points
    from sitegen.pipeline.overlap_resolution import resolve_overlaps
    from sitegen.pipeline.positive_points import place_positive_points
    from sitegen.pipeline.sam_prompting import build_prompts, prompt_sam
    from sitegen.pipeline.size_filter import filter_regions
    from sitegen.pipeline.thresholding import threshold_confidence

    with timed(timings, "dense_prediction"):
        dense = predict_dense(similarity, vocabulary.query_class, len(vocabulary), options.logit_scale)
    with timed(timings, "thresholding"):
        thresholding = threshold_confidence(dense, options.min_confidence)
    with timed(timings, "components"):
        components = find_components(dense, thresholding)
    with timed(timings, "size_filter"):
        size_filter = filter_regions(components, options.min_region_size)
    with timed(timings, "positive_points"):
        points = place_positive_points(size_filter, options.points_per_cluster)
    with timed(timings, "negative_points"):
        points = place_negative_points(
            points,
            size_filter,
            dense,
            options.negative_points_per_cluster,
            options.negative_confidence_threshold,
        )
    with timed(timings, "sam_prompting"):  # stage 10, choosing each prompt's mask, runs as batches return
        prompts = build_prompts(points, options.prompt_mode)
        # The SAM model is only touched (and loaded) when there is something to ask it.
        predictor = models.sam if prompts else None
        candidates, selection = prompt_sam(predictor, image.rgb, prompts)
    with timed(timings, "overlap_resolution"):
        overlap = resolve_overlaps(candidates, selection, options.iou_threshold)
    with timed(timings, "final_segmentation"):
        final = paint_final(dense.prediction, candidates, selection, overlap)
    return PipelineResult(
        image=image,
        vocabulary=vocabulary,
        options=options,
        models=models.options,
        prompt_templates=tuple(prompt_templates),
        dense=dense,
        thresholding=thresholding,
        components=components,
        size_filter=size_filter,
        points=points,
        candidates=candidates,
        selection=selection,
        overlap=overlap,
        final=final,
        timings=dict(timings),
    )


def run_image(
    image: LoadedImage,
    vocabulary: Vocabulary,
    models: LazyModels,
    options: PipelineOptions,
    prompt_templates: tuple[str, ...],
    text_embeddings: np.ndarray,
) -> PipelineResult:
    """All stages on one image, no cache: what ``sitegen run`` and the benchmark call."""
    job = ImageJob(vocabulary, options, tuple(prompt_templates))
    return compute_image(ImageTask(0, image, None, text_embeddings), job, models).result


@dataclass(frozen=True)
class ImageJob:
    """What every image of one build shares: the classes, the options and the prompt templates."""

    vocabulary: Vocabulary
    options: PipelineOptions
    prompt_templates: tuple[str, ...]


@dataclass(frozen=True)
class ImageTask:
    """One image's model work, as the build's driver hands it to whoever computes it.

    Attributes
    ----------
    index : int
        The image's position in the build's sorted input (results are matched back by it).
    image : LoadedImage
        The decoded image.
    similarity : DenseSimilarity or None
        The CLIP output from the cache; None when CLIP must run.
    text_embeddings : ndarray of shape (Q, D), dtype float32, or None
        The queries' text embeddings; needed (and given) only when ``similarity`` is None.
    """

    index: int
    image: LoadedImage
    similarity: DenseSimilarity | None
    text_embeddings: np.ndarray | None = None


@dataclass(frozen=True)
class ComputedImage:
    """What ``compute_image`` returns to the driver, which caches both parts.

    ``result.timings`` holds the seconds of every stage run here, ``clip_windows`` included when
    CLIP ran; ``similarity`` is the CLIP output computed here (None when it came with the task).
    """

    index: int
    result: PipelineResult
    similarity: DenseSimilarity | None


def compute_image(task: ImageTask, job: ImageJob, models: LazyModels) -> ComputedImage:
    """The model work of one image: CLIP (unless its output came along), then stages 3 to 12.

    The one function that both a local build and a Ray worker call, so the two compute the same
    bytes. It reads and writes no cache: the driver looks entries up before and stores the
    returned ones after. A ``VariantsTask`` (a build with ``--config``) is computed by
    ``compute_variants`` and returns a ``ComputedVariants``.
    """
    from sitegen.pipeline.variants import VariantsTask, compute_variants

    if isinstance(task, VariantsTask):
        return compute_variants(task, job.vocabulary, models)
    timings: dict[str, float] = {}
    similarity = task.similarity
    computed = None
    if similarity is None:
        if task.text_embeddings is None:
            raise ValueError(f"{task.image.name}: no CLIP output and no text embeddings to compute it with")
        with timed(timings, "clip_windows"):
            similarity = computed = compute_similarity(models, task.image, task.text_embeddings, job.options)
    result = run_stages(
        task.image, job.vocabulary, similarity, models, job.options, job.prompt_templates, timings
    )
    return ComputedImage(index=task.index, result=result, similarity=computed)
