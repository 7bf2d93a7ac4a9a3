"""`sitegen check`: a site built with the stand-in models passes; each kind of damage fails it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sitegen.cli import app
from sitegen.site.check import ERROR, OK, WARNING, check_site, figure_sources, html_links, resolve_link
from sitegen.site.figures_codec import packed_script
from sitegen.site.output import JOURNAL, MANIFEST
from tests.site.build_support import build, write_good_images
from tests.site.html_scan import scan

runner = CliRunner()
PAGE = "images/img0-png.html"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A finished three-image site (real build_site, fake models)."""
    base = tmp_path_factory.mktemp("check")
    write_good_images(base / "images", 3)
    build(base / "images", base / "site", base / "cache")
    return base / "site"


@pytest.fixture
def copy(built, tmp_path):
    return shutil.copytree(built, tmp_path / "site")


def statuses(report) -> dict[str, str]:
    return {check.name: check.status for check in report.checks}


def problems(report, name: str) -> tuple[str, ...]:
    return next(check.problems for check in report.checks if check.name == name)


def figure_pictures(site) -> list[str]:
    """Every figure picture of the image at PAGE, as a site path (independent of check.py)."""
    script = (site / "images/img0-png/figures.js").read_text()
    return sorted({os.path.normpath(f"images/{s}") for s in figure_sources(script)})


def test_a_built_site_passes_every_check_and_the_command_exits_0(built):
    report = check_site(built)
    assert statuses(report) == {
        "total size": OK, "files over 100 MB": OK, "files over 50 MB": OK, "links": OK, "manifest": OK, ".nojekyll": OK,
    }
    assert report.ok
    files = [p for p in built.rglob("*") if p.is_file()]
    assert report.files == len(files)
    assert report.total_bytes == sum(p.stat().st_size for p in files)
    result = runner.invoke(app, ["check", str(built)])
    assert result.exit_code == 0, result.output
    assert "all " in result.output and "match" in result.output


def test_every_link_of_the_pages_and_figures_is_counted(built):
    """The links check follows as many links as the test suite's own HTML scanner finds."""
    expected = 0
    for page in built.rglob("*.html"):
        expected += len(scan(page.read_text()).links())
    for script in built.rglob("figures.js"):
        # each figures.js is loaded by exactly one image page
        expected += len(figure_sources(script.read_text()))
    summary = next(check.summary for check in check_site(built).checks if check.name == "links")
    assert summary == f"0 broken of {expected}"
    assert figure_pictures(built), "the stand-in site has figure pictures to check"


def test_a_missing_thumbnail_is_a_broken_link_and_a_manifest_error(copy):
    (copy / "images/img0-png/thumb.webp").unlink()
    report = check_site(copy)
    assert statuses(report)["links"] == ERROR and statuses(report)["manifest"] == ERROR
    assert problems(report, "links") == (
        "index.html: <img> 'images/img0-png/thumb.webp' -> images/img0-png/thumb.webp does not exist",
    )
    assert problems(report, "manifest") == ("images/img0-png/thumb.webp: listed in the manifest but missing",)
    assert not report.ok
    result = runner.invoke(app, ["check", str(copy)])
    assert result.exit_code == 1
    assert "thumb.webp" in result.output


def test_a_missing_figure_picture_is_found_through_figures_js(copy):
    missing = figure_pictures(copy)[0]
    (copy / missing).unlink()
    lines = problems(check_site(copy), "links")
    assert lines and all(line.startswith(f"{PAGE}: figure picture (in images/img0-png/figures.js)") for line in lines)
    assert all(line.endswith(f"-> {missing} does not exist") for line in lines)


def test_a_changed_file_differs_from_the_manifest(copy):
    path = copy / "images/img1-png/data/statistics.json"
    path.write_bytes(path.read_bytes().replace(b"{", b"{ ", 1))
    report = check_site(copy)
    assert statuses(report) == {**statuses(report), "manifest": ERROR, "links": OK}
    assert problems(report, "manifest") == (
        "images/img1-png/data/statistics.json: differs from the manifest (changed after the build)",
    )


def test_missing_nojekyll_is_an_error(copy):
    (copy / ".nojekyll").unlink()
    report = check_site(copy)
    assert statuses(report)[".nojekyll"] == ERROR
    assert not report.ok


def test_a_file_over_100_mb_is_an_error_and_over_50_mb_a_warning(copy):
    with open(copy / "big.bin", "wb") as stream:  # sparse: no disk space used
        stream.truncate(100_000_001)
    with open(copy / "medium.bin", "wb") as stream:
        stream.truncate(50_000_001)
    report = check_site(copy)
    assert problems(report, "files over 100 MB") == ("big.bin: 100.0 MB",)
    assert problems(report, "files over 50 MB") == ("medium.bin: 50.0 MB",)
    assert statuses(report)["files over 100 MB"] == ERROR
    assert statuses(report)["files over 50 MB"] == WARNING
    assert statuses(report)["manifest"] == WARNING  # files sitegen did not write
    assert not report.ok


def test_warnings_alone_exit_0(copy):
    with open(copy / "medium.bin", "wb") as stream:
        stream.truncate(60_000_000)
    (copy / "CNAME").write_text("example.org\n")
    report = check_site(copy)
    assert report.ok
    assert problems(report, "manifest") == ("CNAME: not written by sitegen", "medium.bin: not written by sitegen")
    assert runner.invoke(app, ["check", str(copy)]).exit_code == 0


def test_a_site_over_1_gb_is_an_error(copy):
    for i in range(11):
        with open(copy / f"part{i}.bin", "wb") as stream:
            stream.truncate(95_000_000)
    report = check_site(copy)
    assert statuses(report)["total size"] == ERROR
    assert statuses(report)["files over 50 MB"] == WARNING


def test_root_absolute_and_escaping_links_are_broken(copy):
    page = copy / PAGE
    html = page.read_text()
    page.write_text(html.replace("</body>", '<a href="/static/x.css">a</a><img src="../../etc/passwd" alt=""></body>'))
    lines = problems(check_site(copy), "links")
    assert lines == (
        f"{PAGE}: <a> '/static/x.css' is root-absolute (breaks from file:// and on a project site)",
        f"{PAGE}: <img> '../../etc/passwd' leaves the site folder",
    )


def test_an_unfinished_build_and_a_missing_manifest_are_errors(copy):
    (copy / JOURNAL).write_text("")
    assert next(c for c in check_site(copy).checks if c.name == "manifest").summary.startswith(f"{JOURNAL} is present")
    (copy / JOURNAL).unlink()
    (copy / MANIFEST).unlink()
    report = check_site(copy)
    assert statuses(report)["manifest"] == ERROR
    (copy / MANIFEST).write_text(json.dumps({"files": []}))
    assert statuses(check_site(copy))["manifest"] == ERROR


def test_links_and_figure_sources_are_read_as_a_browser_reads_them():
    assert html_links('<link rel="stylesheet" href="a.css"><a>x</a><video src="v.mp4" poster="p.jpg"></video>') == [
        ("link", "a.css"), ("video", "v.mp4"), ("video", "p.jpg"),
    ]
    assert resolve_link("classes/c.html", "../index.html#x") == "index.html"
    assert resolve_link("classes/c.html", "mailto:a@b.c") is None
    assert resolve_link("index.html", ".") == ""
    with pytest.raises(ValueError, match="leaves the site folder"):
        resolve_link("index.html", "../x.html")
    shared = packed_script('{"shared": [{"source": "s.png"}], "figures": {"a": {"$shared": 0}}}').decode()
    assert figure_sources(shared) == ["s.png"]
    assert figure_sources("var x = 1;") == []
    assert figure_sources('window.SITEGEN_FIGURES_DEFLATED = "bm90IGRlZmxhdGVk";\n') == []  # not DEFLATE
    assert figure_sources(packed_script("{broken").decode()) == []


def test_check_runs_without_the_model_and_page_dependencies(built):
    """The Pages workflow installs only typer and rich: `sitegen check` must not import the rest."""
    blocker = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in {'numpy', 'torch', 'jinja2', 'PIL', 'plotly', 'skimage', 'sam2', 'open_clip'}:\n"
        "            raise ImportError('blocked ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "from sitegen.cli import app\n"
        "app(['check', sys.argv[1]])\n"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", blocker, str(built)], cwd=root, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "all " in done.stdout and ".nojekyll" in done.stdout
