"""Per-field precision and recall of the record types over the sample batch.

Used by ``tests/test_record_types_samples.py`` and runnable to print the table that goes
into ``docs/record-types.md``::

    .venv/bin/python -m tests.record_types_eval            # ingests sample_scans/ (OCR)
    .venv/bin/python -m tests.record_types_eval --truth    # on the ground-truth text

A value counts as correct when it equals the ground truth after NFKC normalisation and
removal of whitespace (OCR reads ``，`` as ``,``; the comparison should not care).
An extracted field is a false positive when it is wrong, when the ground truth has no
such field for that document, or when the document got the wrong type; a ground-truth
field is a false negative when it is missing or wrong.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.record_types import PageText, Registry, choose_type, installed_types, typed_fields
from pipeline.record_types.parsing import squash

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_scans"
#: the record type each ground-truth kind should get; english and contract get none
KIND_TYPES: dict[str, str | None] = {
    "letter": "official_document",
    "memo": "official_document",
    "announcement": "official_document",
    "gift": "gift",
    "repair": "repair",
    "audit": "procurement_audit",
    "staff_eval": "staff_evaluation",
    "safety_drill": "safety_drill",
    "energy": "energy_report",
    "english": None,
    "contract": None,
}
#: ground-truth keys named differently by a type
ALIASES: dict[str, dict[str, str]] = {
    "gift": {"doc_date": "filed_date"},
    "procurement_audit": {"doc_date": "audit_date"},
    "energy_report": {"doc_date": "report_date"},
}


def load_truth() -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads((SAMPLES / "ground_truth.json").read_text("utf-8"))
    return data


def expected_fields(entry: Mapping[str, Any], registry: Registry) -> dict[str, Any]:
    """The ground-truth fields of ``entry`` under its type's field names (others dropped)."""
    type_name = KIND_TYPES[entry["kind"]]
    if type_name is None:
        return {}
    names = set(registry.get(type_name).Fields.model_fields)
    aliases = ALIASES.get(type_name, {})
    out = {aliases.get(k, k): v for k, v in entry["fields"].items()}
    if "entries" in entry["fields"]:
        out["entry_count"] = len(entry["fields"]["entries"])
    return {k: v for k, v in out.items() if k in names}


def same(expected: Any, got: Any) -> bool:
    if isinstance(expected, bool) or isinstance(got, bool):
        return expected is got
    return squash(str(expected)) == squash(str(got))


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None


@dataclass
class Evaluation:
    """Counts per (type, field), and the type each sample got."""

    fields: dict[tuple[str, str], Counts] = field(default_factory=dict)
    types: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    misses: list[str] = field(default_factory=list)

    def counts(self, type_name: str, name: str) -> Counts:
        return self.fields.setdefault((type_name, name), Counts())

    def add(self, file: str, expected_type: str | None, got_type: str | None,
            expected: Mapping[str, Any], got: Mapping[str, Any]) -> None:
        self.types[file] = (expected_type, got_type)
        if expected_type is not None:
            for key, value in expected.items():
                ok = got_type == expected_type and same(value, got.get(key))
                self.counts(expected_type, key).tp += ok
                self.counts(expected_type, key).fn += not ok
                if not ok:
                    self.misses.append(f"{file}: {key}: expected {value!r}, got {got.get(key)!r}")
        if got_type is not None:
            for key, value in got.items():
                right = got_type == expected_type and key in expected and same(expected[key], value)
                self.counts(got_type, key).fp += not right

    def type_accuracy(self) -> float:
        return sum(e == g for e, g in self.types.values()) / max(1, len(self.types))

    def table(self) -> list[str]:
        rows = ["| type | field | n | precision | recall |", "|---|---|---|---|---|"]
        for (t, f), c in sorted(self.measured().items()):
            rows.append(f"| {t} | {f} | {c.tp + c.fn} | {_pct(c.precision)} | {_pct(c.recall)} |")
        return rows

    def by_type(self) -> dict[str, Counts]:
        """Counts summed over the measured fields of each type (micro average)."""
        out: dict[str, Counts] = {}
        for (t, _), c in self.measured().items():
            total = out.setdefault(t, Counts())
            total.tp, total.fp, total.fn = total.tp + c.tp, total.fp + c.fp, total.fn + c.fn
        return out

    def overall(self) -> Counts:
        total = Counts()
        for c in self.by_type().values():
            total.tp, total.fp, total.fn = total.tp + c.tp, total.fp + c.fp, total.fn + c.fn
        return total

    def measured(self) -> dict[tuple[str, str], Counts]:
        """Fields the ground truth gives for at least one document (others cannot be scored)."""
        return {k: c for k, c in self.fields.items() if c.tp + c.fn}


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def evaluate(samples: Iterable[tuple[Mapping[str, Any], list[PageText]]],
             registry: Registry | None = None) -> Evaluation:
    """Type and extract every sample's pages and score them against the ground truth."""
    registry = registry or installed_types()
    ev = Evaluation()
    for entry, pages in samples:
        text = "\n".join(p.text for p in pages)
        match = choose_type(registry, text)
        got = typed_fields(match.rtype, pages) if match else {}
        ev.add(entry["file"], KIND_TYPES[entry["kind"]], match.rtype.name if match else None,
               expected_fields(entry, registry), got)
    return ev


def evaluate_stored(stored: Mapping[str, tuple[str | None, Mapping[str, Any]]],
                    registry: Registry | None = None) -> Evaluation:
    """Score what ingest stored: file -> (Document.record_type, Document.fields)."""
    registry = registry or installed_types()
    ev = Evaluation()
    for entry in load_truth():
        got_type, fields = stored[entry["file"]]
        names = set(registry.get(got_type).Fields.model_fields) if got_type else set()
        got = {k: v for k, v in fields.items() if k in names}
        ev.add(entry["file"], KIND_TYPES[entry["kind"]], got_type,
               expected_fields(entry, registry), got)
    return ev


def truth_pages(entry: Mapping[str, Any]) -> list[PageText]:
    return [PageText(p["page"], p["text"]) for p in entry["pages"]]


def ocr_pages(home: Path) -> dict[str, list[PageText]]:
    """The stored pages of every document of an archive, by original name."""
    from sqlalchemy import select

    from pipeline.archive import Archive
    from pipeline.db.models import Document
    from pipeline.record_types.apply import page_texts
    from tests.conftest import make_settings

    archive = Archive.open(make_settings(home))
    try:
        with archive.session() as s:
            return {d.original_name: page_texts(d.pages) for d in s.scalars(select(Document))}
    finally:
        archive.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--truth", action="store_true", help="ground-truth text, no OCR")
    parser.add_argument("--home", type=Path, help="an archive with the samples already ingested")
    parser.add_argument("--stored", action="store_true",
                        help="score the fields ingest stored, not a new extraction")
    args = parser.parse_args()
    truth = load_truth()
    if args.truth:
        ev = evaluate((e, truth_pages(e)) for e in truth)
    elif args.stored:
        ev = evaluate_stored(stored_fields(args.home or _ingested(None)))
    else:
        ev = evaluate((e, pages) for e, pages in _ocr_samples(truth, args.home))
    print("\n".join(ev.table()))
    for t, c in sorted(ev.by_type().items()):
        print(f"{t}: precision {_pct(c.precision)} recall {_pct(c.recall)}")
    total = ev.overall()
    print(f"overall: precision {_pct(total.precision)} recall {_pct(total.recall)}")
    print(f"\ntype accuracy {ev.type_accuracy():.2f}")
    for file, (e, g) in sorted(ev.types.items()):
        if e != g:
            print(f"type: {file}: expected {e}, got {g}")
    print("\n".join(ev.misses))


def _ocr_samples(truth: list[dict[str, Any]],
                 home: Path | None) -> list[tuple[dict[str, Any], list[PageText]]]:
    pages = ocr_pages(_ingested(home))
    return [(e, pages[e["file"]]) for e in truth]


def _ingested(home: Path | None) -> Path:
    """``home``, or a new archive with the sample batch ingested into it."""
    if home is not None:
        return home
    from pipeline.archive import Archive
    from tests.conftest import ingest_dir, make_settings

    home = Path(tempfile.mkdtemp()) / "home"
    archive = Archive.open(make_settings(home))
    try:
        ingest_dir(archive, SAMPLES)
    finally:
        archive.close()
    return home


def stored_fields(home: Path) -> dict[str, tuple[str | None, dict[str, Any]]]:
    """file -> (record_type, fields) of every document of an archive."""
    from sqlalchemy import select

    from pipeline.archive import Archive
    from pipeline.db.models import Document
    from tests.conftest import make_settings

    archive = Archive.open(make_settings(home))
    try:
        with archive.session() as s:
            return {d.original_name: (d.record_type, dict(d.fields or {}))
                    for d in s.scalars(select(Document))}
    finally:
        archive.close()


if __name__ == "__main__":
    main()
