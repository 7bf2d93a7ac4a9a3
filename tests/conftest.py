"""Fixtures shared by the browser tests (Debian's Chromium driven by Playwright, from file://),
and a guard that no test leaves the garbage collector frozen.

No browser is ever downloaded. Chromium runs headless with the flags this machine needs
(no sandbox as root, no background networking in a closed network).
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-gpu"]


@pytest.fixture(autouse=True)
def collector_not_left_frozen():
    """Loading a model freezes what lives (``LazyModels``); whoever loads must release.

    A frozen collector in the test process would keep every later test's garbage cycles alive
    through the objects frozen with the models.
    """
    yield
    frozen = gc.get_freeze_count()
    gc.unfreeze()
    assert frozen == 0, f"the test left {frozen} objects frozen: release the LazyModels it used"


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Visit:
    """One page in its own browser context, and what went wrong while it was open."""

    page: object
    root: Path
    errors: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)

    def url(self, relative: str) -> str:
        return self.root.as_uri() + "/" + relative

    def assert_clean(self) -> None:
        assert self.errors == [], self.errors
        assert self.outside == [], self.outside


@pytest.fixture
def visit(browser):
    """``visit(root, relative, width=1280)`` opens a page of a written site."""
    contexts = []

    def open_page(root: Path, relative: str, width: int = 1280) -> Visit:
        context = browser.new_context(viewport={"width": width, "height": 900})
        contexts.append(context)
        page = context.new_page()
        record = Visit(page, root.resolve())
        prefix = record.url("")

        def route(route):
            if route.request.url.startswith(prefix):
                route.continue_()
            else:
                record.outside.append(route.request.url)
                route.abort()

        context.route("**/*", route)
        page.on("console", lambda message: record.errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: record.errors.append(str(error)))
        page.goto(record.url(relative))
        return record

    yield open_page
    for context in contexts:
        context.close()
