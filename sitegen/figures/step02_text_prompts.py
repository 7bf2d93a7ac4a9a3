"""Step 2: the vocabulary as the text encoder saw it: classes, queries, prompt templates, colours."""

from __future__ import annotations

from sitegen.figures.canvas import MARGIN, MAX_WIDTH, Panel, compose
from sitegen.figures.charts import table_image
from sitegen.figures.palette import Palette
from sitegen.figures.plotly_json import figure_json, plotly_text
from sitegen.figures.plotly_layout import FONT, NO_TEMPLATE
from sitegen.figures.registry import RenderedStep, step_info
from sitegen.figures.wording import count, listed, paragraphs
from sitegen.records import PipelineResult

STEP = step_info("02_text_prompts")
HEADER = ["Class", "Queries", "Text prompts", "Example prompt"]


def _rows(result: PipelineResult) -> list[list[str]]:
    templates = result.prompt_templates
    example = templates[0] if templates else "{}"
    return [
        [c.name, ", ".join(c.queries), f"{len(c.queries)} x {len(templates)}", example.format(c.queries[0])]
        for c in result.vocabulary.classes
    ]


def describe(result: PipelineResult) -> str:
    vocabulary = result.vocabulary
    templates = result.prompt_templates
    synonyms = [c for c in vocabulary.classes if len(c.queries) > 1]
    lines = [
        f"{count(len(vocabulary), 'class', 'classes')} and {count(len(vocabulary.queries), 'query', 'queries')}. "
        f"Each query is written into the {count(len(templates), 'template')} of the "
        f"'{result.options.prompt_templates}' set ({listed([repr(t) for t in templates], 3)}); each text "
        "embedding is L2-normalised, the query's embeddings are averaged and normalised again.",
        "A class's probability is the highest over its queries."
        + (
            " Classes with several queries: "
            + "; ".join(f"{c.name} ({', '.join(c.queries)})" for c in synonyms)
            + "."
            if synonyms
            else " Every class here has a single query."
        ),
        "Each class keeps the colour shown here on every page.",
    ]
    return paragraphs(lines)


def _figure(result: PipelineResult, palette: Palette) -> dict:
    rows = [[plotly_text(cell) for cell in row] for row in _rows(result)]
    n = len(rows)
    colours = [palette.hex(i) for i in range(n)]
    table = {
        "type": "table",
        "columnwidth": [1.2, 0.5, 2.2, 1.0, 2.2],
        "header": {
            "values": ["Class", "Colour", "Queries", "Text prompts", "Example prompt"],
            "align": "left",
            "fill": {"color": "#ebebeb"},
        },
        "cells": {
            "values": [
                [r[0] for r in rows],
                [""] * n,
                [r[1] for r in rows],
                [r[2] for r in rows],
                [r[3] for r in rows],
            ],
            "align": "left",
            "fill": {"color": ["white", colours, "white", "white", "white"]},
        },
    }
    layout = {
        "template": NO_TEMPLATE,
        "font": FONT,
        "height": min(900, 140 + 30 * n),
        "margin": {"l": 10, "r": 10, "t": 50, "b": 10},
        "title": {"text": "Classes and their text prompts"},
    }
    return figure_json({"data": [table], "layout": layout})


def render(result: PipelineResult, palette: Palette) -> RenderedStep:
    vocabulary = result.vocabulary
    table = table_image(
        HEADER,
        _rows(result),
        max_width=MAX_WIDTH - 2 * MARGIN,
        swatches=list(palette.colours[: len(vocabulary)]),
    )
    templates = result.prompt_templates
    png = compose(
        f"Step 2 - {STEP.title}",
        [
            Panel(
                table,
                f"{count(len(vocabulary), 'class', 'classes')}, "
                f"{count(len(vocabulary.queries), 'query', 'queries')}, "
                f"{count(len(templates), 'template')} ('{result.options.prompt_templates}')",
            )
        ],
        random_weights=result.models.random_weights,
        notes=(f"Templates: {listed(list(templates), 8)}",),
    )
    facts = {
        "classes": len(vocabulary),
        "queries": len(vocabulary.queries),
        "template set": result.options.prompt_templates,
        "templates per query": len(templates),
        "text prompts": len(vocabulary.queries) * len(templates),
    }
    return RenderedStep(STEP, png, describe(result), facts, _figure(result, palette), {})
