"""Page images for the browser and the word boxes of search hits drawn over them.

A page is rendered on first request from the archival PDF (whose pages have exactly the
geometry the OCR word boxes were measured on: upright and deskewed), one page at a time
at :data:`VIEW_DPI`, and cached under ``RECORDS_HOME/cache/pages``. The boxes stay in
page pixels; the template draws them in an SVG whose ``viewBox`` is the page's pixel
size, so they scale with the image whatever its resolution.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

from pipeline._exec import poppler
from pipeline.db.models import Document, Page
from pipeline.errors import NotFound
from pipeline.store import ContentStore
from pipeline.text import highlight, normalize, query_terms

VIEW_DPI = 100
RENDER_TIMEOUT = 60.0
_MARK_RE = re.compile(r"(&lt;/?mark&gt;|</?mark>)")


@dataclass(frozen=True)
class Box:
    left: int
    top: int
    width: int
    height: int


def cache_path(cache_root: Path, doc: Document, number: int) -> Path:
    return cache_root / "pages" / doc.sha256[:2] / f"{doc.sha256}-{number:05d}-{VIEW_DPI}.png"


def page_png(store: ContentStore, cache_root: Path, doc: Document, number: int) -> Path:
    """The cached PNG of one page, rendered now if missing."""
    if not 1 <= number <= doc.page_count:
        raise NotFound(f"document {doc.id} has no page {number}")
    target = cache_path(cache_root, doc, number)
    if target.is_file():
        return target
    source = _source_pdf(store, doc)
    image = poppler.render_page(source, number, VIEW_DPI, RENDER_TIMEOUT)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".tmp{os.getpid()}")
    image.save(tmp, "PNG", optimize=True)
    os.replace(tmp, target)
    return target


def _source_pdf(store: ContentStore, doc: Document) -> Path:
    blob = doc.archival or doc.original
    path = store.path(blob.store_path)
    if blob.destroyed_at is not None or not path.is_file():
        raise NotFound(f"the files of document {doc.id} are gone")
    if blob.media_type != "application/pdf":
        raise NotFound(f"document {doc.id} has no archival PDF to render")
    return path


def _compact(text: str) -> str:
    return "".join(normalize(text).split())


def hit_boxes(page: Page, query: str) -> list[Box]:
    """Boxes of the words that make up each match of the query's terms on this page.

    OCR words are joined without spaces (Chinese has none) and each term, also without
    spaces, is looked for in that string; every word a match touches is boxed.
    """
    words: list[list[Any]] = page.words or []
    owner: list[int] = []
    joined = ""
    for i, word in enumerate(words):
        piece = _compact(str(word[0]))
        joined += piece
        owner.extend([i] * len(piece))
    hits: set[int] = set()
    for term in {_compact(t) for t in query_terms(query)} - {""}:
        start = joined.find(term)
        while start >= 0:
            hits.update(owner[start:start + len(term)])
            start = joined.find(term, start + 1)
    return merge_boxes([Box(*(int(v) for v in words[i][1:5])) for i in sorted(hits)])


def merge_boxes(boxes: list[Box]) -> list[Box]:
    """Join neighbouring boxes of one line, so a phrase is one highlight."""
    merged: list[Box] = []
    for box in boxes:
        last = merged[-1] if merged else None
        if last is not None and _same_line(last, box):
            left, top = min(last.left, box.left), min(last.top, box.top)
            right = max(last.left + last.width, box.left + box.width)
            bottom = max(last.top + last.height, box.top + box.height)
            merged[-1] = Box(left, top, right - left, bottom - top)
        else:
            merged.append(box)
    return merged


def _same_line(a: Box, b: Box) -> bool:
    overlap = min(a.top + a.height, b.top + b.height) - max(a.top, b.top)
    gap = b.left - (a.left + a.width)
    return overlap > min(a.height, b.height) / 2 and -a.width <= gap <= max(a.height, b.height)


def safe_snippet(snippet: str) -> Markup:
    """A search snippet as HTML: the text escaped, only the ``<mark>`` tags kept."""
    out = []
    for part in _MARK_RE.split(snippet):
        if _MARK_RE.fullmatch(part):
            out.append("</mark>" if "/" in part else "<mark>")
        else:
            out.append(str(escape(part)))
    return Markup("".join(out))


def marked_lines(text: str, query: str) -> list[Markup]:
    """The page text line by line, whole lines, with the query's terms marked."""
    terms = query_terms(query) if query else []
    lines = text.splitlines() or [""]
    if not terms:
        return [Markup(escape(line)) for line in lines]
    # a snippet starts a third of its width before the first match: three times the
    # line's length makes the "snippet" the whole line
    return [safe_snippet(highlight(line, terms, width=3 * (len(line) + 1))) for line in lines]
