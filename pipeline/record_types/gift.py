"""Gift record (餽贈/禮品, Special Affairs): gifts received and presented.

A document is either a register (受贈財物登記表: one row per gift) or a single-gift form
(label and value per line). ``Document.fields`` holds the first gift and ``entry_count``
(fields stay flat for the search indexes); the gifts export reads every row again from
the stored page text with the same extractor.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.db.models import Document
from pipeline.record_types.base import Column, Export, PageText, Period, RecordType, full_text
from pipeline.record_types.parsing import (
    evidence,
    first_date,
    labelled,
    letter_header_count,
    parse_amount,
    table_rows,
    tidy,
)
from pipeline.search.base import CLASSIFIED_LEVELS
from pipeline.states import State

HOME_AGENCY = "臺南市政府"
COLUMNS = {
    "gift_date": ("日期",),
    "direction": ("受贈/贈送", "贈送/受贈", "類別"),
    "giver": ("贈與人", "贈送人", "致贈人"),
    "recipient": ("受贈人", "受贈者"),
    "item": ("財物名稱", "品名"),
    "estimated_value": ("估價", "價值", "金額"),
    "occasion": ("事由",),
}
#: labels of a single-gift form, per field (the value follows the label on its line)
FORM_LABELS = {
    "gift_date": ("餽贈日期", "受贈日期", "贈送日期", "日期"),
    "direction": ("類別", "受贈/贈送"),
    "giver": ("贈與人", "贈送人", "致贈人"),
    "recipient": ("受贈人", "受贈者"),
    "item": ("財物名稱", "品名"),
    "estimated_value": ("估價", "市價"),
    "occasion": ("事由",),
}


class GiftFields(BaseModel):
    """One gift (the first of a register) and how many the document lists."""

    model_config = ConfigDict(extra="forbid")

    gift_date: date | None = Field(None, title="日期", description="date the gift was given")
    direction: str | None = Field(None, title="受贈/贈送", description="received or presented")
    giver: str | None = Field(None, title="贈與人", description="who gave it")
    recipient: str | None = Field(None, title="受贈人", description="who received it")
    item: str | None = Field(None, title="財物名稱", description="the gift")
    estimated_value: int | None = Field(None, title="估價", description="estimated value, NT$")
    occasion: str | None = Field(None, title="事由", description="occasion")
    entry_count: int | None = Field(None, title="筆數", description="gifts listed in the document")
    filed_date: date | None = Field(None, title="填表日期", description="date the form was filled")


class GiftRecord(RecordType):
    name: ClassVar[str] = "gift"
    labels: ClassVar[dict[str, str]] = {"zh-TW": "餽贈及受贈財物", "en": "Gift record"}
    Fields: ClassVar[type[BaseModel]] = GiftFields
    proposed_class: ClassVar[str | None] = "010301"  # 受贈財物及餽贈登記
    confidentiality: ClassVar[str] = "internal"
    date_field: ClassVar[str | None] = "filed_date"

    RULES: ClassVar[tuple[tuple[str, float], ...]] = (
        (r"(?:受贈財物登記表){e<=1}|(?:餽贈財物登記){e<=1}|(?:受贈財物報備){e<=1}", 0.45),
        (r"贈與人|贈送人|致贈人", 0.2),
        (r"受贈人", 0.15),
        (r"財物名稱|品名", 0.15),
        (r"受贈/贈送|^\W{0,2}類別\W{0,3}(?:受贈|贈送)", 0.2),
        (r"估價|市價", 0.1),
    )

    def recognise(self, text: str) -> float:
        # a letter (函) about a gift is a letter: its header marks it as such
        return max(0.0, evidence(text, self.RULES) - 0.25 * letter_header_count(text))

    def extract(self, pages: Sequence[PageText]) -> dict[str, Any]:
        gifts = self.entries(pages)
        first = gifts[0] if gifts else {}
        filed = first_date(labelled(full_text(pages), "填表日期", "填報日期"))
        return {**first, "entry_count": len(gifts) or None, "filed_date": filed}

    def entries(self, pages: Sequence[PageText]) -> list[dict[str, Any]]:
        """Every gift the document lists: the register's rows, or the form's one gift."""
        rows = [r for page in pages for r in table_rows(page, COLUMNS, _is_row) or []]
        if rows:
            return [_entry(r) for r in rows]
        single = _form_entry(full_text(pages))
        return [single] if single.get("gift_date") or single.get("item") else []

    def exports(self) -> Sequence[Export]:
        return (GiftsExport(self),)


def _is_row(cells: dict[str, str]) -> bool:
    return first_date(cells.get("gift_date")) is not None


def _entry(cells: dict[str, str]) -> dict[str, Any]:
    raw = {k: tidy(v) for k, v in cells.items() if v}
    return _normalise(raw)


def _form_entry(text: str) -> dict[str, Any]:
    raw = {}
    for key, labels in FORM_LABELS.items():
        if value := labelled(text, *labels):
            raw[key] = tidy(value)
    return _normalise(raw)


def _normalise(raw: dict[str, str]) -> dict[str, Any]:
    giver = raw.get("giver") or None
    entry: dict[str, Any] = {
        "gift_date": first_date(raw.get("gift_date")),
        "direction": direction(raw.get("direction", ""), giver),
        "giver": giver,
        "recipient": raw.get("recipient") or None,
        "item": raw.get("item") or None,
        "estimated_value": parse_amount(raw.get("estimated_value")),
        "occasion": raw.get("occasion") or None,
    }
    return entry


def direction(text: str, giver: str | None) -> str | None:
    """received / presented; when OCR lost the word, a gift from this agency is presented."""
    if "贈送" in text or "致贈" in text:
        return "presented"
    if "受贈" in text:
        return "received"
    if giver and giver.startswith(HOME_AGENCY):
        return "presented"
    return None


class GiftsExport(Export):
    """The OpenData file of gifts received and presented (docs/opendata-gifts.md)."""

    name: ClassVar[str] = "gifts"
    description: ClassVar[str] = "gifts received and presented, one row per gift (OpenData)"
    columns: ClassVar[tuple[Column, ...]] = (
        Column("gift_date", "date", "date of the gift, ISO 8601 (YYYY-MM-DD)"),
        Column("direction", "string", "received (受贈) or presented (贈送)"),
        Column("giver", "string", "giver (贈與人)"),
        Column("recipient", "string", "recipient (受贈人)"),
        Column("item", "string", "the gift (財物名稱)"),
        Column("estimated_value_twd", "integer", "estimated value in New Taiwan dollars (估價)"),
        Column("occasion", "string", "occasion (事由)"),
        Column("document_id", "integer", "id of the archived record the row comes from"),
        Column("row", "integer", "position of the gift in that record (1 = first)"),
    )

    def __init__(self, rtype: GiftRecord) -> None:
        self.rtype = rtype

    def rows(self, session: Session, period: Period) -> list[dict[str, Any]]:
        out = [
            _row(gift, doc.id, n)
            for doc, gifts in self._gifts(session)
            for n, gift in enumerate(gifts, 1)
            if gift["gift_date"] in period
        ]
        return sorted(out, key=lambda r: (r["gift_date"], r["document_id"], r["row"]))

    def check(self, session: Session, period: Period) -> list[str]:
        """Gifts of records dated in the period whose own date could not be read."""
        return [
            f"record {doc.id} ({doc.original_name}), gift {n}: no readable date, not exported"
            for doc, gifts in self._gifts(session)
            if doc.document_date in period
            for n, gift in enumerate(gifts, 1)
            if gift["gift_date"] is None
        ]

    def _gifts(self, session: Session) -> list[tuple[Document, list[dict[str, Any]]]]:
        """Each publishable gift record with its gifts, read again from its pages."""
        out = []
        for doc in _open_gift_documents(session, self.rtype.name):
            pages = [PageText.from_rows(p.number, p.text, p.words or []) for p in doc.pages]
            out.append((doc, self.rtype.entries(pages)))
        return out


def _open_gift_documents(session: Session, type_name: str) -> Sequence[Document]:
    """Gift records that may be published: not destroyed, not classified (密 or above)."""
    return session.scalars(
        select(Document)
        .where(Document.record_type == type_name, Document.status != State.disposed,
               Document.confidentiality.not_in(CLASSIFIED_LEVELS))
        .order_by(Document.id)
    ).all()


def _row(gift: dict[str, Any], document_id: int, n: int) -> dict[str, Any]:
    return {
        "gift_date": gift["gift_date"].isoformat(),
        "direction": gift["direction"],
        "giver": gift["giver"],
        "recipient": gift["recipient"],
        "item": gift["item"],
        "estimated_value_twd": gift["estimated_value"],
        "occasion": gift["occasion"],
        "document_id": document_id,
        "row": n,
    }
