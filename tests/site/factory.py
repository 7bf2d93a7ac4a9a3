"""Sites built from hand-made results, the way the build loop builds them, for the page tests.

Three images share one vocabulary whose last class is named like an injection attempt:
``alpha.png`` (640 x 480) finds all four classes, the image with the hostile file name finds
the first three (the fourth is a class SCLIP never picks there), ``empty.png`` finds none.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from sitegen.class_scores import ClassScores
from sitegen.records import ClassSpec, PipelineResult, Vocabulary
from tests.synthetic import make_result, summary_of

SCRIPT_CLASS = "<script>alert(1)</script>"
SCRIPT_FILE = 'a "b" <script>.png'
CLASS_NAMES = ("person", "grass", "sky", SCRIPT_CLASS)
FAILURE_REASON = "cannot decode <broken.png>: the file is truncated; re-export it"


def with_class_names(result: PipelineResult, names: tuple[str, ...]) -> PipelineResult:
    """The same result with its classes renamed (each class's first query renamed too)."""
    classes = tuple(
        dataclasses.replace(spec, name=name, queries=(name, *spec.queries[1:]))
        for spec, name in zip(result.vocabulary.classes, names, strict=True)
    )
    return dataclasses.replace(result, vocabulary=Vocabulary(classes=classes))


def with_absent_class(result: PipelineResult) -> PipelineResult:
    """The same result with one more class whose cosine is -1 everywhere (never found: its
    probability is below 1e-20)."""
    index = len(result.vocabulary)
    vocabulary = Vocabulary(classes=(*result.vocabulary.classes, ClassSpec(index, "absent", ("absent",))))
    scores = result.dense.scores
    absent = np.full((*scores.cosines.shape[:2], 1), -1.0, np.float32)
    scores = ClassScores(
        np.concatenate([scores.cosines, absent], axis=2),
        np.append(scores.query_class, index),
        index + 1,
        scores.logit_scale,
        scores.image_size,
    )
    summary = summary_of(scores.similarities(), scores.probabilities())
    dense = dataclasses.replace(result.dense, scores=scores, summary=summary)
    thresholding = dataclasses.replace(
        result.thresholding, pixels_per_class=np.append(result.thresholding.pixels_per_class, 0)
    )
    return dataclasses.replace(result, vocabulary=vocabulary, dense=dense, thresholding=thresholding)


def make_results() -> list[PipelineResult]:
    return [
        with_class_names(make_result(480, 640, num_classes=4, name="alpha.png"), CLASS_NAMES),
        with_class_names(with_absent_class(make_result(96, 128, num_classes=3, seed=1, name=SCRIPT_FILE)), CLASS_NAMES),
        with_class_names(make_result(48, 64, num_classes=4, nothing_passes=True, name="empty.png"), CLASS_NAMES),
    ]


def make_site_info(results: list[PipelineResult], random_weights: bool = True):
    from sitegen.figures import make_palette
    from sitegen.site.summaries import SiteInfo
    from sitegen.site.slugs import unique_slugs

    first = results[0]
    return SiteInfo(
        title="Synthetic <site>",
        vocabulary=first.vocabulary,
        palette=make_palette(len(first.vocabulary)),
        options=first.options,
        models=dataclasses.replace(first.models, random_weights=random_weights),
        random_weights=random_weights,
        version="0.1.0",
        class_slugs=tuple(unique_slugs(first.vocabulary.names)),
    )


def found_classes(result: PipelineResult) -> list[int]:
    """Classes with at least one kept mask: the ones ``--per-class-details`` describes."""
    return sorted({result.candidates.prompts[i].class_index for i in result.overlap.kept})


def build_site(results: list[PipelineResult], site, env, details_for_first: bool = True) -> dict[str, bytes]:
    """Every file of a site, made as the build loop makes them (slugs, summaries, pages)."""
    from sitegen.figures import render_class_details, render_steps
    from sitegen.site.image_page import image_assets, image_files
    from sitegen.site.index_page import site_files
    from sitegen.site.summaries import Failure, summarize_image
    from sitegen.site.slugs import unique_slugs

    slugs = unique_slugs([r.image.name for r in results])
    summaries = [summarize_image(r, slug, site) for r, slug in zip(results, slugs)]
    files: dict[str, bytes] = {}
    for i, result in enumerate(results):
        details = None
        if details_for_first and i == 0:
            details = [render_class_details(result, site.palette, c) for c in found_classes(result)]
        files.update(
            image_files(
                result,
                render_steps(result, site.palette),
                summaries[i],
                summaries[i - 1] if i > 0 else None,
                summaries[i + 1] if i + 1 < len(summaries) else None,
                site,
                env,
                image_assets(result, summaries[i], site),
                details,
            )
        )
    failures = [Failure("broken.png", FAILURE_REASON)]
    files.update(site_files(summaries, failures, site, env, {"images processed": 3, "seconds": 12.5}))
    return files


def build_run(result: PipelineResult, site, env) -> dict[str, bytes]:
    """``sitegen run``'s files for one image, with the data files the caller adds."""
    from sitegen.figures import render_class_details, render_steps
    from sitegen.pipeline.data_files import data_files
    from sitegen.site.run_page import run_files

    details = [render_class_details(result, site.palette, c) for c in found_classes(result)]
    files = run_files(result, render_steps(result, site.palette), site, env, details)
    return {**files, **data_files(result)}


def write_files(files: dict[str, bytes], root: Path) -> Path:
    for relative, data in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root
