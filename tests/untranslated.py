"""Find interface text left in English (or code-speak) on a Traditional Chinese page.

What a person reads is checked: text nodes and the ``placeholder``, ``title``,
``aria-label`` and button ``value`` attributes. The records' own content (OCR text,
snippets, file names, user names, codes) is marked ``translate="no"`` in the templates,
as HTML means it, and is skipped. A few names stay as they are everywhere (API, PDF...).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

#: names that are not translated in the Chinese interface either
ALLOWED = frozenset({"API", "PDF", "BagIt", "SHA", "English", "JSON", "OpenAPI", "JPEG", "PNG",
                     "TIFF", "CSV", "ZIP"})
WORD = re.compile(r"[A-Za-z][A-Za-z_]+")
ATTRIBUTES = ("placeholder", "title", "aria-label")
VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                  "source", "track", "wbr"})


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[bool] = []  # per open element: skipped?
        self.found: list[str] = []

    def _skipping(self) -> bool:
        return any(self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        skip = values.get("translate") == "no" or tag in ("script", "style", "svg")
        if not self._skipping() and not skip:
            for name in ATTRIBUTES:
                self._check(values.get(name) or "")
        if tag not in VOID:
            self.stack.append(skip)

    def handle_endtag(self, tag: str) -> None:
        if tag not in VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not self._skipping():
            self._check(data)

    def _check(self, text: str) -> None:
        self.found += [w for w in WORD.findall(text) if w not in ALLOWED]


def untranslated(html: str) -> list[str]:
    """English words a reader of the Chinese page would see."""
    reader = _Reader()
    reader.feed(html)
    return reader.found
