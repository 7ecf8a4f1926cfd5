"""The plan's own measures: pages scanned per month, backlogs, what falls due this year.

Counts of documents and files leave out what the user's clearance does not cover, like
search does.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline import disposal, filing
from pipeline.access import visible_clause, visible_levels
from pipeline.auth import Actor
from pipeline.dates import TAIPEI
from pipeline.db.models import Document, RecordFile
from pipeline.retention.schedule import Schedule
from pipeline.states import REVIEW_STATES, TERMINAL
from pipeline.views import View, awaiting_ocr, quarantined_files


class MonthPages(View):
    year: int
    month: int
    pages: int


class DueThisYear(View):
    disposal: int
    transfer: int


class Dashboard(View):
    """``GET /api/dashboard`` and the dashboard page."""

    year: int
    pages_per_month: list[MonthPages]
    awaiting_ocr: int
    quarantined: int
    awaiting_review: int
    due_this_year: DueThisYear
    open_disposal_items: int


def pages_per_month(session: Session, actor: Actor, months: int = 24) -> list[MonthPages]:
    """Pages captured per calendar month (Taiwan time), newest first."""
    rows = session.execute(select(Document.created_at, Document.page_count)
                           .where(visible_clause(actor))).all()
    counts: Counter[tuple[int, int]] = Counter()
    for created, pages in rows:
        local = _local(created)
        counts[(local.year, local.month)] += int(pages)
    return [MonthPages(year=y, month=m, pages=n)
            for (y, m), n in sorted(counts.items(), reverse=True)[:months]]


def _local(at: datetime) -> datetime:
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(TAIPEI)


def awaiting_review(session: Session, actor: Actor) -> int:
    return session.scalar(select(func.count(Document.id)).where(
        Document.status.in_(REVIEW_STATES), visible_clause(actor))) or 0


def _still_held(session: Session, file: RecordFile) -> bool:
    return any(d.status not in TERMINAL for d in filing.documents_of(session, file))


def due_this_year(session: Session, actor: Actor, schedule: Schedule,
                  today: date) -> DueThisYear:
    """Files still held whose retention ends, or which reach transfer age, by the end of
    this calendar year (overdue ones included: they are this year's work)."""
    end = date(today.year, 12, 31)
    files = session.scalars(select(RecordFile).where(
        RecordFile.confidentiality.in_(visible_levels(actor)))).all()
    disposal_due = [f for f in files if f.due_date and f.due_date <= end]
    transfer_due = [f for f in files
                    if (d := filing.transfer_due(schedule, f)) is not None and d <= end]
    return DueThisYear(disposal=sum(_still_held(session, f) for f in disposal_due),
                       transfer=sum(_still_held(session, f) for f in transfer_due))


def measures(session: Session, actor: Actor, schedule: Schedule, today: date) -> Dashboard:
    return Dashboard(
        year=today.year,
        pages_per_month=pages_per_month(session, actor),
        awaiting_ocr=awaiting_ocr(session),
        quarantined=quarantined_files(session),
        awaiting_review=awaiting_review(session, actor),
        due_this_year=due_this_year(session, actor, schedule, today),
        open_disposal_items=sum(item.file.confidentiality in visible_levels(actor)
                                for item in disposal.open_items(session)),
    )
