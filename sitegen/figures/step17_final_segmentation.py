"""Step 17: the final map: SCLIP's argmax with the kept SAM masks painted over it."""

from __future__ import annotations

import numpy as np

from sitegen.figures.canvas import Panel, compose
from sitegen.figures.overlay import backdrop, blend, colourise
from sitegen.figures.palette import Palette
from sitegen.figures.plotly_json import plotly_names
from sitegen.figures.registry import RenderedStep, step_info
from sitegen.figures.step06_dense_prediction import class_shares, labelled_class_figure
from sitegen.figures.views import class_overlay, class_share_legend, grid_columns, panel_frame
from sitegen.figures.wording import paragraphs, percent
from sitegen.records import PipelineResult

STEP = step_info("17_final_segmentation")


def source_text(index: int) -> str:
    return "SCLIP" if index < 0 else f"SAM #{index}"


def describe(result: PipelineResult) -> str:
    final = result.final
    names = result.vocabulary.names
    painted = int((final.source >= 0).sum())
    changed = int((final.labels != result.dense.prediction).sum())
    counts = class_shares(final.labels, len(names))
    shares = "; ".join(
        f"{names[c]} {percent(counts[c], final.labels.size)}" for c in np.argsort(-counts)[:10] if counts[c]
    )
    return paragraphs(
        [
            "The final map starts from SCLIP's argmax and paints the kept SAM masks over it in ascending region "
            "confidence, so the most confident mask wins a contested pixel.",
            f"{len(result.overlap.kept)} masks painted {painted:,} pixels ({percent(painted, final.labels.size)}); "
            f"{changed:,} pixels ({percent(changed, final.labels.size)}) changed class compared with the argmax.",
            f"Share of pixels: {shares}.",
        ]
    )


def render(result: PipelineResult, palette: Palette) -> RenderedStep:
    final = result.final
    names = result.vocabulary.names
    counts = class_shares(final.labels, len(names))
    columns = grid_columns(3, *final.labels.shape)
    frame = panel_frame(*final.labels.shape, columns)
    painted = frame.sample(final.source >= 0)
    source_view = blend(
        backdrop(frame.photo(result.image.rgb)),
        colourise(frame.sample(final.labels), palette),
        0.85 * painted,
    )
    png = compose(
        f"Step 17 - {STEP.title}",
        [
            Panel(colourise(frame.sample(final.labels), palette), "final class map"),
            Panel(class_overlay(frame, result.image.rgb, final.labels, palette), "over the image"),
            Panel(
                source_view,
                f"painted by SAM masks ({percent(int((final.source >= 0).sum()), final.labels.size)}); grey = SCLIP argmax",
            ),
        ],
        columns=columns,
        legend=class_share_legend(palette, names, counts, final.labels.size),
        random_weights=result.models.random_weights,
    )
    # One hover area per (class, painting prompt) pair.
    sources = len(result.candidates.prompts) + 1
    keys = final.labels * sources + (final.source + 1)
    present = np.unique(keys).tolist()
    figure, assets = labelled_class_figure(
        result,
        palette,
        final.labels,
        "Final segmentation (click a legend entry to toggle a class)",
        keys,
        {k: f"class: {plotly_names(result.vocabulary)[k // sources]}<br>from {source_text(k % sources - 1)}" for k in present},
        {k: k // sources for k in present},
    )
    facts = {
        "masks painted": len(result.overlap.kept),
        "pixels from SAM (%)": round(100.0 * float((final.source >= 0).mean()), 1),
        "pixels changed vs argmax (%)": round(
            100.0 * float((final.labels != result.dense.prediction).mean()), 1
        ),
        "classes present": int((counts > 0).sum()),
    }
    return RenderedStep(STEP, png, describe(result), facts, figure, assets)
