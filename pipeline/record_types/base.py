"""The record-type interface: what a built-in or plugin type of record declares and does.

A record type says what a document *is* (a gift register, a repair ticket...), reads its
typed fields from the page text, proposes a retention class and a default
confidentiality. Types are found through the ``records.record_types`` entry-point group
(``pipeline.record_types.registry``); the built-in types are registered the same way as
outside ones. ``docs/record-types.md`` explains how to write one.

Extracted fields are stored in ``Document.fields`` as a **flat JSON object of scalars**
(strings, numbers, booleans; dates as ISO 8601 strings) so both search backends can index
and filter them; a type's ``Fields`` model may therefore only declare scalar fields.
"""

from __future__ import annotations

import calendar
import csv
import json
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar, TextIO

from pydantic import BaseModel
from sqlalchemy.orm import Session

from pipeline.errors import ConfigError
from pipeline.record_types.page_text import PageText, Word, full_text, reading_text
from pipeline.search.base import CLEARANCE_LEVELS

__all__ = [
    "CONFIDENCE_KEY",
    "CONFIDENTIALITY_LEVELS",
    "PROPOSED_CLASS_KEY",
    "Column",
    "Export",
    "PageText",
    "Period",
    "RecordType",
    "Report",
    "Scalar",
    "Word",
    "describe_fields",
    "full_text",
    "json_scalar_type",
    "reading_text",
]

#: confidentiality levels in increasing order: the search's clearance levels
CONFIDENTIALITY_LEVELS = CLEARANCE_LEVELS
#: key of the retention class a type proposes, stored beside its fields (for the classifier)
PROPOSED_CLASS_KEY = "proposed_class"
#: key of the recogniser's confidence in the assigned type, stored beside its fields
CONFIDENCE_KEY = "record_type_confidence"
#: JSON scalar types a field value may have once dumped
Scalar = str | int | float | bool


@dataclass(frozen=True, slots=True)
class Period:
    """A date range ``[start, end]`` (both inclusive) an export or a report covers."""

    start: date
    end: date
    label: str

    @classmethod
    def year(cls, year: int) -> Period:
        """A calendar year; an ROC year (< 1000, e.g. 112) is converted (+1911)."""
        if year < 1000:
            year += 1911
        return cls(date(year, 1, 1), date(year, 12, 31), str(year))

    @classmethod
    def month(cls, text: str) -> Period:
        """A month written ``YYYY-MM``."""
        m = re.fullmatch(r"(\d{4})-(\d{1,2})", text.strip())
        if m is None or not 1 <= int(m[2]) <= 12:
            raise ConfigError(f"not a month (YYYY-MM): {text!r}")
        y, mo = int(m[1]), int(m[2])
        last = calendar.monthrange(y, mo)[1]
        return cls(date(y, mo, 1), date(y, mo, last), f"{y:04d}-{mo:02d}")

    @classmethod
    def from_options(cls, year: int | None, month: str | None) -> Period:
        """The period of ``--year`` or ``--month`` (exactly one of them)."""
        if (year is None) == (month is None):
            raise ConfigError("give either --year or --month")
        return cls.year(year) if year is not None else cls.month(month or "")

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end


@dataclass(frozen=True, slots=True)
class Column:
    """One column of an export: its key, type and meaning (documented in ``docs/``)."""

    key: str
    type: str  # string | integer | number | boolean | date | datetime
    description: str


class Export(ABC):
    """A file written from the records of one type (e.g. the gifts OpenData file)."""

    name: ClassVar[str]
    description: ClassVar[str]
    columns: ClassVar[tuple[Column, ...]]
    formats: ClassVar[tuple[str, ...]] = ("csv", "json")

    @abstractmethod
    def rows(self, session: Session, period: Period) -> list[dict[str, Any]]:
        """The records of ``period``, one dict per row keyed by the column keys."""

    def check(self, session: Session, period: Period) -> list[str]:
        """Warnings for the reviewer: records that may belong to ``period`` but are left out."""
        return []

    def write(self, rows: Sequence[Mapping[str, Any]], fmt: str, out: TextIO) -> None:
        """Write ``rows`` as UTF-8 CSV (header row of keys) or a JSON array."""
        if fmt not in self.formats:
            raise ConfigError(f"export {self.name!r} writes {', '.join(self.formats)}, not {fmt!r}")
        keys = [c.key for c in self.columns]
        if fmt == "json":
            data = [{k: row.get(k) for k in keys} for row in rows]
            out.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
            return
        writer = csv.DictWriter(out, fieldnames=keys, lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


class Report(ABC):
    """Figures computed from the records of one type over a period."""

    name: ClassVar[str]
    description: ClassVar[str]

    @abstractmethod
    def build(self, session: Session, period: Period) -> dict[str, Any]:
        """The report as JSON-ready data (what ``records report NAME --json`` prints)."""

    def render(self, data: Mapping[str, Any]) -> list[str]:
        """Plain-text lines for the terminal; the default prints the top-level scalars."""
        return [f"{k}: {v}" for k, v in data.items() if not isinstance(v, (list, dict))]


class RecordType(ABC):
    """One type of record. Subclass it, set the class attributes, implement two methods.

    ``recognise`` and ``extract`` must be pure functions of the text: no database, no
    settings, no network. Raise nothing for text that does not fit; return 0.0 or omit
    the field instead.
    """

    #: unique lower-case key, stored in ``Document.record_type``; equals the entry-point name
    name: ClassVar[str]
    #: display names: at least ``{"zh-TW": ..., "en": ...}``
    labels: ClassVar[Mapping[str, str]]
    #: the metadata schema: a pydantic model whose fields are all scalars (or dates)
    Fields: ClassVar[type[BaseModel]]
    #: leaf code of the retention schedule this type proposes, or None
    proposed_class: ClassVar[str | None] = None
    #: default confidentiality of a document of this type (a document is never lowered)
    confidentiality: ClassVar[str] = "internal"
    #: a general type (公文) is chosen only when no specific type recognises the document
    fallback: ClassVar[bool] = False
    #: the field that dates the document (fills ``Document.document_date`` when unknown)
    date_field: ClassVar[str | None] = None

    @abstractmethod
    def recognise(self, text: str) -> float:
        """How sure (0.0-1.0) that the OCR'd ``text`` is a document of this type."""

    @abstractmethod
    def extract(self, pages: Sequence[PageText]) -> dict[str, Any]:
        """The fields found on the pages, keyed as in ``Fields``; absent ones are left out."""

    def confidentiality_for(self, fields: Mapping[str, Any]) -> str:
        """The confidentiality a document with these fields needs (default: the type's)."""
        return self.confidentiality

    def exports(self) -> Sequence[Export]:
        """Files this type can export (``records export NAME``)."""
        return ()

    def reports(self) -> Sequence[Report]:
        """Reports this type can compute (``records report NAME``)."""
        return ()

    def describe(self) -> dict[str, Any]:
        """What ``records types --json`` prints for this type."""
        return {
            "name": self.name,
            "labels": dict(self.labels),
            "proposed_class": self.proposed_class,
            "confidentiality": self.confidentiality,
            "fallback": self.fallback,
            "fields": describe_fields(self.Fields),
            "exports": [e.name for e in self.exports()],
            "reports": [r.name for r in self.reports()],
        }


def describe_fields(model: type[BaseModel]) -> list[dict[str, Any]]:
    """Name, JSON type/format, title and description of every field of a ``Fields`` model."""
    props: dict[str, Any] = model.model_json_schema().get("properties", {})
    out = []
    for name, prop in props.items():
        kind, fmt = json_scalar_type(prop)
        out.append({"name": name, "type": kind, "format": fmt,
                    "title": prop.get("title"), "description": prop.get("description")})
    return out


def json_scalar_type(prop: Mapping[str, Any]) -> tuple[str, str | None]:
    """The (type, format) of a JSON-schema property, looking through ``anyOf: [X, null]``."""
    options = [p for p in prop.get("anyOf", [prop]) if p.get("type") != "null"]
    if len(options) != 1:
        return "mixed", None
    return str(options[0].get("type", "mixed")), options[0].get("format")
