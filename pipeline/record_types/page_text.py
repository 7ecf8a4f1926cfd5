"""The text of a page as record types read it: lines, and word boxes when OCR gave them."""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pipeline.text import Word as Word
from pipeline.text import join_words


@dataclass(frozen=True, slots=True)
class PageText:
    """The text of one page as extractors see it: text lines and, when known, word boxes."""

    number: int
    text: str
    words: tuple[Word, ...] = ()

    @classmethod
    def from_rows(cls, number: int, text: str, rows: Iterable[Sequence[Any]]) -> PageText:
        return cls(number, text, tuple(Word.from_row(r) for r in rows))


def full_text(pages: Sequence[PageText]) -> str:
    """All pages' text in reading order, one string (what ``recognise`` is given).

    A page with word boxes is read from the boxes (``reading_text``): Tesseract may put a
    form's labels and values in separate blocks, the boxes keep them on one line.
    """
    return "\n".join(reading_text(p) for p in pages)


def reading_text(page: PageText) -> str:
    """The page's lines rebuilt from word boxes, cells apart by a space; else its text."""
    if not page.words:
        return page.text
    return "\n".join(row_text(line) for line in word_lines(page.words))


@dataclass(frozen=True, slots=True)
class WordLine:
    """Words on one text line, left to right."""

    words: tuple[Word, ...]

    @property
    def text(self) -> str:
        return "".join(w.text for w in self.words)


def word_lines(words: Sequence[Word]) -> list[WordLine]:
    """Group words into lines by their vertical centres, top to bottom, left to right.

    A word joins the line above when its centre is within half a typical word height of
    that line's centre: lines of a page are further apart than that, and the pages were
    deskewed before OCR.
    """
    if not words:
        return []
    tolerance = statistics.median(w.height for w in words) / 2
    rows: list[list[Word]] = []
    centres: list[float] = []
    for w in sorted(words, key=_centre):
        if rows and abs(_centre(w) - centres[-1]) <= tolerance:
            rows[-1].append(w)
            centres[-1] = statistics.fmean(_centre(x) for x in rows[-1])
        else:
            rows.append([w])
            centres.append(_centre(w))
    return [WordLine(tuple(sorted(r, key=lambda w: w.left))) for r in rows]


def _centre(w: Word) -> float:
    return w.top + w.height / 2


def row_text(line: WordLine) -> str:
    """The words of a line as text: a space where a wide gap separates two cells."""
    if not line.words:
        return ""
    gap = 1.5 * statistics.median(w.height for w in line.words)
    parts: list[list[str]] = [[line.words[0].text]]
    for before, w in itertools.pairwise(line.words):
        if w.left - (before.left + before.width) > gap:
            parts.append([])
        parts[-1].append(w.text)
    return " ".join(join_words(p) for p in parts)
