"""Sites of whole datasets: bytes per image, and whether writing a site stays linear in its images.

Run from the repository root (random weights)::

    .venv/bin/python benchmarks/site_scale.py                        # 100, 1,449 and 5,000 images
    .venv/bin/python benchmarks/site_scale.py --counts 100 1449      # fewer
    .venv/bin/python benchmarks/site_scale.py --work /tmp/scale      # keep the sites and the cache

The example photographs are cropped to 4:3 and resized to 500 x 375 (the size of a VOC image) and
built for real (``build_site``, untrained models, ``--min-confidence 0 --min-region-size 1000``,
3 positive and 2 negative points per region: the typical setting of ``benchmark.py``) with the
vocabulary of the examples and with the 21 VOC classes. Printed:

* MB per image of those sites with everything included but ``static/plotly.min.js``, and what
  1,449 images would weigh against GitHub Pages' 1 GB (random-weight masks are noise and
  compress worse than real ones: an upper bound);
* page writing at 100 / 1,449 / 5,000 images: the four results (and their rendered steps)
  reused under distinct names (``img_00000.jpg`` ...), every image's files made and written
  through ``OutputFolder`` as a build does, then the index, ``gallery.js`` and the class pages.
  Seconds per image that stay flat mean the cost is linear. Image pages are written up to
  ``--page-limit`` images; above it only the site-wide pages are (their cost is the one that
  could grow with the number of images);
* the index's HTML bytes and its first render in headless Chromium (navigation start to the
  first page of cards drawn and its controls set up, median of 7) at each size against the
  4-image site, and the first page turn after it (which loads and parses ``gallery.js``: the
  first page is the HTML as written and needs none of it);
* 100 images built from cached results (figures drawn, pages written) by one process drawing with
  one thread, by ``--jobs 1`` (one process, two drawing threads on 2 cores) and by ``--jobs 2``
  (two worker processes, one drawing thread each).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sitegen.options import ModelOptions, PipelineOptions  # noqa: E402
from sitegen.pipeline.vocabulary import read_vocabulary_file, vocabulary_from_names  # noqa: E402
from sitegen.figures import steps as steps_module  # noqa: E402
from sitegen.figures.steps import RENDER_THREADS  # noqa: E402
from sitegen.site.build import build_site  # noqa: E402

VOC_CLASSES = [
    "background", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
    "dining table", "dog", "horse", "motorbike", "person", "potted plant", "sheep", "sofa", "train", "tv monitor",
]
VOC_SIZE = (500, 375)
OPTIONS = PipelineOptions(
    min_confidence=0.0, min_region_size=1000, points_per_cluster=3, negative_points_per_cluster=2
)
MODELS = ModelOptions(random_weights=True, device="cpu")
SHARED_SCRIPT = "static/plotly.min.js"
PAGES_LIMIT = 1_000_000_000
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-gpu"]
RENDERS = 7
#: The --jobs comparison: one process drawing with one thread (the serial reference), ``--jobs 1``
#: as shipped (one process, ``RENDER_THREADS`` drawing threads on 2 cores), and ``--jobs 2`` (two
#: worker processes, one drawing thread each).
JOBS_CASES = (
    ("one process, one drawing thread", 1, 1),
    ("--jobs 1 (one process, 2 drawing threads)", 1, RENDER_THREADS),
    ("--jobs 2 (two processes, one drawing thread each)", 2, RENDER_THREADS),
)


def voc_sized_examples(folder: Path) -> list[Path]:
    """The example photographs, centre-cropped to 4:3 and resized to 500 x 375, as JPEGs."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for source in sorted((ROOT / "examples" / "images").iterdir()):
        if source.suffix.lower() not in {".png", ".jpg", ".jpeg"}:
            continue
        image = Image.open(source).convert("RGB")
        width, height = image.size
        crop_w, crop_h = min(width, height * 4 // 3), min(height, width * 3 // 4)
        left, top = (width - crop_w) // 2, (height - crop_h) // 2
        image = image.crop((left, top, left + crop_w, top + crop_h)).resize(VOC_SIZE, Image.LANCZOS)
        path = folder / f"{source.stem}.jpg"
        image.save(path, quality=90)
        paths.append(path)
    return paths


def site_bytes(site: Path) -> tuple[int, int]:
    """(bytes of every file, bytes of plotly.min.js) of a built site."""
    total = sum(p.stat().st_size for p in site.rglob("*") if p.is_file())
    return total, (site / SHARED_SCRIPT).stat().st_size


def build(images: Path, vocabulary, out: Path, cache: Path, jobs: int) -> float:
    start = time.perf_counter()
    report = build_site(images, vocabulary, OPTIONS, MODELS, out, cache_dir=cache, quiet=True, jobs=jobs)
    if report.failed:
        raise SystemExit(f"{len(report.failed)} images failed: {report.failed[0]}")
    return time.perf_counter() - start


def cached_results(sources: list[Path], vocabulary, cache_dir: Path) -> list:
    """The results of a finished build, read back from its cache, with their rendered steps."""
    from sitegen.figures import render_steps, make_palette
    from sitegen.pipeline.image import load_image
    from sitegen.site.cache import ResultCache, model_identity

    cache = ResultCache(cache_dir)
    identity = model_identity(MODELS)
    results = []
    for path in sources:
        cached = cache.get_result(cache.result_key(path.read_bytes(), vocabulary, OPTIONS, identity))
        result = dataclasses.replace(
            cached, image=load_image(path, OPTIONS.max_pixels), vocabulary=vocabulary, models=MODELS, timings={}
        )
        results.append((result, render_steps(result, make_palette(len(vocabulary)))))
    return results


def write_pages(rendered: list, vocabulary, count: int, out: Path, page_limit: int) -> dict:
    """``count`` images (the results reused under new names) written as a build writes them.

    Returns seconds for the image pages (up to ``page_limit`` images), seconds for the site-wide
    files (index, gallery.js, class pages, over all ``count`` images) and the index's bytes.
    """
    from sitegen.site.image_page import image_assets, image_files
    from sitegen.site.index_page import site_files
    from sitegen.site.output import OutputFolder
    from sitegen.site.render import make_environment
    from sitegen.site.slugs import unique_slugs
    from sitegen.site.summaries import SiteInfo, summarize_image

    site = SiteInfo.create("site_scale", vocabulary, OPTIONS, MODELS)
    env = make_environment()
    names = [f"img_{k:05d}.jpg" for k in range(count)]
    results = []
    for k, name in enumerate(names):
        result, steps = rendered[k % len(rendered)]
        results.append((dataclasses.replace(result, image=dataclasses.replace(result.image, name=name)), steps))
    summaries = [summarize_image(r, slug, site) for (r, _), slug in zip(results, unique_slugs(names))]
    pages = min(count, page_limit)
    if out.exists():
        shutil.rmtree(out)
    with OutputFolder(out) as folder:
        start = time.perf_counter()
        for k in range(pages):
            result, steps = results[k]
            previous = summaries[k - 1] if k else None
            following = summaries[k + 1] if k + 1 < count else None
            assets = image_assets(result, summaries[k], site)
            files = image_files(result, steps, summaries[k], previous, following, site, env, assets)
            for relpath in sorted(files):
                folder.write(relpath, files[relpath])
        image_seconds = time.perf_counter() - start
        start = time.perf_counter()
        files = site_files(summaries, [], site, env, {"Images": count})
        for relpath in sorted(files):
            folder.write(relpath, files[relpath])
        site_seconds = time.perf_counter() - start
        folder.finish()
    return {
        "pages": pages,
        "image_seconds": image_seconds,
        "site_seconds": site_seconds,
        "index_bytes": (out / "index.html").stat().st_size,
        "gallery_bytes": (out / "gallery.js").stat().st_size,
    }


def results_only(cache: Path, copy: Path) -> Path:
    """A copy of the cache with the results but no rendered figures (hard links, instant)."""
    if copy.exists():
        shutil.rmtree(copy)
    copy.mkdir(parents=True)
    for kind in ("results", "similarity", "text"):
        if (cache / kind).exists():
            shutil.copytree(cache / kind, copy / kind, copy_function=os.link)
    return copy


def linked_names(sources: list[Path], count: int, folder: Path) -> Path:
    """``count`` distinct names (``img_00000.jpg`` ...) linked to the sources in turn."""
    folder.mkdir(parents=True, exist_ok=True)
    for k in range(count):
        link = folder / f"img_{k:05d}{sources[k % len(sources)].suffix}"
        if not link.exists():
            os.symlink(sources[k % len(sources)], link)
    return folder


#: Clicks "Next page" and resolves with the ms until page 2 is drawn (null without a pager): the
#: first move loads and parses gallery.js, which the first render does not.
PAGE_TURN = """() => new Promise(resolve => {
  const pager = document.getElementById('gallery-pager');
  if (!pager || pager.hidden) { resolve(null); return; }
  const label = pager.querySelector('.page-label');
  const start = performance.now();
  new MutationObserver((_, observer) => {
    if (label.textContent.startsWith('Page 2 ')) { observer.disconnect(); resolve(performance.now() - start); }
  }).observe(label, {childList: true, characterData: true, subtree: true});
  pager.querySelector('[data-page="1"]').click();
})"""


def first_render_ms(sites: dict[str, Path]) -> dict[str, tuple[float, float | None]]:
    """Per site, median ms from navigation start to the index's first page of cards drawn (the
    controls set up), and median ms of the first page turn after it (None: a single page)."""
    from playwright.sync_api import sync_playwright

    times: dict[str, tuple[float, float | None]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for label, site in sites.items():
            samples, turns = [], []
            for _ in range(RENDERS):
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                page = context.new_page()
                page.goto((site / "index.html").resolve().as_uri(), wait_until="commit")
                page.wait_for_function(
                    "() => { const s = document.getElementById('gallery-status'); return s && s.textContent !== ''; }",
                    polling=5,
                )
                samples.append(page.evaluate("() => performance.now()"))
                turns.append(page.evaluate(PAGE_TURN))
                context.close()
            turn = None if None in turns else statistics.median(turns)
            times[label] = (statistics.median(samples), turn)
        browser.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--counts", type=int, nargs="+", default=[100, 1449, 5000])
    parser.add_argument("--page-limit", type=int, default=1449, help="write image pages up to this many images")
    parser.add_argument("--jobs-images", type=int, default=100, help="images of the --jobs 1 / 2 comparison (0: skip)")
    parser.add_argument("--work", type=Path, help="working folder (default: a temporary one, removed)")
    parser.add_argument(
        "--vocabularies", nargs="+", choices=["examples", "voc"], default=["examples", "voc"],
        help="vocabularies of the real builds; the last one is reused at scale",
    )
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="site-scale-"))
    cache = work / "cache"
    try:
        sources = voc_sized_examples(work / "voc")
        known = {
            "examples": ("examples (8 classes)", lambda: read_vocabulary_file(ROOT / "examples" / "vocab.txt")),
            "voc": ("VOC (21 classes)", lambda: vocabulary_from_names(VOC_CLASSES)),
        }
        vocabularies = {known[key][0]: known[key][1]() for key in args.vocabularies}
        print("| vocabulary | MB per image (plotly.min.js aside) | of which figures.js | assets | data | 1,449 images |")
        print("|---|---|---|---|---|---|")
        for label, vocabulary in vocabularies.items():
            out = work / f"site-4-{label.split()[0]}"
            build(work / "voc", vocabulary, out, cache, 2)
            total, shared = site_bytes(out)
            per_image = (total - shared) / len(sources)
            part = lambda pattern: sum(p.stat().st_size for p in out.glob(pattern) if p.is_file()) / len(sources)  # noqa: E731
            print(
                f"| {label} | {per_image / 1e6:.3f} | {part('images/*/figures.js') / 1e6:.3f} | "
                f"{part('images/*/assets/*') / 1e6:.3f} | {part('images/*/data/*') / 1e6:.3f} | "
                f"{(1449 * per_image + shared) / 1e9:.2f} GB |"
            )
        last = list(vocabularies)[-1]
        vocabulary = vocabularies[last]
        rendered = cached_results(sources, vocabulary, cache)

        print("\n| images | image pages written | s per image page | site-wide pages s | per image | index.html | gallery.js |")
        print("|---|---|---|---|---|---|---|")
        sites = {"4": work / f"site-4-{last.split()[0]}"}
        for count in args.counts:
            row = write_pages(rendered, vocabulary, count, work / f"pages-{count}", args.page_limit)
            sites[f"{count:,}"] = work / f"pages-{count}"
            print(
                f"| {count:,} | {row['pages']:,} | {row['image_seconds'] / row['pages']:.3f} | "
                f"{row['site_seconds']:.2f} | {row['site_seconds'] / count * 1000:.2f} ms | "
                f"{row['index_bytes'] / 1e3:.1f} kB | {row['gallery_bytes'] / 1e3:.0f} kB |",
                flush=True,
            )

        render = first_render_ms(sites)
        print(f"\n| site | index first render (median of {RENDERS}) | against 4 images | first page turn (loads gallery.js) |")
        print("|---|---|---|---|")
        for label, (ms, turn) in render.items():
            turned = "one page" if turn is None else f"{turn:.0f} ms"
            print(f"| {label} images | {ms:.0f} ms | {ms / render['4'][0]:.2f}x | {turned} |")

        if args.jobs_images:
            images = linked_names(sources, args.jobs_images, work / f"names-{args.jobs_images}")
            timed = {}
            for label, jobs, drawing_threads in JOBS_CASES:
                out = work / f"site-jobs-{len(timed)}"
                if out.exists():
                    shutil.rmtree(out)
                steps_module.RENDER_THREADS = drawing_threads  # this process only: workers keep theirs
                try:
                    timed[label] = build(images, vocabulary, out, results_only(cache, work / f"cache-jobs-{len(timed)}"), jobs)
                finally:
                    steps_module.RENDER_THREADS = RENDER_THREADS
            serial = timed[JOBS_CASES[0][0]]
            print(f"\n| {args.jobs_images} images from cached results (figures drawn, pages written) | seconds | speed-up |")
            print("|---|---|---|")
            for label, seconds in timed.items():
                print(f"| {label} | {seconds:.1f} | {serial / seconds:.2f}x |")
            print(f"\n--jobs 2 against --jobs 1: {timed[JOBS_CASES[1][0]] / timed[JOBS_CASES[2][0]]:.2f}x")
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
