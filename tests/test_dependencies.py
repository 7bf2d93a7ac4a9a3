"""The packages pyproject.toml declares are the ones the code imports, no more and no fewer.

Every ``import`` statement of ``sitegen/`` (module level or inside a function, so the lazily
imported model libraries count) is read from the source, the standard library and sitegen itself
set aside, and each top-level module mapped to the distribution that installs it. That set must
equal ``[project] dependencies``, apart from what an optional feature (an extra such as ``ray``)
imports. The tests' own imports must be covered by those plus the extras.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent


def _normalise(name: str) -> str:
    """PEP 503 name: ``Pillow`` and ``pillow``, ``open_clip_torch`` and ``open-clip-torch`` agree."""
    return re.sub(r"[-_.]+", "-", name).lower()


def imported_modules(folder: Path) -> set[str]:
    """Top-level names of the third-party modules that the .py files under ``folder`` import."""
    names = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return {name for name in names if name not in sys.stdlib_module_names and name not in {"sitegen", "tests", "benchmarks"}}


def distributions(modules: set[str]) -> dict[str, str]:
    """{distribution: module} of the installed distributions providing ``modules``.

    A module no installed distribution provides (say ``tomli`` on Python 3.11) keeps its own name.
    """
    providers = importlib.metadata.packages_distributions()
    found = {}
    for module in modules:
        for dist in providers.get(module, [module]):
            found[_normalise(dist)] = module
    return found


def declared(*extras: str) -> set[str]:
    """Normalised names of pyproject.toml's dependencies, plus those of the named extras."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    specs = list(project["dependencies"])
    for extra in extras:
        specs += project["optional-dependencies"][extra]
    return {_normalise(re.match(r"[A-Za-z0-9._-]+", spec).group()) for spec in specs}


def feature_extras() -> list[str]:
    """The optional-dependency groups that are features of sitegen (``ray``), not the tests'."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [extra for extra in project.get("optional-dependencies", {}) if extra != "test"]


def test_the_package_declares_exactly_what_it_imports():
    imported = distributions(imported_modules(ROOT / "sitegen"))
    dependencies = declared()
    optional = declared(*feature_extras()) - dependencies
    undeclared = {dist: module for dist, module in imported.items() if dist not in dependencies | optional}
    unused = dependencies - set(imported)
    assert not undeclared, f"sitegen imports {undeclared} but pyproject.toml does not declare them"
    assert not unused, f"pyproject.toml declares {sorted(unused)} but no module of sitegen imports them"
    assert optional <= set(imported), f"extras declare {sorted(optional - set(imported))} that sitegen never imports"


def test_the_tests_import_only_declared_packages():
    imported = distributions(imported_modules(ROOT / "tests") | imported_modules(ROOT / "benchmarks"))
    dependencies = declared("test", *feature_extras())
    undeclared = {dist: module for dist, module in imported.items() if dist not in dependencies}
    assert not undeclared, f"the tests import {undeclared}: add them to the test extra of pyproject.toml"


def test_imported_modules_sees_function_level_and_from_imports(tmp_path):
    (tmp_path / "a.py").write_text(
        "import os, numpy.linalg\nfrom scipy import ndimage\nfrom . import sibling\n"
        "def f():\n    import torch\n    from sitegen.errors import SitegenError\n",
        encoding="utf-8",
    )
    assert imported_modules(tmp_path) == {"numpy", "scipy", "torch"}
    assert distributions({"PIL", "open_clip"}) == {"pillow": "PIL", "open-clip-torch": "open_clip"}
