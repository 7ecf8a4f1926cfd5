"""What the printed 檔號 and 保存年限 of a letter allow: the classes it may be filed under.

A letter carries the 檔號 (``113/060401/1``: year, class code, case) and the 保存年限 the
drafting unit gave it. Filing it under a class with a shorter retention would shorten the
period the letter itself announces (檔案法 Art. 12: no destruction before the period is
over); filing it under another class than the printed one contradicts the drafter. Both
are refused here, for the classifier and for people alike, with the reason in words.

A printed class code is *in force* when the schedule has it and it is not shorter than
the printed retention; a code the schedule lacks, or one whose class keeps files for less
time than printed, comes from another version of the schedule: it is reported, not used.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pipeline.docheader import retention_rank, retention_words
from pipeline.retention.schedule import Schedule


@dataclass(frozen=True)
class PrintedConstraints:
    """The printed values of one document, checked against the schedule in force."""

    retention: int | str | None = None
    #: the printed class code when the schedule in force has it (leaf or heading)
    code_in_force: str | None = None
    #: remarks for the explanation (a printed code not used, and why)
    notes: tuple[str, ...] = field(default_factory=tuple)

    def why_not(self, schedule: Schedule, code: str) -> str | None:
        """Why ``code`` may not hold this document (Traditional Chinese), or None."""
        cls = schedule.get(code)
        if self.retention is not None and retention_rank(cls.retention) < retention_rank(
                self.retention):
            return (f"公文印記保存年限為{retention_words(self.retention)}，類目 {code}"
                    f"「{cls.title.zh_tw}」僅保存{retention_words(cls.retention)}，"
                    "不得歸入保存年限較短之類目")
        if self.code_in_force and not code.startswith(self.code_in_force):
            printed = schedule.get(self.code_in_force).title.zh_tw
            return (f"公文印記檔號分類號為 {self.code_in_force}「{printed}」，"
                    f"與類目 {code}「{cls.title.zh_tw}」不符")
        return None

    def allowed(self, schedule: Schedule, code: str) -> bool:
        return self.why_not(schedule, code) is None


def constraints(schedule: Schedule, printed: Mapping[str, Any] | None) -> PrintedConstraints:
    """The constraints of a stored ``printed`` value (``Document.printed``)."""
    printed = printed or {}
    retention = printed.get("retention")
    retention = retention if isinstance(retention, (int, str)) else None
    code = printed_code(printed)
    if code is None:
        return PrintedConstraints(retention)
    if code not in schedule:
        return PrintedConstraints(retention, None, (
            f"印記分類號 {code} 不在現行檔案保存年限區分表，應屬舊版分類號，未據以歸類",))
    longest = max((retention_rank(c.retention) for c in _leaves_under(schedule, code)),
                  default=0.0)
    if retention is not None and longest < retention_rank(retention):
        title = schedule.get(code).title.zh_tw
        return PrintedConstraints(retention, None, (
            f"印記分類號 {code}「{title}」之保存年限短於印記保存年限"
            f"{retention_words(retention)}，應屬舊版分類號，未據以歸類",))
    return PrintedConstraints(retention, code)


def printed_code(printed: Mapping[str, Any]) -> str | None:
    """The class code of a printed 檔號 (its middle part)."""
    number = printed.get("file_number")
    if not isinstance(number, str):
        return None
    parts = number.split("/")
    return parts[1] if len(parts) >= 3 else None


def _leaves_under(schedule: Schedule, code: str) -> list[Any]:
    return [c for c in schedule.leaf_classes() if c.code.startswith(code)]
