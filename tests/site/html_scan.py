"""Read a page the way a browser's parser would, with the standard library's html.parser."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import unquote, urlsplit

#: Elements that never have an end tag.
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
#: The attributes that make a browser load or link another file.
LINK_ATTRIBUTES = {"a": "href", "img": "src", "script": "src", "link": "href"}


@dataclass
class Script:
    attrs: dict[str, str | None]
    text: str = ""


@dataclass
class Scan:
    """Elements of one page: every start tag with its attributes, scripts with their text."""

    tags: list[tuple[str, dict[str, str | None]]] = field(default_factory=list)
    scripts: list[Script] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # unbalanced tags, duplicate ids

    def links(self) -> list[str]:
        return [attrs[LINK_ATTRIBUTES[tag]] for tag, attrs in self.tags if attrs.get(LINK_ATTRIBUTES.get(tag, ""))]

    def with_attr(self, tag: str, name: str) -> list[dict[str, str | None]]:
        return [attrs for t, attrs in self.tags if t == tag and name in attrs]

    def ids(self) -> set[str]:
        return {attrs["id"] for _, attrs in self.tags if attrs.get("id")}


class _Parser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.scan = Scan()
        self._script: Script | None = None
        self._open: list[str] = []
        self._ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.scan.tags.append((tag, attributes))
        if tag not in VOID:
            self._open.append(tag)
        element_id = attributes.get("id")
        if element_id is not None:
            if element_id in self._ids:
                self.scan.problems.append(f"duplicate id {element_id!r}")
            self._ids.add(element_id)
        if tag == "script":
            self._script = Script(attributes)

    def handle_endtag(self, tag):
        if not self._open or self._open[-1] != tag:
            self.scan.problems.append(f"</{tag}> closes <{self._open[-1] if self._open else None}>")
        else:
            self._open.pop()
        if tag == "script" and self._script is not None:
            self.scan.scripts.append(self._script)
            self._script = None

    def close(self):
        super().close()
        self.scan.problems.extend(f"<{tag}> never closed" for tag in self._open)

    def handle_data(self, data):
        if self._script is not None:
            self._script.text += data
        else:
            self.scan.text.append(data)


def scan(html: str | bytes) -> Scan:
    parser = _Parser()
    parser.feed(html.decode("utf-8") if isinstance(html, bytes) else html)
    parser.close()
    return parser.scan


def resolve(page: str, link: str) -> tuple[str, str]:
    """(path relative to the site root, fragment) of a relative link found on ``page``.

    Raises ValueError for a link that is absolute, has a scheme or a host, or leaves the site.
    """
    parts = urlsplit(link)
    if parts.scheme or parts.netloc or link.startswith("/"):
        raise ValueError(f"{page}: {link!r} is not a relative link")
    if not parts.path:
        return page, parts.fragment
    target = posixpath.normpath(posixpath.join(posixpath.dirname(page), unquote(parts.path)))
    if target.startswith(".."):
        raise ValueError(f"{page}: {link!r} leaves the site folder")
    return target, parts.fragment
