"""What the pages and the API share: building searches, reading a document's record,
the review and disposal queues as this user may see them. Every change is made by the
same core functions the CLI calls (``pipeline.filing``, ``pipeline.disposal`` ...)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline import disposal, filing, holds, lifecycle, review, transfer
from pipeline.access import file_visible, search_filters, visible_document, visible_levels
from pipeline.auth import Actor, Perm
from pipeline.classify import explain_line
from pipeline.db.models import MAX_INT, DisposalItem, Document, FileAssignment, Hold, RecordFile
from pipeline.di.metadata import sign_off_dicts
from pipeline.docheader import printed_line
from pipeline.errors import ConfigError, NotFound, NotPermitted
from pipeline.holds import HoldScope
from pipeline.retention.schedule import Schedule
from pipeline.search.base import SearchQuery, parse_field_filters

ROC_OFFSET = 1911
MAX_LIMIT = 100
SORTS = ("relevance", "date")


@dataclass(frozen=True)
class SearchParams:
    """The search form, as given in the URL."""

    q: str = ""
    class_code: str | None = None
    division: str | None = None
    year: int | None = None
    status: str | None = None
    record_type: str | None = None
    sort: str = "relevance"
    limit: int = 10
    offset: int = 0
    #: typed fields as ``KEY=VALUE`` (``records search --field``)
    fields: tuple[str, ...] = ()

    def as_query(self) -> dict[str, Any]:
        return {"q": self.q, "class": self.class_code, "division": self.division,
                "year": self.year, "status": self.status, "type": self.record_type,
                "sort": None if self.sort == "relevance" else self.sort,
                "limit": None if self.limit == 10 else self.limit,
                "field": list(self.fields) or None}


def parse_year(value: str | None) -> int | None:
    """The year box: empty means no filter; anything but a year is refused."""
    if value is None or not value.strip():
        return None
    if not value.strip().isdecimal() or len(value.strip()) > 4:
        raise ConfigError(f"a year is ROC 1-999 or 1912-9999, got {value!r}",
                          code="search.bad_year", value=value.strip()[:20])
    return int(value)


def gregorian_year(year: int) -> int:
    """A year as typed: ROC (``113``) or Gregorian (``2024``); 400 outside 1912-9999."""
    full = year + ROC_OFFSET if 1 <= year < 1000 else year
    if not ROC_OFFSET < full <= 9999:
        raise ConfigError(f"a year is ROC 1-999 or 1912-9999, got {year}",
                          code="search.bad_year", value=str(year)[:20])
    return full


def search_query(params: SearchParams, actor: Actor) -> SearchQuery:
    """The query with the user's clearance applied inside it."""
    if params.sort not in SORTS:
        raise ConfigError(f"sort is one of {', '.join(SORTS)}")
    start = end = None
    if params.year is not None:
        g = gregorian_year(params.year)
        start, end = date(g, 1, 1), date(g, 12, 31)
    filters = search_filters(actor, class_code=params.class_code, division=params.division,
                             status=params.status, record_type=params.record_type,
                             date_from=start, date_to=end,
                             fields=parse_field_filters(list(params.fields)))
    limit = max(1, min(params.limit, MAX_LIMIT))
    return SearchQuery(params.q, filters, limit, max(0, params.offset), params.sort)


def hit_documents(session: Session, ids: set[int]) -> dict[int, dict[str, Any]]:
    """Date, division and class of the documents of a result page (already visible ones)."""
    if not ids:
        return {}
    rows = session.execute(select(Document.id, Document.document_date, Document.division,
                                  Document.class_code, Document.status, Document.record_type)
                           .where(Document.id.in_(ids)))
    return {r.id: {"date": r.document_date, "division": r.division, "class_code": r.class_code,
                   "status": r.status, "record_type": r.record_type} for r in rows}


def class_info(schedule: Schedule, code: str | None) -> dict[str, Any] | None:
    if not code or code not in schedule:
        return None
    cls = schedule.get(code)
    return {"code": cls.code, "title": cls.title.zh_tw, "title_en": cls.title.en,
            "retention": cls.retention, "disposition": cls.disposition,
            "trigger": cls.trigger, "legal_basis": cls.legal_basis,
            "path": [a.title.zh_tw for a in schedule.ancestors(code)]}


def filing_info(session: Session, schedule: Schedule, doc: Document) -> dict[str, Any] | None:
    assignment = session.scalar(select(FileAssignment).where(
        FileAssignment.document_id == doc.id))
    if assignment is None:
        return None
    file = assignment.file
    return {"file": file, "item": filing.item_number(file, assignment),
            "due_date": filing.due_date(session, schedule, file),
            "transfer_due": filing.transfer_due(schedule, file)}


def document_record(session: Session, schedule: Schedule, doc: Document) -> dict[str, Any]:
    """Class, retention, file, holds, history and sign-off chain of a document, for its page."""
    return {"cls": class_info(schedule, doc.class_code),
            "filing": filing_info(session, schedule, doc),
            "holds": holds.covering(session, [doc]),
            "history": lifecycle.history(session, doc.id),
            "sign_offs": sign_off_dicts(session, doc.id)}


def review_items(session: Session, actor: Actor, schedule: Schedule) -> list[dict[str, Any]]:
    """``records review list --json`` items, with the document's place and the why in one line."""
    items, _hidden = review.queue(session, actor, schedule)
    out = []
    for item in items:
        doc = session.get(Document, item.document_id)
        assert doc is not None
        out.append({**item.to_dict(), "original_name": doc.original_name,
                    "division": doc.division, "document_date": doc.document_date,
                    "why": explain_line(item.explanation), "explanation": item.explanation,
                    "printed_line": printed_line(item.printed),
                    "alternatives": item.explanation.get("alternatives", [])})
    return out


def review_decide(session: Session, actor: Actor, schedule: Schedule, document_id: int,
                  code: str | None, file_now: bool, reason: str = "") -> Document:
    """Accept the proposed class (``code`` None) or correct it; file the document if asked."""
    visible_document(session, actor, document_id)
    if code is None:
        review.accept(session, actor, schedule, document_id, reason)
    else:
        review.correct(session, actor, schedule, document_id, code, reason)
    if file_now:
        filing.file_document(session, actor, schedule, document_id)
    doc = session.get(Document, document_id)
    assert doc is not None
    return doc


def disposal_queue(session: Session, actor: Actor, schedule: Schedule,
                   today: date) -> list[dict[str, Any]]:
    """``records disposal queue --json`` items, without files above the user's clearance."""
    actor.require(Perm.view_disposal)
    return [disposal.item_dict(session, actor, schedule, item, today)
            for item in disposal.open_items(session) if file_visible(actor, item.file)]


def leaf_classes(schedule: Schedule) -> list[dict[str, str]]:
    return [{"code": c.code, "title": c.title.zh_tw} for c in schedule.leaf_classes()]


def reject_item(session: Session, actor: Actor, item: DisposalItem, reason: str,
                authority_ref: str) -> None:
    """Take an item off the destruction list (its documents return to ``archived``)."""
    if item.status not in disposal.OPEN:
        raise NotPermitted(f"disposal item {item.id} is {item.status}",
                           code="disposal.not_open", id=item.id, status=item.status)
    if not reason.strip():
        raise ConfigError("a rejection needs a reason", code="reason.required")
    ref = f" ({authority_ref.strip()})" if authority_ref.strip() else ""
    disposal.withdraw(session, actor, item, f"rejected: {reason.strip()}{ref}")


def hold_target(session: Session, actor: Actor, scope: HoldScope, target: str) -> str:
    """The hold target as stored: a file by id or number, a document only if visible."""
    if scope is HoldScope.file:
        return str(filing.find_file(session, target).id)
    if scope is HoldScope.document:
        if not (target.isdecimal() and int(target) <= MAX_INT):
            raise NotFound(f"no document {target}", code="document.not_found", id=target)
        return str(visible_document(session, actor, int(target)).id)
    return target


def visible_file_numbers(session: Session, actor: Actor) -> set[str]:
    """Numbers of the files at or below this user's clearance."""
    files = session.scalars(select(RecordFile).where(
        RecordFile.confidentiality.in_(visible_levels(actor))))
    return {f.number for f in files}


def _hold_visible(session: Session, actor: Actor, schedule: Schedule, hold: Hold) -> bool:
    """A hold on a document or file above the user's clearance does not exist for them (its
    reason and reference, a court case number say, would reveal it); a class hold shows
    unless the class itself is confidential beyond the clearance."""
    levels = visible_levels(actor)
    if hold.scope in (HoldScope.document, HoldScope.file):
        if not hold.target.isdecimal():
            return False
        row = session.get(Document, int(hold.target)) if hold.scope == HoldScope.document \
            else session.get(RecordFile, int(hold.target))
        return row is not None and row.confidentiality in levels
    cls = schedule.get(hold.target) if hold.target in schedule else None
    level = getattr(cls, "confidentiality", None)
    return level is None or level in levels


def visible_holds(session: Session, actor: Actor, schedule: Schedule,
                  include_released: bool) -> list[dict[str, Any]]:
    """``records hold list --json`` rows this user may know of."""
    rows = holds.all_holds(session) if include_released else holds.active(session)
    return [holds.hold_dict(h) for h in rows if _hold_visible(session, actor, schedule, h)]


def transfer_lists(session: Session, actor: Actor, schedule: Schedule) -> dict[str, Any]:
    """Ready and blocked files and past transfers, without files above the clearance."""
    numbers = visible_file_numbers(session, actor)
    ready, blocked = transfer.candidates(session, schedule)
    done = [transfer.transfer_dict(session, t) for t in transfer.transfers(session)]
    return {"ready": [filing.file_dict(session, f) for f in ready if f.number in numbers],
            "blocked": [b for b in blocked if b["file"] in numbers],
            "transfers": [t for t in done if not t["files"]
                          or any(n in numbers for n in t["files"])]}

