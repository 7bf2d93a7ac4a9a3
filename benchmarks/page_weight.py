"""What a reader downloads: the bytes a browser loads to open an image page and see all 18 steps.

Run from the repository root::

    .venv/bin/python benchmarks/page_weight.py                    # build the examples (random weights)
    .venv/bin/python benchmarks/page_weight.py --site /tmp/site   # measure a site already built

Each image page is opened from file:// in headless Chromium and stepped through with the right
arrow key, waiting for every interactive figure to be drawn. The page weight is the size on disk
of every distinct file the browser requested (the HTML, figures.js, the figure assets, the CSS
and JS, any image shown) except ``static/plotly.min.js``, which one site shares and a browser
caches after the first page. Reported per image: page weight, time to interactive (navigation
start to the first Plotly figure drawn) and the bytes of the image's files on disk (its page and
its folder: the step PNGs, the data downloads and everything else the page only links to).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-gpu"]
SHARED_SCRIPT = "static/plotly.min.js"
STEP_COUNT = 18
VISIBLE_PLOT = ".step:not([hidden]) .plot"
DRAWN_PLOT = ".step:not([hidden]) .plot[data-drawn] .main-svg"
#: How long the network must stay quiet before the last step counts as fully loaded.
QUIET_SECONDS = 0.3


@dataclass(frozen=True)
class PageWeight:
    """One image page as a reader loads it.

    Attributes
    ----------
    loaded : dict of str to int
        Each requested file (path relative to the site root) and its size on disk in bytes,
        ``static/plotly.min.js`` left out.
    seconds_to_interactive : float
        From ``goto`` to the first Plotly figure drawn.
    """

    loaded: dict[str, int]
    seconds_to_interactive: float

    @property
    def bytes(self) -> int:
        return sum(self.loaded.values())


def _site_path(url: str, root: Path) -> str | None:
    """The path of a file:// URL relative to the site root, None for anything else."""
    parts = urlsplit(url)
    if parts.scheme != "file":
        return None
    path = Path(unquote(parts.path))
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else None


def _wait_until_quiet(page, in_flight: set) -> None:
    """Wait until no request has been pending for ``QUIET_SECONDS`` (Plotly loads pictures late)."""
    quiet_since = time.perf_counter()
    while time.perf_counter() - quiet_since < QUIET_SECONDS:
        page.wait_for_timeout(50)
        if in_flight:
            quiet_since = time.perf_counter()


def measure_page(page, root: Path, relative: str) -> PageWeight:
    """Open an image page of the site at ``root`` in ``page`` and step through every step.

    Parameters
    ----------
    page : playwright.sync_api.Page
        A fresh page (its own browser context, so nothing comes from an earlier page's cache).
    root : Path
        The site folder.
    relative : str
        The image page, relative to ``root`` (``images/<slug>.html``).
    """
    root = root.resolve()
    requested: set[str] = set()
    in_flight: set = set()

    def finished(request) -> None:
        in_flight.discard(request)
        path = _site_path(request.url, root)
        if path is not None and path != SHARED_SCRIPT:
            requested.add(path)

    page.on("request", lambda request: in_flight.add(request))
    page.on("requestfinished", finished)
    page.on("requestfailed", lambda request: in_flight.discard(request))
    start = time.perf_counter()
    page.goto((root / relative).as_uri())
    page.wait_for_selector(DRAWN_PLOT)
    interactive = time.perf_counter() - start
    for number in range(2, STEP_COUNT + 1):
        page.keyboard.press("ArrowRight")
        page.wait_for_selector(f"#step-{number}:not([hidden])")
        if page.locator(VISIBLE_PLOT).count():
            page.wait_for_selector(DRAWN_PLOT)
    _wait_until_quiet(page, in_flight)
    return PageWeight({path: (root / path).stat().st_size for path in sorted(requested)}, interactive)


def folder_bytes(root: Path, relative: str) -> int:
    """Bytes on disk of an image page and of its folder (``images/<slug>/``)."""
    page = root / relative
    folder = page.with_suffix("")
    return page.stat().st_size + sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def build_examples(out: Path, cache: Path) -> None:
    """The example site with random weights, as the README's smoke run builds it."""
    command = [
        sys.executable, "-m", "sitegen", "build", str(ROOT / "examples" / "images"),
        "--vocab-file", str(ROOT / "examples" / "vocab.txt"), "--out", str(out),
        "--random-weights", "--min-confidence", "0.1", "--cache-dir", str(cache),
    ]  # fmt: skip
    subprocess.run(command, check=True, cwd=ROOT)


def report(site: Path, largest: int) -> None:
    from playwright.sync_api import sync_playwright

    pages = sorted(p.relative_to(site).as_posix() for p in (site / "images").glob("*.html"))
    print(f"{'image page':<32} {'page weight':>12} {'interactive':>12} {'folder':>10}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for relative in pages:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            weight = measure_page(context.new_page(), site, relative)
            context.close()
            print(
                f"{relative:<32} {weight.bytes / 1e6:>9.2f} MB {weight.seconds_to_interactive:>10.2f} s "
                f"{folder_bytes(site, relative) / 1e6:>7.2f} MB"
            )
            for path, size in sorted(weight.loaded.items(), key=lambda item: -item[1])[:largest]:
                print(f"    {size / 1e3:>9.1f} kB  {path}")
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", type=Path, help="a built site folder (default: build the examples)")
    parser.add_argument("--largest", type=int, default=5, help="list this many of the largest loaded files")
    args = parser.parse_args()
    if args.site is not None:
        report(args.site, args.largest)
        return
    with tempfile.TemporaryDirectory() as scratch:
        site = Path(scratch) / "site"
        build_examples(site, Path(scratch) / "cache")
        report(site, args.largest)


if __name__ == "__main__":
    main()
