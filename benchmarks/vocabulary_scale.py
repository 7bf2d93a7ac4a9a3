"""Cost per image as the vocabulary grows (21, 150, 171 classes), and a prompt-heavy 24 MP photo.

    .venv/bin/python benchmarks/vocabulary_scale.py            # the three vocabularies and the huge photo
    .venv/bin/python benchmarks/vocabulary_scale.py --skip-huge

In one run, with --random-weights (compute does not depend on the weights) and the models loaded
once: for PASCAL VOC's 21 classes, ADE20K's 150 and COCO-Stuff's 171 (``examples/vocab_*.txt``),
a site of the same two 500x375 photos (made from the examples) is built with an empty cache.
It reports the text-embedding seconds of that first build (every query x 80 templates), the
seconds and the megabytes per image, and checks that a second build encodes no text. Then a
6000x4000 photo with 20 classes and ``--min-confidence 0`` (every region prompted) runs in a
child process: prompts, seconds and the child's peak resident memory.
"""

from __future__ import annotations

import argparse
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's sitegen, not an installed copy

from sitegen.options import ModelOptions, PipelineOptions  # noqa: E402
from sitegen.pipeline.run import LazyModels  # noqa: E402
from sitegen.pipeline.vocabulary import read_vocabulary_file  # noqa: E402
from sitegen.site.build import build_site  # noqa: E402
from sitegen.site.slugs import unique_slugs  # noqa: E402

EXAMPLES = ROOT / "examples"
VOCABULARIES = (("VOC", "vocab_voc.txt"), ("ADE20K", "vocab_ade20k.txt"), ("COCO-Stuff", "vocab_cocostuff.txt"))
PHOTOS = ("astronaut.png", "chelsea_cat.png")


def make_photos(folder: Path) -> None:
    """Two 500x375 photos from the examples (resized, as a 500x375 benchmark image would be)."""
    folder.mkdir()
    for name in PHOTOS:
        Image.open(EXAMPLES / "images" / name).convert("RGB").resize((500, 375), Image.BILINEAR).save(folder / name)


class TimedText:
    """Times the CLIP text encodings a build asks for (the first build encodes every query)."""

    def __init__(self, clip):
        self.clip, self.seconds, self.queries = clip, 0.0, 0
        self._encode = clip.encode_queries

    def __call__(self, queries, prompt_templates):
        start = time.perf_counter()
        embeddings = self._encode(queries, prompt_templates)
        self.seconds += time.perf_counter() - start
        self.queries += len(queries)
        return embeddings


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def vocabulary_rows(work: Path, options: PipelineOptions, models: ModelOptions) -> tuple[list[str], str]:
    photos = work / "photos"
    make_photos(photos)
    lazy = LazyModels(models)
    start = time.perf_counter()
    lazy.clip, lazy.sam  # noqa: B018 - load both once for every build
    print(f"models loaded in {time.perf_counter() - start:.1f} s", flush=True)
    rows = []
    for label, file_name in VOCABULARIES:
        vocabulary = read_vocabulary_file(EXAMPLES / file_name)
        timer = TimedText(lazy.clip)
        lazy.clip.encode_queries = timer
        cache, out = work / f"cache-{label}", work / f"site-{label}"
        start = time.perf_counter()
        build_site(photos, vocabulary, options, models, out, cache_dir=cache, quiet=True, lazy_models=lazy)
        total = time.perf_counter() - start
        text_seconds, text_queries = timer.seconds, timer.queries
        timer.seconds, timer.queries = 0.0, 0
        build_site(photos, vocabulary, options, models, work / f"again-{label}", cache_dir=cache, quiet=True, lazy_models=lazy)
        del lazy.clip.encode_queries
        folders = [out / "images" / slug for slug in unique_slugs(list(PHOTOS))]
        sizes = [folder_bytes(folder) for folder in folders]
        per_class = max(
            sum(p.stat().st_size for prefix in ("similarity_", "confidence_") for p in (folder / "assets").glob(prefix + "*"))
            for folder in folders
        )
        per_image = (total - text_seconds) / len(PHOTOS)
        row = (
            f"| {label} | {len(vocabulary)} | {text_queries} x {len(options_templates())} | {text_seconds:.1f} | "
            f"{timer.seconds:.1f} ({timer.queries} queries) | {per_image:.1f} | {sum(sizes) / len(sizes) / 1e6:.2f} | "
            f"{per_class / 1e6:.2f} | {folder_bytes(out / 'classes') / 1e6:.2f} ({len(list((out / 'classes').glob('*.html')))} pages) |"
        )
        print(row, flush=True)
        rows.append(row)
    return rows, text_batching_row(lazy)


def options_templates() -> tuple[str, ...]:
    from sitegen.models.prompt_templates import get_prompt_templates

    return get_prompt_templates("imagenet80")


def text_batching_row(lazy: LazyModels) -> str:
    """COCO-Stuff's 171 x 80 prompts: length-sorted batches (sitegen) against batches in query order."""
    import torch

    from sitegen.models import clip as clip_module

    clip = lazy.clip
    queries = read_vocabulary_file(EXAMPLES / "vocab_cocostuff.txt").queries
    templates = options_templates()
    start = time.perf_counter()
    clip.encode_queries(queries, templates)
    ours = time.perf_counter() - start
    prompts = [t.format(q) for q in queries for t in templates]
    tokens = clip.tokenizer(prompts)
    size = clip_module.TEXT_BATCH_SIZE
    start = time.perf_counter()
    with torch.inference_mode():
        for begin in range(0, len(prompts), size):
            clip._encode_tokens(tokens[begin : begin + size])
    in_order = time.perf_counter() - start
    lengths = tokens.argmax(dim=-1) + 1
    padded_sorted = sum(int(lengths.sort().values[b : b + size].max()) * len(lengths[b : b + size]) for b in range(0, len(prompts), size))
    padded_order = sum(int(lengths[b : b + size].max()) * len(lengths[b : b + size]) for b in range(0, len(prompts), size))
    return (
        f"| {len(prompts):,} | {ours:.1f} | {in_order:.1f} | {padded_sorted:,} | {padded_order:,} | "
        f"{len(prompts) * 77:,} |"
    )


def huge_row() -> str:
    """The 6000x4000, 20-class photo with every region prompted, in a child process."""
    start = time.perf_counter()
    child = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "benchmark.py"), "--huge-only", "--device", "cpu", "--min-confidence", "0"],
        check=True,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    peak_gib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20
    line = next(l for l in child.stdout.splitlines() if l.startswith("6000x4000"))
    prompts = re.search(r"(\d+) prompts", line).group(1)
    pipeline = re.search(r": (\d+) s,", line).group(1)
    return f"| 6000x4000 | 20 | {prompts} | {pipeline} | {seconds:.0f} | {peak_gib:.2f} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skip-huge", action="store_true", help="Leave out the 6000x4000 photo.")
    parser.add_argument("--min-confidence", type=float, default=0.05)
    args = parser.parse_args()
    options = PipelineOptions(min_confidence=args.min_confidence)
    models = ModelOptions(random_weights=True, device="cpu")
    with tempfile.TemporaryDirectory() as work:
        rows, batching = vocabulary_rows(Path(work), options, models)
    print("\n| vocabulary | classes | text prompts (first build) | text s | text s, second build | s per image "
          "| MB per image | step 4 and 5 class maps MB (largest) | class pages MB |")
    print("|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    print("\n| text prompts | s, length-sorted batches | s, batches in query order | tokens encoded, sorted "
          "| tokens, query order | tokens at 77 each |")
    print("|---|---|---|---|---|---|")
    print(batching)
    if not args.skip_huge:
        print("\n| image | classes | prompts | pipeline + figures + pages s | child s (with model loading) | peak RSS GiB |")
        print("|---|---|---|---|---|---|")
        print(huge_row(), flush=True)


if __name__ == "__main__":
    main()
