"""Confidentiality levels as the law names them, markings, review dates and declassification.

The ordering of the levels lives in one place, :data:`pipeline.search.base.CLEARANCE_LEVELS`;
this module gives them their legal names: 一般公務機密 ``密`` (``restricted``) and the
national-secret levels of 國家機密保護法 art. 4, ``機密`` (``confidential``), ``極機密``
(``secret``) and ``絕對機密`` (``top_secret``). Art. 11 of that Act asks that a national
secret be classified together with its 保密期限 or 解除機密之條件, and caps the period at
10, 20 and 30 years from classification.

A document is marked with its level, its 解密條件 (condition, as printed) and/or the date
its period ends, and a review date; a declassification is recorded by reference
(:func:`declassify`). Nothing classified is destroyed or transferred before that record
exists: :func:`classified_blockers` says what still blocks a file.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from pipeline import audit
from pipeline.auth import Actor, Perm
from pipeline.dates import add_years
from pipeline.db.models import Declassification, Document, RecordFile
from pipeline.errors import ConfigError, NotFound
from pipeline.search.base import CLASSIFIED_LEVELS, CLEARANCE_LEVELS, level_rank
from pipeline.states import State

#: legal names of the levels (also accepted as input)
LABELS: dict[str, str] = {"public": "公開", "internal": "一般", "restricted": "密",
                          "confidential": "機密", "secret": "極機密", "top_secret": "絕對機密"}
#: 國家機密保護法 art. 11: longest 保密期限 of each national-secret level, in years
MAX_YEARS: dict[str, int] = {"confidential": 10, "secret": 20, "top_secret": 30}
NATIONAL_SECRET = frozenset(MAX_YEARS)


def parse_level(value: str) -> str:
    """A level from its code (``secret``) or legal name (``極機密``); ConfigError otherwise."""
    text = value.strip()
    by_label = {label: code for code, label in LABELS.items()}
    level = by_label.get(text, text.replace("-", "_"))
    if level not in CLEARANCE_LEVELS:
        names = "、".join(f"{LABELS[c]} ({c})" for c in CLEARANCE_LEVELS)
        raise ConfigError(f"不明的機密等級 {value!r}；可用：{names}")
    return level


def label(level: str | None) -> str:
    """The legal name of a level (``極機密``); unknown values are shown as they are."""
    return LABELS.get(level or "", level or "")


def is_classified(level: str | None) -> bool:
    """密 or above (an unknown level counts as classified: never destroyed by guess)."""
    return level in CLASSIFIED_LEVELS or level_rank(level) >= len(CLEARANCE_LEVELS)


def _check_marking(level: str, classified_on: date, condition: str | None,
                   declassify_on: date | None) -> None:
    if level in NATIONAL_SECRET and not (condition or declassify_on):
        raise ConfigError(f"{label(level)}須併予核定保密期限或解除機密之條件 "
                          "(國家機密保護法第11條): give --declassify-on or --condition")
    if declassify_on and level in NATIONAL_SECRET:
        limit = add_years(classified_on, MAX_YEARS[level])
        if declassify_on > limit:
            raise ConfigError(f"{label(level)}之保密期限不得逾{MAX_YEARS[level]}年"
                              f"（自{classified_on.isoformat()}起，至遲{limit.isoformat()}）")


def mark(session: Session, actor: Actor, document_id: int, level: str, *,
         condition: str | None = None, declassify_on: date | None = None,
         review_on: date | None = None, classified_on: date | None = None,
         reason: str = "") -> Document:
    """Record a document's level, declassification condition or date, and review date."""
    actor.require(Perm.declassify)
    doc = session.get(Document, document_id)
    if doc is None:
        raise NotFound(f"no document {document_id}")
    level = parse_level(level)
    start = classified_on or doc.document_date or doc.created_at.date()
    _check_marking(level, start, condition, declassify_on)
    before = doc.confidentiality
    doc.confidentiality = level
    doc.declassify_condition, doc.declassify_on = condition, declassify_on
    doc.secrecy_review_on = review_on
    audit.append(session, actor.name, "record.mark_secrecy", f"document:{doc.id}",
                 {"from": before, "to": level, "condition": condition,
                  "declassify_on": declassify_on, "review_on": review_on, "reason": reason})
    return doc


def declassify(session: Session, actor: Actor, scope: str, target_id: int, reference: str,
               reason: str) -> Declassification:
    """Record the declassification (解密) of a document or a whole file."""
    actor.require(Perm.declassify)
    model = {"document": Document, "file": RecordFile}.get(scope)
    if model is None:
        raise ConfigError("declassification scope is document or file")
    if session.get(model, target_id) is None:
        raise NotFound(f"no {scope} {target_id}")
    if not reference.strip() or not reason.strip():
        raise ConfigError("a declassification needs its reference and a reason")
    row = Declassification(scope=scope, target_id=target_id, reference=reference, reason=reason,
                           recorded_by=actor.name)
    session.add(row)
    audit.append(session, actor.name, "record.declassify", f"{scope}:{target_id}",
                 {"reference": reference, "reason": reason})
    return row


def _declassifications(session: Session, file: RecordFile,
                       docs: list[Document]) -> list[Declassification]:
    return list(session.scalars(select(Declassification).where(or_(
        (Declassification.scope == "file") & (Declassification.target_id == file.id),
        (Declassification.scope == "document")
        & Declassification.target_id.in_([d.id for d in docs])))))


def classified_blockers(session: Session, file: RecordFile, docs: list[Document]) -> list[str]:
    """Why a file may not yet be destroyed or transferred: classified, not declassified."""
    rows = _declassifications(session, file, docs)
    if any(r.scope == "file" for r in rows):
        return []
    done = {r.target_id for r in rows}
    out = [f"document {d.id} is {label(d.confidentiality)} ({d.confidentiality}): "
           "no declassification recorded" for d in docs
           if is_classified(d.confidentiality) and d.id not in done]
    if not out and is_classified(file.confidentiality) and not any(
            is_classified(d.confidentiality) for d in docs):
        out.append(f"file {file.number} is {label(file.confidentiality)}: "
                   "no declassification recorded")
    return out


def file_level(file: RecordFile, docs: list[Document]) -> str:
    """The file's level: the highest of the file's and its documents' (art. 17 of the Act)."""
    return max([file.confidentiality, *(d.confidentiality for d in docs)], key=level_rank)


def marking_dict(doc: Document) -> dict[str, Any]:
    return {"level": doc.confidentiality, "label": label(doc.confidentiality),
            "condition": doc.declassify_condition, "declassify_on": doc.declassify_on,
            "review_on": doc.secrecy_review_on}


def reviews_due(session: Session, on: date) -> list[Document]:
    """Classified documents whose review date has come (or that have none recorded)."""
    docs = session.scalars(select(Document).where(
        Document.confidentiality.in_(CLASSIFIED_LEVELS), Document.status != State.disposed)
        .order_by(Document.id))
    return [d for d in docs if d.secrecy_review_on is None or d.secrecy_review_on <= on]
