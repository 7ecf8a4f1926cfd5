"""Repair ticket (報修單, General Affairs): what broke, where, when reported and repaired.

The plan tracks the time to repair, so the type brings a report: per month, the number
of tickets and the mean and median hours from report to repair.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.db.models import Document
from pipeline.record_types.base import PageText, Period, RecordType, Report, full_text
from pipeline.record_types.parsing import (
    evidence,
    first_datetime,
    labelled,
    letter_header_count,
    tidy,
)
from pipeline.states import State

LABELS = {
    "equipment": ("設備名稱", "報修設備", "故障設備", "報修項目"),
    "location": ("設備位置", "報修地點", "設置地點", "所在位置"),
    "reported_at": ("報修時間", "報修日期", "申報時間"),
    "repaired_at": ("完修時間", "完修日期", "修復時間", "完工時間"),
}


#: other labels of repair forms: where a value ends when two cells share a line
_OTHER = ("報修單號", "報修編號", "報修單位", "報修人", "故障情形", "故障狀況", "處理情形",
          "派工時間", "維修廠商", "驗收人", "廠牌型號")
STOP = (*(lb for labels in LABELS.values() for lb in labels), *_OTHER)


class RepairFields(BaseModel):
    """One repair request."""

    model_config = ConfigDict(extra="forbid")

    equipment: str | None = Field(None, title="設備名稱", description="equipment that failed")
    location: str | None = Field(None, title="設備位置", description="where it is")
    reported_at: datetime | None = Field(None, title="報修時間", description="when reported")
    repaired_at: datetime | None = Field(None, title="完修時間", description="when repaired")


class RepairTicket(RecordType):
    name: ClassVar[str] = "repair"
    labels: ClassVar[dict[str, str]] = {"zh-TW": "報修單", "en": "Repair ticket"}
    Fields: ClassVar[type[BaseModel]] = RepairFields
    proposed_class: ClassVar[str | None] = "03030101"  # 線上報修及一般修繕
    confidentiality: ClassVar[str] = "internal"
    date_field: ClassVar[str | None] = "reported_at"

    RULES: ClassVar[tuple[tuple[str, float], ...]] = (
        (r"報修單|報修紀錄|修繕申請單", 0.45),
        (r"報修(?:時間|日期)", 0.2),
        (r"(?:完修|修復|完工)(?:時間|日期)", 0.2),
        (r"設備名稱|報修(?:設備|項目)|故障設備", 0.15),
        (r"故障(?:情形|狀況|說明)", 0.1),
        (r"報修編號|維修廠商", 0.1),
    )

    def recognise(self, text: str) -> float:
        return max(0.0, evidence(text, self.RULES) - 0.25 * letter_header_count(text))

    def extract(self, pages: Sequence[PageText]) -> dict[str, Any]:
        text = full_text(pages)
        found = {key: labelled(text, *labels, anywhere=True, stop=STOP)
                 for key, labels in LABELS.items()}
        return {
            "equipment": tidy(found["equipment"]) if found["equipment"] else None,
            "location": tidy(found["location"]) if found["location"] else None,
            "reported_at": first_datetime(found["reported_at"]),
            "repaired_at": first_datetime(found["repaired_at"]),
        }

    def reports(self) -> Sequence[Report]:
        return (RepairsReport(self.name),)


class RepairsReport(Report):
    """Tickets reported in a period; mean and median time to repair, in hours."""

    name: ClassVar[str] = "repairs"
    description: ClassVar[str] = "repair tickets reported in the period, time to repair"

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name

    def build(self, session: Session, period: Period) -> dict[str, Any]:
        tickets = [t for t in _tickets(session, self.type_name) if t["day"] in period]
        tickets.sort(key=lambda t: (t["reported_at"] or t["day"].isoformat(), t["document_id"]))
        hours = [t["hours"] for t in tickets if t["hours"] is not None]
        return {
            "period": period.label,
            "tickets": len(tickets),
            "repaired": len(hours),
            "open_or_incomplete": len(tickets) - len(hours),
            "mean_hours": round(statistics.fmean(hours), 2) if hours else None,
            "median_hours": round(statistics.median(hours), 2) if hours else None,
            "items": [{k: v for k, v in t.items() if k != "day"} for t in tickets],
        }

    def render(self, data: Mapping[str, Any]) -> list[str]:
        head = [f"{k}: {v}" for k, v in data.items() if k != "items"]
        rows = [f"  #{t['document_id']} {t['reported_at'] or '?'}  {t['equipment'] or '?'} @ "
                f"{t['location'] or '?'}: {_hours(t['hours'])}" for t in data["items"]]
        return head + rows


def _hours(value: float | None) -> str:
    return "no repair time (open, or a time unread)" if value is None else f"{value:.2f} h"


def _tickets(session: Session, type_name: str) -> list[dict[str, Any]]:
    docs = session.scalars(
        select(Document).where(Document.record_type == type_name, Document.status != State.disposed)
    ).all()
    return [t for d in docs if (t := _ticket(d)) is not None]


def _ticket(doc: Document) -> dict[str, Any] | None:
    """The ticket's stored fields and hours to repair.

    A ticket whose report time could not be read is placed by the document's date (the
    scanning manifest's) and counted, without hours; None if it has neither.
    """
    fields = doc.fields or {}
    reported = _time(fields.get("reported_at"))
    repaired = _time(fields.get("repaired_at"))
    day = reported.date() if reported else doc.document_date
    if day is None:
        return None
    hours = None
    # a repair before its report is an extraction error, not a negative repair time
    if reported and repaired and repaired >= reported:
        hours = round((repaired - reported).total_seconds() / 3600, 2)
    return {"document_id": doc.id, "day": day, "equipment": fields.get("equipment"),
            "location": fields.get("location"),
            "reported_at": reported.isoformat() if reported else None,
            "repaired_at": repaired.isoformat() if repaired else None, "hours": hours}


def _time(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None
