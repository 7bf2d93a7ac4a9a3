"""Step 5: per-class probabilities (softmax of scaled cosines, max over each class's queries)."""

from __future__ import annotations

from sitegen.figures.class_maps import class_maps_figure, class_maps_png, viridis_bar
from sitegen.figures.palette import Palette
from sitegen.figures.registry import RenderedStep, step_info
from sitegen.figures.shown_classes import shown_classes, shown_sentence
from sitegen.figures.wording import count, paragraphs
from sitegen.records import PipelineResult

STEP = step_info("05_confidence_maps")
UNIT_RANGE = (0.0, 1.0)


def describe(result: PipelineResult) -> str:
    means = result.dense.summary.probability_mean
    vocabulary = result.vocabulary
    options = result.options
    summary = "; ".join(f"{name} {means[c]:.2f}" for c, name in enumerate(vocabulary.names[:12]))
    summary += f" and {len(vocabulary) - 12} more" if len(vocabulary) > 12 else ""
    synonyms = len(vocabulary.queries) > len(vocabulary)
    return paragraphs(
        [
            f"Probabilities: logits = logit_scale {options.logit_scale:g} x cosine, a softmax over all "
            f"{count(len(vocabulary.queries), 'query', 'queries')}, then each class takes the highest probability "
            "of its queries"
            + (" (so a pixel's class probabilities need not sum to 1)." if synonyms else "."),
            f"Mean probability per class: {summary}. Hover a pixel in the interactive view to read the probabilities "
            "of the classes it shows there.",
            shown_sentence(
                result,
                shown_classes(result),
                "The static picture",
                "The interactive view can show any class: the others at a coarse resolution, quantised to 256 levels.",
            ),
        ]
    )


def render(result: PipelineResult, palette: Palette) -> RenderedStep:
    summary = result.dense.summary
    probabilities = result.dense.scores.probabilities_at
    names = result.vocabulary.names
    captions = [
        f"{n}: mean {summary.probability_mean[c]:.2f}, max {summary.probability_max[c]:.2f}" for c, n in enumerate(names)
    ]
    bar = viridis_bar(
        "class probability",
        UNIT_RANGE,
        ((result.options.min_confidence, f"min_confidence {result.options.min_confidence:g}"),),
    )
    shown = shown_classes(result)
    png = class_maps_png(f"Step 5 - {STEP.title}", result, palette, probabilities, UNIT_RANGE, bar, captions, shown.indices)
    figure, assets = class_maps_figure(
        "Probability per class (pick a class; hover lists all)",
        result,
        probabilities,
        UNIT_RANGE,
        "probability",
        "confidence",
        shown.indices,
        any_class=True,
    )
    facts = {
        "classes": len(names),
        "queries": len(result.vocabulary.queries),
        "logit scale": result.options.logit_scale,
        "mean max probability": round(float(result.dense.confidence.mean()), 4),
    }
    return RenderedStep(STEP, png, describe(result), facts, figure, assets)
