"""Jinja rendering: one environment, HTML autoescaping and JSON that is safe in ``<script>``.

Nothing here knows what a page contains: the page modules (``image_page``, ``index_page``, ...)
build the contexts, this module turns a template and a context into a string.
"""

from __future__ import annotations

import json

import numbers
import re

import jinja2
from markupsafe import Markup

from sitegen.site.assets import resource_dir

#: Characters that could end a ``<script>`` element, start an HTML comment or an entity, or end
#: a line inside a JavaScript string literal in older engines.
_SCRIPT_UNSAFE = {
    "<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "/": "\\u002f", "\u2028": "\\u2028", "\u2029": "\\u2029"
}


def script_json(value: object) -> str:
    """Serialise ``value`` (dicts, lists, numpy arrays, Plotly figures) as JSON safe in a script.

    Plain data goes through ``json`` (figures arrive as plain data: ``figure_json``); numpy values
    and NaN fall back to Plotly's encoder, which writes NaN as ``null``. The characters that could
    break out of a ``<script>`` element are then written as ``\\uXXXX`` escapes, which JSON and
    JavaScript read back as the same characters.

    Examples
    --------
    >>> script_json({"name": "</script>"})
    '{"name":"\\\\u003c\\\\u002fscript\\\\u003e"}'
    """
    try:
        text = json.dumps(value, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError):
        from plotly.io.json import to_json_plotly

        text = to_json_plotly(value, engine="json")
    for unsafe, escape in _SCRIPT_UNSAFE.items():
        text = text.replace(unsafe, escape)
    return text


def make_environment() -> jinja2.Environment:
    """The environment every page is rendered with: autoescaped HTML, strict undefined names."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(resource_dir("templates")),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["tojson_script"] = lambda value: Markup(script_json(value))
    env.filters["number"] = format_number
    env.filters["signed"] = format_signed
    return env


def format_number(value: object) -> str:
    """Integers with thousands separators, floats with four significant digits, None as a dash.

    numpy scalars count as numbers, so facts computed with numpy read like the rest.

    Examples
    --------
    >>> format_number(1234567), format_number(0.123456), format_number(True), format_number(None)
    ('1,234,567', '0.1235', 'yes', '—')
    """
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}"
    if isinstance(value, numbers.Real):
        return f"{float(value):.4g}"
    return "—" if value is None else str(value)


#: The indentation of a template line (pages have no <pre> or <textarea> whose text it would change).
_INDENT = re.compile(r"\n[ \t]+")


def render_page(env: jinja2.Environment, template_name: str, context: dict) -> str:
    """Render one page template with its context, without the templates' indentation.

    The indentation that keeps templates readable is 7 % of an image page (4 kB of a VOC photo's,
    on every one of thousands of pages); browsers ignore it.
    """
    return _INDENT.sub("\n", env.get_template(template_name).render(context))


def format_signed(value: float | None) -> str:
    """A difference with its sign and three decimals (a gain in mIoU), None as a dash.

    Examples
    --------
    >>> format_signed(0.12345), format_signed(-0.5), format_signed(0.0), format_signed(None)
    ('+0.123', '-0.500', '+0.000', '—')
    """
    return "—" if value is None else f"{float(value):+.3f}"
