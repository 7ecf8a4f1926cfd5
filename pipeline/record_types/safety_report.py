"""Safety drill records (消防/防災演練) and energy-saving reports (節電報告).

Two types in one module, because they are the two periodic facility reports of the
Secretariat: a drill gives its date, site and number of participants; an energy report
its month and kWh total.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from pipeline.dates import ROC_OFFSET
from pipeline.record_types.base import PageText, RecordType, full_text
from pipeline.record_types.parsing import (
    evidence,
    first_date,
    labelled,
    letter_header_count,
    parse_amount,
    tidy,
)

_ROC_MONTH = re.compile(r"(?<!\d)(\d{2,3})\s*年\s*(\d{1,2})\s*月")
_ISO_MONTH = re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})(?![\d])")
_KWH_SENTENCE = re.compile(r"總用電(?:量)?\D{0,6}?(\d[\d,]{3,})\s*(?:kWh|度)", re.IGNORECASE)
_KWH_TOTAL = re.compile(r"(?:合計|總計)\D{0,20}?(\d{1,3}(?:,\d{3})+|\d{4,})", re.DOTALL)


class SafetyDrillFields(BaseModel):
    """One fire, earthquake or evacuation drill."""

    model_config = ConfigDict(extra="forbid")

    drill_date: date | None = Field(None, title="演練日期", description="date of the drill")
    site: str | None = Field(None, title="演練地點", description="where it was held")
    participants: int | None = Field(None, title="參加人數", description="number of participants")


class SafetyDrill(RecordType):
    name: ClassVar[str] = "safety_drill"
    labels: ClassVar[dict[str, str]] = {"zh-TW": "安全演練紀錄", "en": "Safety drill record"}
    Fields: ClassVar[type[BaseModel]] = SafetyDrillFields
    proposed_class: ClassVar[str | None] = "040302"  # 消防及防災疏散演練
    confidentiality: ClassVar[str] = "internal"
    date_field: ClassVar[str | None] = "drill_date"

    RULES: ClassVar[tuple[tuple[str, float], ...]] = (
        (r"(?:演練|演習)(?:紀錄|記錄|報告|成果)", 0.4),
        (r"演練(?:日期|時間)", 0.2),
        (r"演練地點|演練場所", 0.2),
        (r"參加人數|參與人數|參演人數", 0.15),
        (r"消防|疏散|避難|地震", 0.1),
    )

    def recognise(self, text: str) -> float:
        return max(0.0, evidence(text, self.RULES) - 0.25 * letter_header_count(text))

    def extract(self, pages: Sequence[PageText]) -> dict[str, Any]:
        text = full_text(pages)
        site = labelled(text, "演練地點", "演練場所", "地點")
        return {
            "drill_date": first_date(labelled(text, "演練日期", "日期")),
            "site": tidy(site) if site else None,
            "participants": parse_amount(labelled(text, "參加人數", "參與人數", "參演人數")),
        }


class EnergyReportFields(BaseModel):
    """A monthly electricity-saving report."""

    model_config = ConfigDict(extra="forbid")

    report_month: str | None = Field(
        None, title="報告月份", description="month reported, YYYY-MM", pattern=r"^\d{4}-\d{2}$"
    )
    kwh: int | None = Field(None, title="總用電度數", description="electricity used, kWh (total)")
    report_date: date | None = Field(None, title="填報日期", description="date of the report")


class EnergyReport(RecordType):
    name: ClassVar[str] = "energy_report"
    labels: ClassVar[dict[str, str]] = {"zh-TW": "節電報告", "en": "Energy-saving report"}
    Fields: ClassVar[type[BaseModel]] = EnergyReportFields
    proposed_class: ClassVar[str | None] = "040401"  # 節約能源及節電措施
    confidentiality: ClassVar[str] = "public"
    date_field: ClassVar[str | None] = "report_date"

    RULES: ClassVar[tuple[tuple[str, float], ...]] = (
        (r"節電報告|節能報告|用電報告|節約能源(?:報告|執行)", 0.45),
        (r"報告月份|填報月份", 0.2),
        (r"kWh|用電度數|度\)", 0.2),
        (r"用電", 0.15),
    )

    def recognise(self, text: str) -> float:
        return max(0.0, evidence(text, self.RULES) - 0.25 * letter_header_count(text))

    def extract(self, pages: Sequence[PageText]) -> dict[str, Any]:
        text = full_text(pages)
        return {
            "report_month": report_month(labelled(text, "報告月份", "填報月份") or text[:200]),
            "kwh": kwh(text),
            "report_date": first_date(labelled(text, "填報日期", "報告日期")),
        }


def report_month(value: str) -> str | None:
    """``YYYY-MM`` from ``106年7月`` (ROC) or ``2017-07``."""
    if m := _ROC_MONTH.search(value):
        year, month = int(m[1]) + ROC_OFFSET, int(m[2])
    elif m := _ISO_MONTH.search(value):
        year, month = int(m[1]), int(m[2])
    else:
        return None
    return f"{year:04d}-{month:02d}" if 1 <= month <= 12 else None


def kwh(text: str) -> int | None:
    """The month's total: the 總用電 sentence, else the 合計 row of the usage table."""
    for pattern in (_KWH_SENTENCE, _KWH_TOTAL):
        if m := pattern.search(text):
            return int(m[1].replace(",", ""))
    return None
