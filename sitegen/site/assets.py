"""The files every site shares: plotly.min.js, the stylesheet, the script and ``.nojekyll``.

The templates and static folders sit at the top of a source checkout and inside the package of
an installed wheel (see ``pyproject.toml``); ``resource_dir`` finds whichever exists.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import sitegen
from sitegen.errors import SitegenError

PLOTLY_PATH = "static/plotly.min.js"


def resource_dir(name: str) -> Path:
    """The ``templates`` or ``static`` folder: installed package first, then source checkout."""
    package = Path(sitegen.__file__).resolve().parent
    for candidate in (package / name, package.parent / name):
        if candidate.is_dir():
            return candidate
    raise SitegenError(
        f"sitegen's {name!r} folder is missing (looked in {package} and {package.parent}): "
        "reinstall sitegen"
    )


def plotly_js() -> bytes:
    """The minified plotly.js that the installed plotly package ships (no CDN, works offline)."""
    return (resources.files("plotly") / "package_data" / "plotly.min.js").read_bytes()


def static_files() -> dict[str, bytes]:
    """Every shared file of a site, keyed by its path relative to the site root."""
    static = resource_dir("static")
    files = {
        f"static/{path.relative_to(static).as_posix()}": path.read_bytes()
        for path in sorted(static.rglob("*"))
        if path.is_file()
    }
    files[PLOTLY_PATH] = plotly_js()
    files[".nojekyll"] = b""
    return files
