"""Where the time goes: sitegen per image and per stage, against an original-like configuration.

Run from the repository root (random weights: compute does not depend on the weights)::

    .venv/bin/python benchmarks/benchmark.py                 # examples, table on stdout
    .venv/bin/python benchmarks/benchmark.py --huge          # also a 6000x4000 image, 20 classes

Reported per image: CLIP windows, SAM image embedding, SAM prompts, prompt extraction (stages 3-8
after the CLIP forward), the last stages, figures (of which PNG encoding), page writing, the
site's bytes for the image, and the process's peak memory. Text embeddings are computed once per
build and reported once. The original-like configuration, run in the same process: the long side
resized to 2048 px, one window per forward pass, the text embeddings and SAM 2 rebuilt for every
image, and one SAM call per positive point. Ratios compare the two on the same image, same run.
sitegen's part after the CLIP windows runs ``--repeat`` times per image (median reported); the
original-like configuration, a hundred times slower, runs once.
"""

from __future__ import annotations

import argparse
import functools
import gc
import math
import resource
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sitegen.options import ModelOptions, PipelineOptions  # noqa: E402
from sitegen.records import LoadedImage  # noqa: E402


class Clock:
    """Accumulates seconds per label."""

    def __init__(self):
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, label: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[label] = self.seconds.get(label, 0.0) + time.perf_counter() - start


class TimedSam:
    """Wraps a SAM predictor to time its image embedding and its prompt calls separately."""

    def __init__(self, predictor, clock: Clock, batch_size: int | None = None):
        self.predictor, self.clock, self.batch_size = predictor, clock, batch_size

    def set_image(self, rgb):
        with self.clock("sam_embedding"):
            self.predictor.set_image(rgb)

    def batch_bytes(self, height, width):
        return self.predictor.batch_bytes(height, width)

    def predict(self, points, labels):
        """The predictor's batches, each timed as it is decoded (the caller reduces it between)."""
        batches = iter(self.predictor.predict(points, labels, batch_size=self.batch_size))
        while True:
            with self.clock("sam_prompts"):
                batch = next(batches, None)
            if batch is None:
                return
            yield batch


@contextmanager
def timed_png_encoding(clock: Clock):
    """Count the time spent encoding PNGs inside the figure functions: the step pictures
    (``encode_png``, where canvas and picture_assets call it) and Pillow's saves (assets). With
    steps drawn by two threads this is a sum over both, not wall time."""
    from sitegen.figures import canvas, picture_assets

    def timed(function):
        def wrapper(*args, **kwargs):
            with clock("png_encoding"):
                return function(*args, **kwargs)

        return wrapper

    patched = [(Image.Image, "save"), (canvas, "encode_png"), (picture_assets, "encode_png")]
    originals = [getattr(owner, name) for owner, name in patched]
    for (owner, name), original in zip(patched, originals):
        setattr(owner, name, timed(original))
    try:
        yield
    finally:
        for (owner, name), original in zip(patched, originals):
            setattr(owner, name, original)


def peak_rss_mib() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not inherited across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Models:
    """The loaded models, with a SAM wrapper swapped in per measurement."""

    def __init__(self, lazy, sam):
        self.lazy, self.sam = lazy, sam
        self.options = lazy.options

    @property
    def clip(self):
        return self.lazy.clip


def sitegen_image(image, vocabulary, options, lazy, similarity, prompt_templates, site_dir: Path) -> dict:
    """sitegen's own path for one image after CLIP: batched prompts, figures and pages."""
    from sitegen.figures import make_palette, render_steps
    from sitegen.pipeline.run import run_stages

    clock = Clock()
    timings: dict[str, float] = {}
    models = Models(lazy, TimedSam(lazy.sam, clock))
    result = run_stages(image, vocabulary, similarity, models, options, prompt_templates, timings)
    clock.seconds["prompt_extraction"] = sum(
        timings[k] for k in ("dense_prediction", "thresholding", "components", "size_filter", "positive_points", "negative_points")
    )
    clock.seconds["last_stages"] = sum(timings[k] for k in ("overlap_resolution", "final_segmentation"))
    clock.seconds["sam_other"] = timings["sam_prompting"] - clock.seconds.get("sam_embedding", 0) - clock.seconds.get("sam_prompts", 0)
    palette = make_palette(len(vocabulary))
    with timed_png_encoding(clock), clock("figures"):
        steps = render_steps(result, palette)
    with clock("pages"):
        files = write_image_pages(result, steps, site_dir)
    clock.seconds["site_bytes"] = sum(len(data) for data in files.values())
    # What the page itself loads (its HTML, figures.js and figure assets); the step PNGs and data
    # files are links it fetches only on request. benchmarks/page_weight.py measures it in a browser.
    clock.seconds["page_bytes"] = sum(
        len(data) for path, data in files.items() if path.endswith((".html", ".js")) or "/assets/" in path
    )
    clock.seconds["prompts"] = len(result.candidates.prompts)
    return clock.seconds


def median_run(runs: list[dict]) -> dict:
    """Each measurement's median over repeated runs of one image: a single run of a 0.1 s stage
    moved by up to 0.08 s between runs of the same build (the other core's work, the page cache)."""
    keys = {key for run in runs for key in run}
    return {key: statistics.median(run.get(key, 0.0) for run in runs) for key in keys}


def write_image_pages(result, steps, site_dir: Path) -> dict[str, bytes]:
    """The image page and its assets, written to disk the way a build writes them."""
    from sitegen.site.image_page import image_assets, image_files
    from sitegen.site.summaries import SiteInfo, summarize_image
    from sitegen.site.render import make_environment
    from sitegen.site.slugs import unique_slugs

    site = SiteInfo.create("benchmark", result.vocabulary, result.options, result.models)
    slug = unique_slugs([result.image.name])[0]
    summary = summarize_image(result, slug, site)
    files = image_files(
        result, steps, summary, None, None, site, _environment(make_environment), image_assets(result, summary, site)
    )
    for path, data in files.items():
        target = site_dir / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return files


@functools.cache
def _environment(make_environment):
    """One Jinja environment for every page, as a build has (templates compile once)."""
    return make_environment()


def original_text_embeddings(clip, queries, prompt_templates) -> np.ndarray:
    """The original tool's text path: open_clip's ``encode_text`` on all 77 tokens of each prompt."""
    import torch
    import torch.nn.functional as F

    prompts = [template.format(query) for query in queries for template in prompt_templates]
    with torch.inference_mode():
        embeddings = torch.cat([clip.model.encode_text(clip.tokenizer(prompts[i : i + 256])) for i in range(0, len(prompts), 256)])
    per_template = F.normalize(embeddings.float(), dim=-1).reshape(len(queries), len(prompt_templates), -1)
    return F.normalize(per_template.mean(dim=1), dim=-1).numpy()


def original_like_similarity(image, text, options, lazy):
    """The original's CLIP windows: the long side resized to 2048 px, one window per forward pass."""
    long_side, short = max(image.width, image.height), min(image.width, image.height)
    short_side = math.ceil(2048 * short / long_side)
    return lazy.clip.compute_similarity(
        image.rgb, text, short_side=short_side, window=options.window, stride=options.stride, batch_size=1
    )


def original_like_sam(image, vocabulary, options, model_options, lazy, similarity, prompt_templates) -> dict:
    """The original's SAM work for one image: SAM 2 rebuilt, one call per positive point."""
    from sitegen.models.sam import load_sam
    from sitegen.pipeline.run import run_stages

    clock = Clock()
    with clock("sam_load"):
        sam = load_sam(model_options, lazy.device)
    original = replace(options, prompt_mode="separate")
    models = Models(lazy, TimedSam(sam, clock, batch_size=1))
    timings: dict[str, float] = {}
    result = run_stages(image, vocabulary, similarity, models, original, prompt_templates, timings)
    clock.seconds["rest"] = sum(timings.values()) - sum(clock.seconds.values())
    clock.seconds["prompts"] = len(result.candidates.prompts)
    return clock.seconds


MODEL_KEYS = ("clip_windows", "sam_embedding", "sam_prompts")
OWN_KEYS = ("prompt_extraction", "sam_other", "last_stages", "figures", "pages")
#: Random weights make every pixel about equally unsure, so regions come from min_confidence 0.
#: "typical" prompts the regions of at least 1,000 px (7-29 per example image, what a real
#: vocabulary tends to find); "stress" every region of at least 100 px (16-94). Both with the
#: original tool's documented 3 positive and 2 negative points per region.
CONFIGS = {
    "typical": {"min_region_size": 1000},
    "stress": {"min_region_size": 100},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=Path, default=ROOT / "examples" / "images")
    parser.add_argument("--vocab-file", type=Path, default=ROOT / "examples" / "vocab.txt")
    parser.add_argument("--prompt-templates", default="imagenet80")
    parser.add_argument("--skip-original", action="store_true", help="Only measure sitegen.")
    parser.add_argument("--huge", action="store_true", help="Also a 6000x4000 image with 20 classes (own process).")
    parser.add_argument("--huge-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeat", type=int, default=3,
                        help="Runs of sitegen's part per image and configuration; each column reports their median.")
    parser.add_argument("--min-confidence", type=float, default=0.3, help=argparse.SUPPRESS)
    parser.add_argument("--min-region-size", type=int, default=100, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.huge_only:
        return huge_run(args)

    import torch

    from sitegen.models.prompt_templates import get_prompt_templates
    from sitegen.pipeline.image import load_image
    from sitegen.pipeline.run import LazyModels
    from sitegen.pipeline.vocabulary import read_vocabulary_file

    vocabulary = read_vocabulary_file(args.vocab_file)
    base = PipelineOptions(prompt_templates=args.prompt_templates, min_confidence=0.0, points_per_cluster=3,
                           negative_points_per_cluster=2, negative_confidence_threshold=0.0)
    configs = {name: replace(base, **changes) for name, changes in CONFIGS.items()}
    model_options = ModelOptions(random_weights=True, device=args.device)
    prompt_templates = get_prompt_templates(args.prompt_templates)

    print(f"# sitegen benchmark: {args.device}, torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"# options: {base}; configs: {CONFIGS}")
    clock = Clock()
    with clock("model_load"):
        lazy = LazyModels(model_options)
        lazy.clip, lazy.sam  # noqa: B018 - load both once per build
    with clock("text_embeddings"):
        text = lazy.clip.encode_queries(vocabulary.queries, prompt_templates)
    print(f"models loaded once: {clock.seconds['model_load']:.1f} s; text embeddings for "
          f"{len(vocabulary.queries)} queries x {len(prompt_templates)} templates, once per build: "
          f"{clock.seconds['text_embeddings']:.1f} s")
    if not args.skip_original:
        with clock("original_text"):
            original_text = original_text_embeddings(lazy.clip, vocabulary.queries, prompt_templates)
        print(f"original-like text embeddings (77 tokens, rebuilt for every image): {clock.seconds['original_text']:.1f} s; "
              f"largest difference from sitegen's: {np.abs(original_text - text).max():.1e}")

    paths = sorted(p for p in args.images.iterdir() if p.suffix.lower() in {".png", ".jpg", ".jpeg"})
    header = ("image", "prompts", *MODEL_KEYS, *OWN_KEYS, "png_encoding", "own/model", "page MB", "site MB")
    rows = {name: [] for name in configs}
    ratios = {name: [] for name in configs}
    with tempfile.TemporaryDirectory() as site_dir:
        for path in paths:
            image = load_image(path, base.max_pixels)
            gc.collect()
            with clock("clip_windows"):
                similarity = lazy.clip.compute_similarity(
                    image.rgb, text, short_side=base.short_side, window=base.window, stride=base.stride
                )
            clip_seconds = clock.seconds.pop("clip_windows")
            if not args.skip_original:
                with clock("original_windows"):
                    original_similarity = original_like_similarity(image, text, base, lazy)
                original_windows = clock.seconds.pop("original_windows")
            for name, options in configs.items():
                ours = median_run(
                    [sitegen_image(image, vocabulary, options, lazy, similarity, prompt_templates, Path(site_dir))
                     for _ in range(args.repeat)]
                )
                ours["clip_windows"] = clip_seconds
                model_time = sum(ours.get(k, 0.0) for k in MODEL_KEYS)
                own_time = sum(ours.get(k, 0.0) for k in OWN_KEYS)
                rows[name].append((path.name, int(ours["prompts"]),
                                   *(f"{ours.get(k, 0.0):.2f}" for k in MODEL_KEYS + OWN_KEYS),
                                   f"{ours.get('png_encoding', 0.0):.2f}", f"{own_time / model_time:.0%}",
                                   f"{ours['page_bytes'] / 1e6:.2f}", f"{ours['site_bytes'] / 1e6:.2f}"))
                if args.skip_original:
                    continue
                theirs = original_like_sam(image, vocabulary, options, model_options, lazy, original_similarity, prompt_templates)
                ours_text = clock.seconds["text_embeddings"] / len(paths)
                ours_total = model_time + ours["prompt_extraction"] + ours["last_stages"] + ours["sam_other"]
                their_sam = sum(v for k, v in theirs.items() if k != "prompts")
                ratios[name].append((path.name, len(original_similarity.windows), int(theirs["prompts"]),
                                     clock.seconds["original_text"], original_windows, their_sam, ours_text, ours_total))

    for name in configs:
        print(f"\n## {name}: {CONFIGS[name]}\n\nsitegen, seconds per image (one build, models and text embeddings shared):\n")
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for row in rows[name]:
            print("| " + " | ".join(str(v) for v in row) + " |")
        if ratios[name]:
            print("\noriginal-like vs sitegen, pipeline seconds per image (same process, same run):\n")
            print("| image | original windows | original SAM calls | original s (text + windows + SAM) "
                  "| sitegen s (text + rest) | speed-up | speed-up, text aside |")
            print("|---|---|---|---|---|---|---|")
            for image, windows, calls, their_text, their_windows, their_sam, ours_text, ours_rest in ratios[name]:
                theirs = their_text + their_windows + their_sam
                ours = ours_text + ours_rest
                print(f"| {image} | {windows} | {calls} | {theirs:.1f} ({their_text:.1f} + {their_windows:.1f} + {their_sam:.1f}) "
                      f"| {ours:.1f} ({ours_text:.1f} + {ours_rest:.1f}) | {theirs / ours:.1f}x "
                      f"| {(their_windows + their_sam) / ours_rest:.1f}x |")
    print(f"\npeak memory (RSS) of this process: {peak_rss_mib():.0f} MiB")

    if args.huge:
        # Its own process, so the peak memory is this image's alone (models included).
        import subprocess

        for flags in HUGE_CONFIGS:
            subprocess.run([sys.executable, __file__, "--huge-only", "--device", args.device,
                            "--prompt-templates", args.prompt_templates, *flags], check=True)


#: The default thresholds (random weights: no region passes, so SAM gets no prompt), every region
#: of at least 100,000 px (0.4 % of the image) prompted, then every region of the default
#: --min-region-size prompted (hundreds of prompts).
HUGE_CONFIGS = (
    (),
    ("--min-confidence", "0", "--min-region-size", "100000"),
    ("--min-confidence", "0"),
)


def huge_run(args) -> None:
    """A 6000x4000 image with 20 classes: the peak memory of one image's pipeline, figures and pages."""
    from sitegen.figures import make_palette, render_steps
    from sitegen.models.prompt_templates import get_prompt_templates
    from sitegen.pipeline.run import LazyModels, run_image
    from sitegen.pipeline.vocabulary import vocabulary_from_names

    options = PipelineOptions(prompt_templates=args.prompt_templates, min_confidence=args.min_confidence,
                              min_region_size=args.min_region_size)
    prompt_templates = get_prompt_templates(args.prompt_templates)
    lazy = LazyModels(ModelOptions(random_weights=True, device=args.device))

    rng = np.random.default_rng(0)
    small = rng.integers(0, 255, size=(40, 60, 3), dtype=np.uint8)
    rgb = np.asarray(Image.fromarray(small).resize((6000, 4000), Image.BILINEAR))
    image = LoadedImage(name="huge.png", rgb=rgb, original_size=(6000, 4000))
    vocabulary = vocabulary_from_names([f"class {i}" for i in range(20)])
    text = lazy.clip.encode_queries(vocabulary.queries, prompt_templates)
    before = peak_rss_mib()
    start = time.perf_counter()
    result = run_image(image, vocabulary, lazy, options, prompt_templates, text)
    steps = render_steps(result, make_palette(20))
    with tempfile.TemporaryDirectory() as site_dir:
        files = write_image_pages(result, steps, Path(site_dir))
    print(f"\n6000x4000, 20 classes, --min-confidence {args.min_confidence:g} --min-region-size {args.min_region_size}: "
          f"{time.perf_counter() - start:.0f} s, {len(result.candidates.prompts)} prompts, {len(steps)} steps, "
          f"{sum(len(d) for d in files.values()) / 1e6:.0f} MB of site files; peak RSS {peak_rss_mib():.0f} MiB "
          f"(before this image: {before:.0f} MiB)")
    chosen, shown = result.selection.masks, result.candidates.masks
    if len(chosen):
        packed_mib = len(chosen) * chosen.shape[1] * -(-chosen.shape[2] // 8) / 2**20
        print(f"masks kept: {len(chosen)} chosen, {chosen.nbytes / 2**20:.0f} MiB deflated "
              f"({chosen.nbytes / len(chosen) / 1e3:.0f} kB each, {packed_mib:.0f} MiB packed); "
              f"candidates of {len(shown)} prompts {shown.nbytes / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
