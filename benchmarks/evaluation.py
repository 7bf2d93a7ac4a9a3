"""What evaluation against ground truth adds to a build, per example image, and the example's scores.

Runs the pipeline once per example image with untrained models (``--random-weights``,
``--min-confidence 0.1``, the README's example build; the scores are meaningless but the work is
the same), then times what ``--ground-truth`` adds to each image, five times, medians reported:

* ground truth: reading ``examples/ground_truth/<stem>.png`` and mapping its indices;
* metrics: both maps' confusion matrices and scores;
* picture: ``evaluation.jpg`` (ground truth beside both maps and their error maps);
* pages: the image page's evaluation part (context, ``statistics.json`` entry).

The site-wide part (``metrics.json``, the index panel's figures, class pages) runs once per build
and is timed once over the four images. Then it prints the metrics table of the example build.

    .venv/bin/python benchmarks/evaluation.py [--device cpu]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
EXAMPLES = ROOT / "examples"
REPEATS = 5


def median_seconds(function, repeats: int = REPEATS) -> tuple[float, object]:
    times, value = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        value = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()

    from sitegen.evaluation import evaluate_image, load_ground_truth
    from sitegen.figures import make_palette
    from sitegen.figures.evaluation import render_evaluation
    from sitegen.models.prompt_templates import get_prompt_templates
    from sitegen.options import ModelOptions, PipelineOptions
    from sitegen.pipeline.image import load_image
    from sitegen.pipeline.run import LazyModels, run_image
    from sitegen.pipeline.vocabulary import read_vocabulary_file
    from sitegen.site.build import find_images
    from sitegen.site.evaluation import (
        EvaluatedImage,
        EvaluationTally,
        GroundTruthSource,
        index_context,
        image_part,
        metrics_json,
    )

    vocabulary = read_vocabulary_file(EXAMPLES / "vocab.txt")
    options = PipelineOptions(min_confidence=0.1)
    prompt_templates = get_prompt_templates(options.prompt_templates)
    lazy = LazyModels(ModelOptions(random_weights=True, device=args.device))
    text = lazy.clip.encode_queries(vocabulary.queries, prompt_templates)
    source = GroundTruthSource.open(EXAMPLES / "ground_truth", vocabulary)
    palette = make_palette(len(vocabulary))
    names = vocabulary.names
    tally = EvaluationTally(source, names)

    rows = []
    for path in find_images(EXAMPLES / "images"):
        image = load_image(path, options.max_pixels)
        start = time.perf_counter()
        result = run_image(image, vocabulary, lazy, options, prompt_templates, text)
        pipeline = time.perf_counter() - start
        truth_path = source.path_for(image.name)
        read, truth = median_seconds(lambda: load_ground_truth(truth_path, image, source.mapping))
        metrics, evaluation = median_seconds(
            lambda: evaluate_image(image.name, result.dense.prediction, result.final.labels, truth, len(names))
        )
        drawing, picture = median_seconds(lambda: render_evaluation(result, truth, evaluation, palette))
        evaluated = EvaluatedImage(evaluation, picture)
        pages, _ = median_seconds(lambda: image_part(evaluated, None, names, "images/x", str))
        tally.add(evaluation, f"images/{path.stem}.html")
        rows.append((image.name, image.width * image.height, pipeline, read, metrics, drawing, pages, len(picture)))

    site_seconds, _ = median_seconds(lambda: (metrics_json(tally, len(rows)), index_context(tally, len(rows), str)))

    print("\nSeconds per image (medians of 5; the pipeline ran once, untrained models, --min-confidence 0.1):\n")
    print("| image | pixels | pipeline (no figures, no pages) | ground truth | metrics | picture (kB) | page part | evaluation total |")
    print("|---|---|---|---|---|---|---|---|")
    for name, pixels, pipeline, read, metrics, drawing, pages, size in rows:
        total = read + metrics + drawing + pages
        print(f"| {name} | {pixels:,} | {pipeline:.2f} | {read:.4f} | {metrics:.4f} | {drawing:.3f} ({size / 1000:.0f}) "
              f"| {pages:.4f} | {total:.3f} |")
    print(f"\nOnce per build (metrics.json and the index panel's figures, 4 images): {site_seconds:.4f} s")

    dataset = tally.dataset()
    print("\nExample build's metrics (random weights: meaningless):\n")
    print("| class | SCLIP IoU | final IoU | ground truth (px) |")
    print("|---|---|---|---|")
    for c in range(len(names)):
        if dataset["final"].present[c] or dataset["sclip"].present[c]:
            print(f"| {names[c]} | {dataset['sclip'].iou[c]:.4f} | {dataset['final'].iou[c]:.4f} | {dataset['final'].label_area[c]:,} |")
    for key in ("sclip", "final"):
        s = dataset[key]
        print(f"| **{key}: mIoU / mAcc / aAcc** | {s.miou:.4f} | {s.macc:.4f} | {s.aacc:.4f} |")
    print("\nPer image (mIoU SCLIP -> final, gain):")
    for image in tally.images:
        print(f"  {image.name}: {image.miou['sclip']:.4f} -> {image.miou['final']:.4f} ({image.gain:+.4f})")


if __name__ == "__main__":
    main()
