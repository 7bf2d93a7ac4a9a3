"""A regular (non-editable) install carries the templates and static files inside the package."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def test_the_wheel_ships_templates_and_static_files_and_uses_them(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path / "dist"), str(ROOT)],
        check=True, timeout=300,
    )
    [wheel] = (tmp_path / "dist").glob("sitegen-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for template in (ROOT / "templates").rglob("*.html"):
        assert f"sitegen/templates/{template.relative_to(ROOT / 'templates').as_posix()}" in names
    assert {"sitegen/static/css/sitegen.css", "sitegen/static/js/sitegen.js"} <= names

    # Installed on its own, away from the source tree, the package finds them in itself.
    target = tmp_path / "installed"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(target), str(wheel)],
        check=True, timeout=300,
    )
    probe = (
        "import sitegen, sitegen.site.assets as a, sitegen.site.render as r;"
        "print(sitegen.__file__); print(a.resource_dir('templates')); print(sorted(a.static_files())[:3]);"
        "print(r.make_environment().get_template('base.html').filename)"
    )
    completed = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=120, check=True,
    )
    lines = completed.stdout.splitlines()
    assert lines[0].startswith(str(target)), lines
    assert lines[1] == str(target / "sitegen" / "templates")
    assert lines[2] == "['.nojekyll', 'static/css/sitegen.css', 'static/js/gallery.js']"
    assert lines[3].startswith(str(target / "sitegen" / "templates"))
