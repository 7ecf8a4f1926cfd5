"""Procurement audit finding (採購稽核, Procurement Management).

The record of an audit of one procurement case: case number, audited agency, the
findings, their severity, the corrective actions and the deadline. Several findings or
actions are stored joined with ``；`` (fields stay flat for the indexes).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any, ClassVar

import regex
from pydantic import BaseModel, ConfigDict, Field

from pipeline.record_types.base import PageText, RecordType, full_text
from pipeline.record_types.parsing import (
    evidence,
    first_date,
    label_pattern,
    labelled,
    letter_header_count,
    lines,
    strip_noise,
    tidy,
)

SEVERITIES = ("重大", "嚴重", "中度", "輕微")
#: labels that end a numbered block (稽核發現, 改善措施)
_BLOCK_END = ("稽核發現", "缺失等級", "改善措施", "改善期限", "稽核委員", "受稽核機關", "備註")
#: the start of a numbered item: 一、 (or just 、 when OCR lost the numeral), (一), 1.
_ITEM = re.compile(
    r"^(?:[一二三四五六七八九十]{1,2}、|、|\(?[0-9一二三四五六七八九十]{1,2}\)|\d{1,2}[.、])"
)
_CASE = re.compile(r"[\u4e00-\u9fff]{0,3}[A-Za-z0-9][A-Za-z0-9\-]{3,20}")


class ProcurementAuditFields(BaseModel):
    """One audit record of a procurement case."""

    model_config = ConfigDict(extra="forbid")

    case_number: str | None = Field(None, title="案號", description="procurement case number")
    subject: str | None = Field(None, title="採購案名", description="procurement case name")
    audited_agency: str | None = Field(None, title="受稽核機關", description="audited agency")
    audit_date: date | None = Field(None, title="稽核日期", description="date of the audit")
    finding: str | None = Field(None, title="稽核發現", description="findings, joined with ；")
    severity: str | None = Field(None, title="缺失等級", description="輕微, 中度, 重大 or 嚴重")
    corrective_action: str | None = Field(
        None, title="改善措施", description="corrective actions, joined with ；"
    )
    due_date: date | None = Field(None, title="改善期限", description="deadline for correction")


class ProcurementAudit(RecordType):
    name: ClassVar[str] = "procurement_audit"
    labels: ClassVar[dict[str, str]] = {"zh-TW": "採購稽核紀錄", "en": "Procurement audit finding"}
    Fields: ClassVar[type[BaseModel]] = ProcurementAuditFields
    proposed_class: ClassVar[str | None] = "050201"  # 採購稽核及查核報告
    confidentiality: ClassVar[str] = "internal"
    date_field: ClassVar[str | None] = "audit_date"

    RULES: ClassVar[tuple[tuple[str, float], ...]] = (
        (r"(?:採購稽核紀錄){e<=1}|(?:採購稽核報告){e<=1}|查核紀錄", 0.35),
        (r"稽核發現", 0.25),
        (r"缺失等級", 0.2),
        (r"受稽核機關", 0.2),
        (r"改善措施", 0.1),
        (r"改善期限", 0.15),
    )

    def recognise(self, text: str) -> float:
        return max(0.0, evidence(text, self.RULES) - 0.25 * letter_header_count(text))

    def extract(self, pages: Sequence[PageText]) -> dict[str, Any]:
        text = full_text(pages)
        return {
            "case_number": case_number(labelled(text, "案號", "採購案號")),
            "subject": _tidy(labelled(text, "採購案名", "標案名稱", "案名")),
            "audited_agency": _tidy(labelled(text, "受稽核機關", "受查核機關")),
            "audit_date": first_date(labelled(text, "稽核日期", "查核日期")),
            "finding": block(text, "稽核發現", "查核發現"),
            "severity": severity(labelled(text, "缺失等級")),
            "corrective_action": block(text, "改善措施", "改善建議"),
            "due_date": first_date(labelled(text, "改善期限")),
        }


def _tidy(value: str | None) -> str | None:
    return tidy(value) if value else None


def case_number(value: str | None) -> str | None:
    m = _CASE.search(value or "")
    return m.group(0) if m else None


def severity(value: str | None) -> str | None:
    return next((s for s in SEVERITIES if s in (value or "")), None)


def block(text: str, *labels: str) -> str | None:
    """A labelled list (一、... 二、...) or inline value, items joined with ；."""
    all_lines = lines(text)
    start = _label_line(all_lines, labels)
    if start is None:
        return None
    index, inline = start
    items: list[str] = [inline] if inline else []
    for line in all_lines[index + 1 :]:
        if _label_line([line], _BLOCK_END) is not None:
            break
        if _ITEM.match(line) or not items:
            items.append(_ITEM.sub("", line, count=1))
        else:
            items[-1] += line
    cleaned = [tidy(strip_noise(i)).rstrip("。.") for i in items]
    return "；".join(i for i in cleaned if i) or None


def _label_line(all_lines: list[str], labels: Sequence[str]) -> tuple[int, str] | None:
    """Index of the first line starting with one of ``labels`` and the rest of that line."""
    alts = "|".join(label_pattern(lb) for lb in labels)
    pattern = regex.compile(rf"^\W{{0,2}}(?:{alts})\s*[:：]?(?P<v>.*)$")
    for i, line in enumerate(all_lines):
        if m := pattern.match(line):
            return i, strip_noise(m["v"])
    return None
