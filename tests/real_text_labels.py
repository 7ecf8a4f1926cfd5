"""The development set ``../shared/corpus/real_texts`` mapped to this schedule's classes.

Its labels are a division and a function (the set predates our class codes). Each text is
mapped here to the classes a records officer of the Secretariat would accept, or only to
its division where the schedule has no class for the function (``DIVISION``), or to
``OUT`` (not a record of this office). Several rules of other agencies could be filed
under the function's class or under the class for the Secretariat's own rules on it
(0206 文書處理規定訂修); both are accepted.

Several labels are judgement calls, and the set's README names what each "could also be"
(:data:`ALTERNATIVES`: the dormitory repairs 22 could be office_management, the auction of
scrapped property 42 general_affairs, ...). Two figures are measured: **strict**, the set's
own label only (:func:`right`), and **with the README's alternatives**
(:func:`right_or_alternative`): a proposal in the named alternative division is right too, at
division level (an alternative "other" means that no class, out of scope, is right too).
Training always uses the set's own label.

Files of the set are read where it is present; tests never need it.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

from pipeline.retention.schedule import Schedule

OUT = "out_of_scope"
REPO = Path(__file__).resolve().parents[1]

#: file number -> accepted classes; a division key alone (no digits) means division only
MAPPING: dict[str, tuple[str, ...]] = {
    "01": ("020201", "0206"), "02": ("020301", "0206"), "03": ("020103", "0206"),
    "04": ("020402", "0206"), "05": ("020101", "0206"), "06": ("020501",),
    "07": ("documentation",),  # FAQ on announcements: sealing (020402) and e-exchange (020103)
    "08": ("archives",),  # hand-over of records at a reorganisation: no class of its own
    "09": ("060401",), "10": ("060502",), "11": ("060403",), "12": ("060201",),
    "13": ("060101",), "14": ("0603",),
    "15": ("010502", "010503"), "16": ("010301",), "17": ("010101",), "18": ("010501",),
    "19": ("special_affairs",), "20": ("special_affairs",),  # press work: no class yet
    "21": ("010101",),
    "22": ("03030101",), "23": ("general_affairs",),  # hiring temporary staff: no class
    "24": ("030402",), "25": ("030102",), "26": ("030101", "030102"),
    "27": ("030201",), "28": ("030201",),
    "29": ("040302",), "30": ("040401",), "31": ("office_management",),
    "32": ("040101",), "33": ("040302",), "34": ("office_management",),
    "35": ("office_management",),
    "36": ("procurement_management",), "37": ("050201",), "38": ("050302",),
    "39": ("procurement_management",), "40": ("050201",), "41": ("050301",),
    "42": ("procurement_management",), "43": ("050202",),
    # personnel, ethics, accounting: classes of the schedule's common areas (a heading
    # accepts every class under it)
    "44": ("0703",), "45": ("0701",), "46": ("0701",),
    "47": ("0806", "0803"), "48": ("0806",), "49": ("0803", "0806"),
    "50": ("0903",), "51": ("0902",), "52": ("0901",),
}
#: file number -> the division the set's README says the text "could also be" (its table
#: of judgement calls); "other" is out of scope
ALTERNATIVES: dict[str, str] = {
    "06": "special_affairs", "16": "ethics", "18": "personnel", "21": "ethics",
    "22": "office_management", "23": "personnel", "28": "ethics", "29": "other",
    "33": "other", "34": "other", "37": "ethics", "42": "general_affairs",
    "58": "office_management",
}
#: divisions of the set's labels by the word their Chinese name contains
DIVISION_WORDS = {"personnel": "人事", "ethics": "政風", "accounting": "會計"}


@dataclass(frozen=True)
class RealText:
    name: str
    text: str
    division: str
    function: str
    kind: str
    #: accepted classes (a heading: any class under it); empty when only the division (or
    #: nothing: OUT) is right
    classes: tuple[str, ...]
    #: the schedule's division key when only the division is known; OUT out of scope
    target_division: str | None
    #: the division the README says the text could also be filed in (OUT: out of scope;
    #: None: no alternative, or a division this schedule does not have)
    alternative: str | None = None

    @property
    def out_of_scope(self) -> bool:
        return self.target_division == OUT

    def training_label(self, schedule: Schedule) -> str | None:
        """The class to learn from the text: its first accepted class if that is a leaf."""
        first = self.classes[0] if self.classes else None
        return first if first and schedule.is_leaf(first) else None

    def label(self) -> str:
        return "、".join(self.classes) or f"({self.target_division})"


def corpus_dir() -> Path | None:
    """``../shared/corpus/real_texts`` next to the checkout (or $RECORDS_REAL_TEXTS)."""
    where = "shared/corpus/real_texts"
    candidates = ([Path(os.environ["RECORDS_REAL_TEXTS"])] if "RECORDS_REAL_TEXTS" in os.environ
                  else [REPO.parent / where, REPO.parent.parent / where])
    return next((p for p in candidates if (p / "LABELS.csv").is_file()), None)


def schedule_division(schedule: Schedule, division: str) -> str | None:
    """The schedule's key of a division of the set (None: the schedule has none)."""
    if division in schedule.divisions:
        return division
    word = DIVISION_WORDS.get(division)
    return next((k for k, t in schedule.divisions.items() if word and word in t.zh_tw), None)


def load(schedule: Schedule, folder: Path) -> list[RealText]:
    """Every text of the set with its mapping (unknown divisions are out of scope)."""
    out = []
    with (folder / "LABELS.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            text = (folder / row["file"]).read_text(encoding="utf-8")
            number = row["file"][:2]
            mapped = MAPPING.get(number, ())
            classes = tuple(c for c in mapped if c[0].isdigit() and c in schedule)
            target = None
            if not classes:
                key = mapped[0] if mapped and not mapped[0][0].isdigit() else row["division"]
                target = schedule_division(schedule, key) or OUT
            alt = ALTERNATIVES.get(number)
            out.append(RealText(row["file"], text, row["division"], row["function"],
                                row["doc_kind"], classes, target,
                                alt and (OUT if alt == "other" else schedule_division(schedule,
                                                                                      alt))))
    return out


def right(schedule: Schedule, item: RealText, code: str | None) -> bool:
    """A proposed class is right: one of the accepted classes, or of the division."""
    if item.out_of_scope:
        return code is None
    if code is None:
        return False
    if item.classes:
        return any(code.startswith(c) for c in item.classes)
    return schedule.get(code).division == item.target_division


def right_or_alternative(schedule: Schedule, item: RealText, code: str | None) -> bool:
    """Right by the set's label, or by the division its README says the text could also
    be filed in (no class, where that alternative is "other")."""
    if right(schedule, item, code):
        return True
    if item.alternative is None:
        return False
    if item.alternative == OUT:
        return code is None
    return code is not None and schedule.get(code).division == item.alternative
