"""What a second and a third variant add to a build, per image, against the first: same run.

Run from the repository root (random weights: compute does not depend on the weights)::

    .venv/bin/python benchmarks/variants.py            # the examples, table on stdout

One process loads the models once, then builds the same images three times, each into a fresh
site and a fresh cache: with the base variant alone, with base + a second variant, with all three.
A first, unmeasured build fills the text embeddings (once per vocabulary, cached), and each
measured build starts from a cache holding only those. The extra seconds per image of the
second and third builds over the first are what one more
variant costs (its stages 3-12, its SAM prompt calls, its figures and pages, the comparison page);
the CLIP windows and the SAM image embedding are shared, which the model counters of each build
show. Random weights make every pixel about equally unsure, so regions come from
``--min-confidence 0``, as in ``benchmark.py``'s typical configuration.
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sitegen.config import Variant  # noqa: E402
from sitegen.options import ModelOptions, PipelineOptions  # noqa: E402

BASE = PipelineOptions(
    min_confidence=0.0,
    min_region_size=1000,
    points_per_cluster=3,
    negative_points_per_cluster=2,
    negative_confidence_threshold=0.0,
)
#: The second and third variants: what a user compares most (prompt strategy, region size).
CHANGES = {"separate": {"prompt_mode": "separate"}, "small-regions": {"min_region_size": 300}}


def variants(count: int) -> tuple[Variant, ...]:
    others = [
        Variant(name, dataclasses.replace(BASE, **changes), {k.replace("_", "-"): v for k, v in changes.items()})
        for name, changes in CHANGES.items()
    ]
    return (Variant("base", BASE, is_base=True), *others[: count - 1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=Path, default=ROOT / "examples" / "images")
    parser.add_argument("--vocab-file", type=Path, default=ROOT / "examples" / "vocab.txt")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()

    import torch

    from sitegen.pipeline.run import LazyModels
    from sitegen.pipeline.vocabulary import read_vocabulary_file
    from sitegen.site.build import build_site, find_images

    vocabulary = read_vocabulary_file(args.vocab_file)
    models = ModelOptions(random_weights=True, device=args.device)
    lazy = LazyModels(models)
    started = time.perf_counter()
    lazy.clip, lazy.sam  # noqa: B018 - load both once, outside the timed builds
    images = len(find_images(args.images))
    print(f"# variants benchmark: {args.device}, torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"{images} images; models loaded once in {time.perf_counter() - started:.1f} s")
    print(f"# base: {BASE}; second and third: {CHANGES}")
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        # The text embeddings are computed once per vocabulary and kept in the cache: a first
        # build fills them, and every measured build starts from a cache that holds only them.
        warm = Path(scratch) / "warm"
        build_site(args.images, vocabulary, BASE, models, Path(scratch) / "warm-site", cache_dir=warm, quiet=True,
                   lazy_models=lazy)
        for count in (1, 2, 3):
            before = lazy.counters()
            out, cache = Path(scratch) / f"site{count}", Path(scratch) / f"cache{count}"
            shutil.copytree(warm / "text", cache / "text")
            start = time.perf_counter()
            build_site(args.images, vocabulary, BASE, models, out, cache_dir=cache, quiet=True, lazy_models=lazy,
                       variants=variants(count))
            seconds = time.perf_counter() - start
            after = lazy.counters()
            work = {key: after[key] - before[key] for key in ("clip_forwards", "sam_embeds")}
            rows.append((count, seconds / images, work))
    first = rows[0][1]
    print("\n| variants | seconds per image | added per image over one variant | CLIP window forwards | SAM image embeddings |")
    print("|---|---|---|---|---|")
    for count, per_image, work in rows:
        added = "" if count == 1 else f"{per_image - first:.2f} ({(per_image - first) / first:.0%})"
        print(f"| {count} | {per_image:.2f} | {added} | {work['clip_forwards']} | {work['sam_embeds']} |")


if __name__ == "__main__":
    main()
