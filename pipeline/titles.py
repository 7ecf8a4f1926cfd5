"""A document's title: what a clerk would call it, never the OCR of a header line.

In order: the scanning station's title (manifest ``title``), the subject (主旨) the record
type extracted, a labelled subject line of the text (主旨、案由、事由、標的名稱、Re:,
Subject:), else the first line that reads as a heading: not a ``label: value`` line of the
letterhead (檔號, 保存年限, 報修編號 ...) and not OCR noise. Failing all, no title (pages
show the record type and the file name instead).
"""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from pipeline.db.models import Document
from pipeline.docheader import SUBJECT_LABEL
from pipeline.settings import Settings
from pipeline.text import is_cjk

MAX_TITLE = 200
#: labels whose value is the document's subject
_SUBJECT_LABEL = re.compile(
    rf"^(?:{SUBJECT_LABEL}|\s*(?:案\s*由|事\s*由|標的名稱|標\s*題|Re|Subject))"
    r"\s*[:：.]\s*(?P<value>.+)$",
    re.IGNORECASE,
)
#: a short label followed by a colon: letterhead fields (檔號:, 承辦人:, 電話:)
_LABEL_LINE = re.compile(r"^[^:：]{0,8}[:：]")
_HEAD_LINES = 12
_CLOSING_REQUEST = re.compile(r"[,，、]?\s*請\s*(?:查照|鑒核|核示|照辦|查收)[。.]?\s*$")


def _clean(value: str) -> str:
    return _CLOSING_REQUEST.sub("", " ".join(value.split())).strip(" 。.,，")[:MAX_TITLE]


def _reads_as_heading(line: str) -> bool:
    """Mostly Chinese characters, or mostly letters of words; not a field label."""
    text = line.replace(" ", "")
    if len(text) < 4 or _LABEL_LINE.match(line):
        return False
    cjk = sum(is_cjk(ch) for ch in text)
    if cjk:
        return cjk / len(text) >= 0.75
    words = line.split()
    return len(words) >= 2 and all(w.isalpha() and len(w) > 1 for w in words)


def title_from_text(pages: list[str]) -> str | None:
    """A subject line anywhere, else the first heading-like line near the top."""
    lines = [ln.strip() for text in pages for ln in text.splitlines() if ln.strip()]
    for line in lines:
        if (m := _SUBJECT_LABEL.match(line)) and len(_clean(m["value"])) >= 4:
            return _clean(m["value"])
    for line in lines[:_HEAD_LINES]:
        if _reads_as_heading(line):
            return _clean(line)
    return None


def document_title(doc: Document) -> str | None:
    """The title for a document whose manifest gave none (see the module's order)."""
    subject = (doc.fields or {}).get("subject")
    if isinstance(subject, str) and len(subject.strip()) >= 4:
        return _clean(subject)
    return title_from_text([p.text for p in doc.pages])


def title_step(session: Session, settings: Settings, doc: Document) -> None:
    """Enrichment step (after the record type): set the title unless the manifest gave one."""
    if not doc.title:
        doc.title = document_title(doc)
