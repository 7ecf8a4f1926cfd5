"""Rule matching of a document to schedule classes, explained.

:func:`match_document` is a pure function of the text, the schedule and the optional
sender and document number (文號). Every :class:`RuleMatch` names the class and carries
the evidence that produced its score: which keyword, regex, sender or number pattern of
the schedule matched, what it matched in the text, and a snippet around it.

Scores:

* keyword: its weight for the first occurrence, plus a quarter of the weight for each
  repeat, counting at most 3 repeats (repetition signals the topic, but saturates);
* regex: 2 per pattern that matches;
* sender: 2 when the given sender contains a listed agency;
* doc number: 1 when a 文號 pattern matches (weak: it names the division, not the class).

Confidence of a class with score ``s``, when the best other class scores ``r``::

    confidence = (1 - exp(-s / 4)) * s / (s + r)

The first factor measures the strength of the evidence (a score of 4 gives 0.63, 8
gives 0.86); the second is the margin over the nearest competitor (0.5 on a tie, 1 with
no competitor). Both lie in 0..1, so does the product.

Regexes and number patterns come from the rules file, so they run with the ``regex``
package's timeout: a pattern that times out counts as no match and leaves a warning in
the evidence (a class whose only evidence is such a warning is reported with score 0).
They see the text as it is (``\\d`` matches full-width digits too). Keywords are matched
on a folded copy (full-width forms to ASCII, 台 to 臺, ASCII lower-cased) that keeps every
offset, so ``start`` always indexes the original text.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

import regex

from pipeline.retention.schedule import Keyword, MatchRules, Schedule

__all__ = ["Evidence", "EvidenceKind", "RuleMatch", "match_document"]

log = logging.getLogger(__name__)

REGEX_SCORE = 2.0
SENDER_SCORE = 2.0
DOC_NUMBER_SCORE = 1.0
REPEAT_FACTOR = 0.25
MAX_REPEATS = 3
STRENGTH_SCALE = 4.0
SNIPPET_RADIUS = 15
MAX_MATCHES = 20
DEFAULT_REGEX_TIMEOUT = 0.1

# One character to one character, so offsets survive: full-width ASCII, the ideographic
# space, and 台 (the common variant of 臺 in place names).
_FOLD = str.maketrans(
    {**{chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)}, "\u3000": " ", "台": "臺"}
)


class EvidenceKind(StrEnum):
    keyword = "keyword"
    regex = "regex"
    sender = "sender"
    doc_number = "doc_number"


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why a class scored: one rule of the schedule and what it found."""

    kind: EvidenceKind
    #: the rule as written in the schedule (keyword, pattern or agency name)
    rule: str
    #: the distinct strings it matched, as they appear in the text
    matched: tuple[str, ...]
    count: int
    snippet: str
    #: offset of the first match in the text; None when matched on sender/doc_number
    start: int | None
    score: float
    warning: str | None = None


@dataclass(frozen=True, slots=True)
class RuleMatch:
    """A class of the schedule the document may belong to, with its evidence."""

    code: str
    title: str
    score: float
    confidence: float
    evidence: tuple[Evidence, ...]

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(e.warning for e in self.evidence if e.warning)

    def explain(self) -> str:
        """One line for review screens and logs."""
        reasons = "; ".join(f"{e.kind}:{e.rule} x{e.count}" for e in self.evidence if e.count)
        return f"{self.code} {self.title} score={self.score:g} conf={self.confidence:.2f} {reasons}"


def match_document(
    text: str,
    schedule: Schedule,
    *,
    sender: str | None = None,
    doc_number: str | None = None,
    regex_timeout: float = DEFAULT_REGEX_TIMEOUT,
) -> list[RuleMatch]:
    """Classes of ``schedule`` whose rules match the document, best first.

    ``doc_number`` patterns are tried on ``doc_number`` when given, else on the text;
    ``sender`` rules need ``sender``. Ties are broken by class code, for stable output.
    """
    doc = _Document(text, sender, doc_number, regex_timeout)
    scored = [(cls, _evidence(cls.match, doc)) for cls in schedule.leaf_classes() if cls.match]
    scored = [(cls, ev) for cls, ev in scored if ev]
    totals = [sum(e.score for e in ev) for _, ev in scored]
    matches = [
        RuleMatch(cls.code, cls.title.zh_tw, total, _confidence(total, totals, i), tuple(ev))
        for i, ((cls, ev), total) in enumerate(zip(scored, totals, strict=True))
    ]
    return sorted(matches, key=lambda m: (-m.score, m.code))


def _confidence(score: float, totals: list[float], index: int) -> float:
    rival = max((t for i, t in enumerate(totals) if i != index), default=0.0)
    if score <= 0:
        return 0.0
    return (1 - math.exp(-score / STRENGTH_SCALE)) * score / (score + rival)


@dataclass(frozen=True)
class _Document:
    original: str
    sender: str | None
    doc_number: str | None
    timeout: float

    @functools.cached_property
    def folded(self) -> str:
        # lower-case ASCII only: str.lower() may change the length of other scripts
        return "".join(c.lower() if c.isascii() else c for c in self.original.translate(_FOLD))


def _evidence(rules: MatchRules, doc: _Document) -> list[Evidence]:
    found = [_keyword(k, doc) for k in rules.keywords]
    found += [_in_text(EvidenceKind.regex, p, doc, REGEX_SCORE) for p in rules.regex]
    found += [_sender(s, doc) for s in rules.senders]
    found += [_doc_number(p, doc) for p in rules.doc_number_patterns]
    return [e for e in found if e is not None]


def _keyword(keyword: Keyword, doc: _Document) -> Evidence | None:
    spans = [m.span() for m in _keyword_pattern(keyword.word).finditer(doc.folded)]
    if not spans:
        return None
    score = keyword.weight * (1 + REPEAT_FACTOR * min(len(spans) - 1, MAX_REPEATS))
    return _at(EvidenceKind.keyword, keyword.word, spans, doc.original, score)


@functools.lru_cache(maxsize=4096)
def _keyword_pattern(word: str) -> re.Pattern[str]:
    """Literal keyword, tolerant of the spaces OCR puts between CJK characters;
    ASCII words only match as whole words."""
    chars = [c for c in word.translate(_FOLD).lower() if not c.isspace()]
    body = r"\s*".join(re.escape(c) for c in chars)
    if chars[0].isascii() and chars[0].isalnum():
        body = r"(?<![a-z0-9])" + body
    if chars[-1].isascii() and chars[-1].isalnum():
        body += r"(?![a-z0-9])"
    return re.compile(body)


def _sender(agency: str, doc: _Document) -> Evidence | None:
    if doc.sender is None or agency.translate(_FOLD) not in doc.sender.translate(_FOLD):
        return None
    return Evidence(EvidenceKind.sender, agency, (agency,), 1, doc.sender, None, SENDER_SCORE)


def _doc_number(pattern: str, doc: _Document) -> Evidence | None:
    kind = EvidenceKind.doc_number
    if doc.doc_number is None:
        return _in_text(kind, pattern, doc, DOC_NUMBER_SCORE)
    found = _run(kind, pattern, doc.doc_number, doc.timeout, DOC_NUMBER_SCORE)
    # matched in the separate number, not in the text: no offset into the text
    return None if found is None else dataclasses.replace(found, start=None)


def _in_text(kind: EvidenceKind, pattern: str, doc: _Document, score: float) -> Evidence | None:
    return _run(kind, pattern, doc.original, doc.timeout, score)


def _run(
    kind: EvidenceKind, pattern: str, haystack: str, timeout: float, score: float
) -> Evidence | None:
    """Evidence of a rules-file pattern; a timeout is no match, with a warning."""
    try:
        spans = list(_spans(_compiled(pattern), haystack, timeout))
    except TimeoutError:
        warning = f"pattern timed out after {timeout:g}s; treated as no match"
        log.warning("%s rule %r: %s", kind, pattern, warning)
        return Evidence(kind, pattern, (), 0, "", None, 0.0, warning)
    return _at(kind, pattern, spans, haystack, score) if spans else None


def _spans(pattern: regex.Pattern[str], haystack: str, timeout: float) -> Iterator[tuple[int, int]]:
    for n, m in enumerate(pattern.finditer(haystack, timeout=timeout)):
        if n == MAX_MATCHES:
            return
        if m.end() > m.start():  # an empty match is no evidence
            yield m.span()


@functools.lru_cache(maxsize=4096)
def _compiled(pattern: str) -> regex.Pattern[str]:
    return regex.compile(pattern)


def _at(
    kind: EvidenceKind, rule: str, spans: list[tuple[int, int]], original: str, score: float
) -> Evidence:
    matched = tuple(dict.fromkeys(original[a:b] for a, b in spans))
    start, end = spans[0]
    return Evidence(kind, rule, matched, len(spans), _snippet(original, start, end), start, score)


def _snippet(text: str, start: int, end: int) -> str:
    a, b = max(0, start - SNIPPET_RADIUS), min(len(text), end + SNIPPET_RADIUS)
    body = " ".join(text[a:b].split())
    return ("…" if a > 0 else "") + body + ("…" if b < len(text) else "")
