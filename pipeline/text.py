"""Text utilities that know about unspaced Chinese.

Chinese has no spaces between words, so the index splits runs of CJK
characters into overlapping bigrams (the approach of Lucene's CJK analyzer):
``臺南市政府`` becomes ``臺南 南市 市政 政府``. A query is split the same way
and searched as a phrase, so any two or more adjacent characters are found
in the middle of a sentence.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

# CJK ideographs (basic, extension A, compatibility), kana, hangul, bopomofo.
_CJK = "\u3040-\u30ff\u3100-\u312f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_CJK_RE = re.compile(f"[{_CJK}]")
_TOKEN_RE = re.compile(f"[{_CJK}]+|[^\\W_{_CJK}]+", re.UNICODE)
# Line breaks inside a Chinese sentence are layout, not word boundaries.
_CJK_GAP_RE = re.compile(f"(?<=[{_CJK}])\\s+(?=[{_CJK}])")


def is_cjk(ch: str) -> bool:
    return bool(_CJK_RE.match(ch))


def normalize(text: str) -> str:
    """NFKC (full-width digits and letters to ASCII) and lower case."""
    return unicodedata.normalize("NFKC", text).casefold()


_WIDE_RE = re.compile(f"[{_CJK}\u3000-\u303f\uff00-\uffef]")


def join_words(words: Iterable[str]) -> str:
    """Join OCR words of one line: a space only between two non-Chinese words.

    Chinese is written without spaces, also next to digits and Latin letters.
    """
    out = ""
    for word in words:
        if out and not (_WIDE_RE.match(out[-1]) or _WIDE_RE.match(word[0])):
            out += " "
        out += word
    return out


def cjk_tokens(text: str) -> list[str]:
    """Index tokens: CJK runs as overlapping bigrams, other words as they are."""
    tokens: list[str] = []
    for run in _TOKEN_RE.findall(_CJK_GAP_RE.sub("", normalize(text))):
        if is_cjk(run[0]):
            tokens.extend(run[i : i + 2] for i in range(max(1, len(run) - 1)))
        else:
            tokens.append(run)
    return tokens


def index_text(text: str) -> str:
    """The token string stored in the embedded full-text index."""
    return " ".join(cjk_tokens(text))


def query_terms(query: str) -> list[str]:
    """Terms of a user query: quoted phrases kept whole, else split on spaces."""
    terms = []
    for quoted, bare in re.findall(r'"([^"]*)"|(\S+)', query):
        term = (quoted or bare).strip()
        if term and cjk_tokens(term):
            terms.append(term)
    return terms


def highlight(
    text: str, terms: list[str], width: int = 80, pre: str = "<mark>", post: str = "</mark>"
) -> str:
    """A snippet of ``text`` around the first match, every match wrapped in pre/post."""
    flat = " ".join(text.split())
    spans = _match_spans(flat, terms)
    if not spans:
        return flat[:width]
    start = max(0, spans[0][0] - width // 3)
    end = min(len(flat), start + width)
    out, pos = "", start
    for s, e in spans:
        if s < pos or e > end:
            continue
        out += flat[pos:s] + pre + flat[s:e] + post
        pos = e
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(flat) else ""
    return prefix + out + flat[pos:end] + suffix


def _match_spans(text: str, terms: list[str]) -> list[tuple[int, int]]:
    folded = normalize(text)
    same_length = len(folded) == len(text)
    spans = []
    for term in terms:
        pattern = _loose_pattern(normalize(term))
        for m in pattern.finditer(folded if same_length else text.casefold()):
            spans.append((m.start(), m.end()))
    spans.sort()
    return spans


def _loose_pattern(term: str) -> re.Pattern[str]:
    """Match a term's tokens in order, allowing spaces/punctuation between them."""
    parts = [
        r"\s*".join(map(re.escape, t)) if is_cjk(t[0]) else re.escape(t)
        for t in _TOKEN_RE.findall(term)
    ]
    sep = r"[\W_]*"
    body = sep.join(parts) if parts else re.escape(term)
    return re.compile(body)


@dataclass(frozen=True, slots=True)
class Word:
    """One OCR word (or text-layer word) with its box in page pixels."""

    text: str
    left: int
    top: int
    width: int
    height: int
    conf: float = -1.0
    #: Tesseract's (page, block, paragraph, line) numbers: the words of a line share them
    line_key: tuple[int, int, int, int] = (0, 0, 0, 0)

    @property
    def bottom(self) -> int:
        return self.top + self.height

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> Word:
        """From a ``Page.words`` row: ``[text, left, top, width, height, confidence]``."""
        conf = float(row[5]) if len(row) > 5 and row[5] is not None else -1.0
        return cls(text=str(row[0]), left=int(row[1]), top=int(row[2]), width=int(row[3]),
                   height=int(row[4]), conf=conf)
