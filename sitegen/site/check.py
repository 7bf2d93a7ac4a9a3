"""Is a built site ready to publish? ``sitegen check SITE`` reads the folder and says what is wrong.

GitHub Pages publishes at most 1 GB per site and refuses files over 100 MB (git warns from
50 MB); a site also breaks quietly when a link points at a file that is not there, when a file
was changed after the build, or when Jekyll drops folders that start with ``_`` because
``.nojekyll`` is missing. Every check reads the folder only, writes nothing, and needs no model,
no numpy and no Jinja (only the standard library and rich), so it runs in a bare CI job.

Links are read where a browser would find them: ``href``/``src`` attributes in the HTML pages,
``url(...)`` in stylesheets, and the picture sources of the Plotly figures in each image's
``figures.js`` (deflated: ``figures_codec``; their paths are relative to the page that loads the
script, as the browser resolves them).
"""

from __future__ import annotations

import json
import os
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from sitegen.site.figures_codec import unpack_script
from sitegen.site.output import BOOKKEEPING, JOURNAL, MANIFEST, TEMP_PREFIX, sha256_file

#: GitHub Pages: a published site may be at most 1 GB.
SITE_LIMIT_BYTES = 1_000_000_000
#: GitHub refuses a file above 100 MB and warns above 50 MB.
FILE_ERROR_BYTES = 100_000_000
FILE_WARNING_BYTES = 50_000_000
#: The attributes that make a browser load or follow another file.
LINK_ATTRIBUTES = {
    "a": ("href",),
    "link": ("href",),
    "img": ("src",),
    "script": ("src",),
    "source": ("src",),
    "iframe": ("src",),
    "video": ("src", "poster"),
    "audio": ("src",),
}
#: Keys of a Plotly figure whose string value is a file to load (layout.images[].source).
FIGURE_FILE_KEYS = frozenset({"source"})
#: How many problems of one kind the table lists before it says "and N more".
LISTED_PROBLEMS = 10
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+?)['"]?\s*\)""")

ERROR, WARNING, OK = "error", "warning", "ok"


@dataclass(frozen=True)
class Check:
    """One row of the report: what was checked, how it went, and the files at fault.

    ``status`` is ``"ok"``, ``"warning"`` or ``"error"``; ``problems`` lists one line per
    file or link at fault (all of them, the table shortens).
    """

    name: str
    status: str
    summary: str
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class SiteCheck:
    root: Path
    files: int
    total_bytes: int
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        """True when no check is an error (warnings do not stop a publication)."""
        return all(check.status != ERROR for check in self.checks)


def format_bytes(size: int) -> str:
    """Decimal units, as GitHub states its limits.

    >>> format_bytes(999), format_bytes(1_500_000), format_bytes(2_000_000_000)
    ('999 B', '1.5 MB', '2.00 GB')
    """
    if size < 1000:
        return f"{size} B"
    if size < 1_000_000:
        return f"{size / 1000:.1f} kB"
    if size < 1_000_000_000:
        return f"{size / 1_000_000:.1f} MB"
    return f"{size / 1_000_000_000:.2f} GB"


def resolve_link(page: str, link: str) -> str | None:
    """The site path a link on ``page`` points at, or None for a link that loads nothing local.

    ``page`` is relative to the site root (POSIX). Links with a scheme (``https:``,
    ``mailto:``, ``data:``), protocol-relative links and pure fragments resolve to None.
    Raises ValueError for a root-absolute link (``/x``: it breaks on file:// and on a project
    site's sub-path) and for one that climbs out of the site folder.

    >>> resolve_link("images/a.html", "../static/site.css")
    'static/site.css'
    >>> resolve_link("images/a.html", "a/steps/01%20raw.png?v=1#top")
    'images/a/steps/01 raw.png'
    >>> resolve_link("index.html", "#gallery") is None, resolve_link("index.html", "https://x.org") is None
    (True, True)
    """
    parts = urlsplit(link.strip())
    if parts.scheme or parts.netloc or link.startswith("//"):
        return None
    if parts.path.startswith("/"):
        raise ValueError(f"{link!r} is root-absolute (breaks from file:// and on a project site)")
    if not parts.path:
        return None
    target = posixpath.normpath(posixpath.join(posixpath.dirname(page), unquote(parts.path)))
    if target == ".." or target.startswith("../"):
        raise ValueError(f"{link!r} leaves the site folder")
    return "" if target == "." else target


class _LinkParser(HTMLParser):
    """Collects every (tag, attribute value) that loads or links a file."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        names = LINK_ATTRIBUTES.get(tag, ())
        for name, value in attrs:
            if name in names and value is not None:
                self.links.append((tag, value))


def html_links(html: str) -> list[tuple[str, str]]:
    """``(tag, url)`` of every href/src in an HTML page, in document order.

    >>> html_links('<a href="b.html">b</a><img src="x.png" alt=""><script src="s.js"></script>')
    [('a', 'b.html'), ('img', 'x.png'), ('script', 's.js')]
    """
    parser = _LinkParser()
    parser.feed(html)
    parser.close()
    return parser.links


def figure_sources(script: str) -> list[str]:
    """The file URLs a ``figures.js`` makes the browser load (layout image sources), sorted.

    Anything that is not a figures.js (``packed_script``) yields nothing. ``data:`` URLs are
    not files and are left out.

    >>> from sitegen.site.figures_codec import packed_script
    >>> figure_sources(packed_script('{"figures": {"a": {"layout": '
    ...                '{"images": [{"source": "a/assets/p.webp"}, {"source": "data:,"}]}}}}').decode())
    ['a/assets/p.webp']
    """
    bundle = unpack_script(script)
    if bundle is None:
        return []
    found: set[str] = set()
    stack = [bundle]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            for key, child in value.items():
                if key in FIGURE_FILE_KEYS and isinstance(child, str):
                    if not child.startswith("data:"):
                        found.add(child)
                else:
                    stack.append(child)
        elif isinstance(value, list):
            stack.extend(value)
    return sorted(found)


def folder_files(root: Path) -> Iterator[tuple[str, Path]]:
    """``(relative POSIX path, path)`` of every file under ``root``, sorted (symlinked folders not entered)."""
    for folder, dirnames, filenames in os.walk(root):
        dirnames.sort()
        base = Path(folder)
        relbase = base.relative_to(root).as_posix()
        for name in sorted(filenames):
            yield (name if relbase == "." else f"{relbase}/{name}"), base / name


def _link_problems(root: Path, files: dict[str, Path]) -> tuple[int, list[str]]:
    """(links checked, one line per broken link) over every page, stylesheet and figures.js."""
    scripts: dict[str, str] = {}

    def script_text(relpath: str) -> str:
        if relpath not in scripts:
            scripts[relpath] = files[relpath].read_text(encoding="utf-8", errors="replace")
        return scripts[relpath]

    checked, problems = 0, []

    def follow(page: str, link: str, what: str) -> str | None:
        nonlocal checked
        checked += 1
        try:
            target = resolve_link(page, link)
        except ValueError as error:
            problems.append(f"{page}: {what} {error}")
            return None
        if target is None:
            return None
        if target in files or (target == "" and "index.html" in files) or f"{target}/index.html" in files:
            return target
        problems.append(f"{page}: {what} {link!r} -> {target or '.'} does not exist")
        return None

    for relpath, path in files.items():
        if relpath.endswith((".html", ".htm")):
            for tag, link in html_links(path.read_text(encoding="utf-8", errors="replace")):
                target = follow(relpath, link, f"<{tag}>")
                if tag == "script" and target is not None and target.endswith(".js"):
                    for source in figure_sources(script_text(target)):
                        follow(relpath, source, f"figure picture (in {target})")
        elif relpath.endswith(".css"):
            for link in CSS_URL.findall(path.read_text(encoding="utf-8", errors="replace")):
                follow(relpath, link, "url()")
    return checked, problems


def _manifest_check(root: Path, files: dict[str, Path]) -> Check:
    try:
        recorded = json.loads((root / MANIFEST).read_text(encoding="utf-8"))["files"]
        if not isinstance(recorded, dict):
            raise TypeError
    except FileNotFoundError:
        return Check("manifest", ERROR, f"no {MANIFEST}: not a finished sitegen build")
    except (OSError, ValueError, KeyError, TypeError):
        return Check("manifest", ERROR, f"{MANIFEST} is unreadable or not a sitegen manifest")
    problems = []
    for relpath, digest in sorted(recorded.items()):
        if relpath not in files:
            problems.append(f"{relpath}: listed in the manifest but missing")
        elif sha256_file(files[relpath]) != digest:
            problems.append(f"{relpath}: differs from the manifest (changed after the build)")
    extra = [p for p in files if p not in recorded and p not in BOOKKEEPING]
    if problems:
        return Check("manifest", ERROR, f"{len(problems)} of {len(recorded)} files differ", tuple(problems))
    if JOURNAL in files:
        return Check("manifest", ERROR, f"{JOURNAL} is present: a build did not finish; run it again")
    if extra:
        leftovers = [p for p in extra if posixpath.basename(p).startswith(TEMP_PREFIX)]
        lines = tuple(f"{p}: not written by sitegen" for p in extra)
        summary = f"{len(recorded)} files match; {len(extra)} not written by sitegen"
        if leftovers:
            summary += f" ({len(leftovers)} temporary files of a killed build)"
        return Check("manifest", WARNING, summary, lines)
    return Check("manifest", OK, f"all {len(recorded)} files match")


def check_site(root: Path) -> SiteCheck:
    """Every publishing check on the site folder ``root``; reads only.

    Raises
    ------
    FileNotFoundError
        When ``root`` is not a folder.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"{root} is not a folder")
    files = dict(folder_files(root))
    sizes = {relpath: path.stat().st_size for relpath, path in files.items()}
    total = sum(sizes.values())
    checks = []

    share = 100.0 * total / SITE_LIMIT_BYTES
    checks.append(
        Check(
            "total size",
            ERROR if total > SITE_LIMIT_BYTES else WARNING if total > 0.9 * SITE_LIMIT_BYTES else OK,
            f"{format_bytes(total)} in {len(files)} files: {share:.1f} % of GitHub Pages' 1 GB",
        )
    )
    largest = max(sizes, key=lambda p: (sizes[p], p), default=None)
    biggest = f"largest: {largest} ({format_bytes(sizes[largest])})" if largest else "no files"
    bands = (("files over 100 MB", FILE_ERROR_BYTES, None, ERROR), ("files over 50 MB", FILE_WARNING_BYTES, FILE_ERROR_BYTES, WARNING))
    for name, low, high, status in bands:
        over = sorted(p for p, size in sizes.items() if size > low and (high is None or size <= high))
        lines = tuple(f"{p}: {format_bytes(sizes[p])}" for p in over)
        checks.append(Check(name, status if over else OK, f"{len(over)} ({biggest})", lines))

    checked, problems = _link_problems(root, files)
    checks.append(
        Check("links", ERROR if problems else OK, f"{len(problems)} broken of {checked}", tuple(problems))
    )
    checks.append(_manifest_check(root, files))
    nojekyll = ".nojekyll" in files
    checks.append(
        Check(
            ".nojekyll",
            OK if nojekyll else ERROR,
            "present" if nojekyll else "missing: GitHub Pages would run Jekyll and drop files that start with _ or .",
        )
    )
    return SiteCheck(root=root, files=len(files), total_bytes=total, checks=tuple(checks))


def check_table(report: SiteCheck):
    """A rich Table of the report, one row per check, the files at fault listed under each."""
    from rich.table import Table
    from rich.text import Text

    style = {OK: "green", WARNING: "yellow", ERROR: "bold red"}
    table = Table(title=f"sitegen check {report.root}", show_lines=False)
    table.add_column("check")
    table.add_column("status")
    table.add_column("result", overflow="fold")
    for check in report.checks:
        detail = check.summary
        if check.problems:
            shown = list(check.problems[:LISTED_PROBLEMS])
            if len(check.problems) > LISTED_PROBLEMS:
                shown.append(f"... and {len(check.problems) - LISTED_PROBLEMS} more")
            detail += "\n" + "\n".join(f"  {line}" for line in shown)
        table.add_row(check.name, Text(check.status, style=style[check.status]), Text(detail), end_section=True)
    return table
