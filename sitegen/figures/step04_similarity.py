"""Step 4: cosine similarity of every pixel with every class, before the softmax."""

from __future__ import annotations

import numpy as np

from sitegen.figures.class_maps import class_maps_figure, class_maps_png, viridis_bar
from sitegen.figures.palette import Palette
from sitegen.figures.registry import RenderedStep, step_info
from sitegen.figures.shown_classes import shown_classes, shown_sentence
from sitegen.figures.wording import paragraphs
from sitegen.records import PipelineResult, ScoreSummary

STEP = step_info("04_similarity")


def value_range(summary: ScoreSummary) -> tuple[float, float]:
    """The shared colour scale: all classes' cosines, widened to two decimals."""
    low, high = summary.similarity_min.min(), summary.similarity_max.max()
    return float(np.floor(low * 100) / 100), float(np.ceil(high * 100) / 100)


def describe(result: PipelineResult) -> str:
    summary = result.dense.summary
    shown = shown_classes(result)
    names = result.vocabulary.names
    means = summary.similarity_mean
    order = np.argsort(-means)
    several = any(len(c.queries) > 1 for c in result.vocabulary.classes)
    return paragraphs(
        [
            "Cosine similarity between each pixel's CLIP feature (SCLIP: correlative self-attention in the "
            "last block) and each query's text embedding, averaged where windows overlap and resized to the "
            "image. These are raw cosines, before the softmax of the next step"
            + ("; a class with several queries shows its highest cosine." if several else "."),
            f"Cosines here range from {summary.similarity_min.min():.3f} to {summary.similarity_max.max():.3f}; all maps share one colour "
            f"scale. Highest mean: {names[order[0]]} ({means[order[0]]:.3f}); lowest: {names[order[-1]]} ({means[order[-1]]:.3f}).",
            f"Small differences matter: the next step multiplies cosines by logit_scale {result.options.logit_scale:g} before the softmax.",
            shown_sentence(
                result, shown, "The static picture and the interactive view each", "Step 5's interactive view can show any class."
            ),
        ]
    )


def render(result: PipelineResult, palette: Palette) -> RenderedStep:
    summary = result.dense.summary
    similarities = result.dense.scores.similarities_at
    names = result.vocabulary.names
    span = value_range(summary)
    shown = shown_classes(result)
    captions = [
        f"{n}: mean {summary.similarity_mean[c]:.3f}, max {summary.similarity_max[c]:.3f}" for c, n in enumerate(names)
    ]
    png = class_maps_png(
        f"Step 4 - {STEP.title} (cosine, before softmax)",
        result,
        palette,
        similarities,
        span,
        viridis_bar("cosine similarity", span),
        captions,
        shown.indices,
    )
    figure, assets = class_maps_figure(
        "Cosine similarity per class (pick a class)", result, similarities, span, "cosine", "similarity", shown.indices
    )
    facts = {
        "min cosine": round(float(summary.similarity_min.min()), 4),
        "max cosine": round(float(summary.similarity_max.max()), 4),
        "mean cosine": round(float(summary.similarity_mean.mean()), 4),  # every class has every pixel
        "logit scale": result.options.logit_scale,
    }
    return RenderedStep(STEP, png, describe(result), facts, figure, assets)
