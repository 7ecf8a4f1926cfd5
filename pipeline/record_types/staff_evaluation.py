"""Temporary staff evaluation (臨時人員考核): confidential by default (personal data)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from pipeline.dates import find_dates
from pipeline.record_types.base import PageText, RecordType, full_text
from pipeline.record_types.parsing import evidence, labelled, letter_header_count, lines, tidy

RATINGS = ("甲等", "乙等", "丙等", "丁等", "優等")
#: labels sharing a table row with a value: a value ends where the next label starts
_ROW_LABELS = ("姓名", "職稱", "服務單位", "到職日期", "單位")
_RATING = re.compile(r"[甲乙丙丁優]等")


class StaffEvaluationFields(BaseModel):
    """The evaluation of one temporary employee."""

    model_config = ConfigDict(extra="forbid")

    employee: str | None = Field(None, title="姓名", description="employee evaluated")
    position: str | None = Field(None, title="職稱", description="job title")
    unit: str | None = Field(None, title="服務單位", description="unit the employee serves in")
    period_start: date | None = Field(None, title="考核期間起", description="period start")
    period_end: date | None = Field(None, title="考核期間迄", description="period end")
    score: int | None = Field(None, title="總分", description="total score")
    rating: str | None = Field(None, title="考核等第", description="甲等, 乙等, 丙等 or 丁等")
    result: str | None = Field(None, title="考核結果", description="e.g. 續聘 (contract renewed)")
    classification: str | None = Field(None, title="密等", description="密 when marked")


class StaffEvaluation(RecordType):
    name: ClassVar[str] = "staff_evaluation"
    labels: ClassVar[dict[str, str]] = {"zh-TW": "臨時人員考核", "en": "Temporary staff evaluation"}
    Fields: ClassVar[type[BaseModel]] = StaffEvaluationFields
    proposed_class: ClassVar[str | None] = "030502"  # 臨時人員考核
    confidentiality: ClassVar[str] = "confidential"

    RULES: ClassVar[tuple[tuple[str, float], ...]] = (
        (r"(?:臨時人員考核表){e<=1}|(?:約用人員考核){e<=1}|考核表", 0.4),
        (r"臨時人員|約用人員", 0.15),
        (r"考核期間", 0.15),
        (r"考核項目", 0.15),
        (r"考核等第", 0.2),
        (r"考核結果", 0.1),
        (r"考核人|覆核人", 0.1),
        (r"具體事蹟|總分", 0.1),
    )

    def recognise(self, text: str) -> float:
        return max(0.0, evidence(text, self.RULES) - 0.25 * letter_header_count(text))

    def extract(self, pages: Sequence[PageText]) -> dict[str, Any]:
        text = full_text(pages)
        start, end = period(labelled(text, "考核期間"))
        return {
            "employee": _cell(text, "姓名"),
            "position": _cell(text, "職稱"),
            "unit": _cell(text, "服務單位"),
            "period_start": start,
            "period_end": end,
            "score": score(labelled(text, "總分", "總分數", "考核總分")),
            "rating": rating(text),
            "result": _first_word(labelled(text, "考核結果")),
            "classification": "密" if marked_confidential(text) else None,
        }


def _cell(text: str, label: str) -> str | None:
    """A value in a row of label/value cells, cut where the next label of the row begins."""
    value = labelled(text, label, anywhere=True, stop=_ROW_LABELS)
    return tidy(value.strip(" |")) or None if value else None


def period(value: str | None) -> tuple[date | None, date | None]:
    found = find_dates(value or "")
    if len(found) < 2:
        return (found[0].date if found else None), None
    return found[0].date, found[1].date


def score(value: str | None) -> int | None:
    """The total: the last number of the 總分 row (after the maximum, 100)."""
    numbers = [int(n) for n in re.findall(r"\d{1,3}", value or "")]
    return numbers[-1] if numbers and numbers[-1] <= 100 else None


def rating(text: str) -> str | None:
    value = labelled(text, "考核等第", "考核等級", "等第")
    m = _RATING.search(value or "")
    return m.group(0) if m else None


def _first_word(value: str | None) -> str | None:
    return tidy(re.split(r"[\s,，。(（]", value)[0]) or None if value else None


def marked_confidential(text: str) -> bool:
    """A 密 stamp alone on a line, a 密等 of 密, or a note that the form is a 密件."""
    if any(ln.strip("|[]() ") == "密" for ln in lines(text)) or "密件" in text:
        return True
    return re.search(r"密\s*等\s*[:：]\s*密", text) is not None
