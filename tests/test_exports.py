"""The gifts OpenData export and the repairs report, checked against the ground truth.

These tests type documents whose pages carry the ground-truth text (no OCR), so every
value must come out exactly; ``test_record_types_samples.py`` runs the same commands on
the OCR'd sample batch with measured bounds.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import statistics
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cli import app
from pipeline.archive import Archive
from pipeline.db.models import Document, Page, StoredFile
from pipeline.record_types import apply_record_type, installed_types
from tests.record_types_eval import ROOT, load_truth

TRUTH = load_truth()
DOCS = ROOT / "docs"
runner = CliRunner()


def gifts_of(year: int) -> list[dict[str, Any]]:
    """Every gift of the ground truth given in ``year``, as export rows (without ids)."""
    rows = [
        {**g, "estimated_value_twd": g["estimated_value"]}
        for e in TRUTH if e["kind"] == "gift"
        for g in e["fields"]["entries"] if g["gift_date"].startswith(str(year))
    ]
    for r in rows:
        del r["estimated_value"]
    return sorted(rows, key=lambda r: r["gift_date"])


def repairs_of(month: str) -> list[dict[str, Any]]:
    return [e["fields"] for e in TRUTH
            if e["kind"] == "repair" and e["fields"]["reported_at"].startswith(month)]


def add_truth_document(archive: Archive, entry: dict[str, Any],
                       confidentiality: str = "internal") -> int:
    """A document whose pages are the ground-truth text, typed by the enrichment step."""
    sha = hashlib.sha256(entry["file"].encode()).hexdigest()
    with archive.session() as session:
        blob = StoredFile(sha256=sha, kind="original", size=1, media_type="image/png",
                          store_path=f"x/{sha}")
        session.add(blob)
        session.flush()
        doc = Document(sha256=sha, original_file_id=blob.id, original_name=entry["file"],
                       media_type="image/png", page_count=len(entry["pages"]), lang="",
                       fields={}, confidentiality=confidentiality)
        doc.pages = [Page(number=p["page"], text=p["text"], source="ocr", width=1, height=1,
                          dpi=300) for p in entry["pages"]]
        session.add(doc)
        session.flush()
        apply_record_type(session, archive.settings, doc)
        archive.search.stage_document(session, doc.id)
        return doc.id


@pytest.fixture
def truth_archive(archive: Archive) -> dict[str, int]:
    """Every sample of the batch as a typed document: file -> document id."""
    return {e["file"]: add_truth_document(archive, e) for e in TRUTH}


def read_export(args: list[str], out: Path) -> str:
    result = runner.invoke(app, ["export", *args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out.read_bytes().decode("utf-8")  # strict: the file must be valid UTF-8


def without_ids(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k not in ("document_id", "row")} for r in rows]


def test_gifts_csv_is_the_ground_truth(truth_archive: dict[str, int], tmp_path: Path) -> None:
    text = read_export(["gifts", "--year", "2023", "--format", "csv"], tmp_path / "gifts.csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    expected = [{k: str(v) for k, v in r.items()} for r in gifts_of(2023)]
    assert without_ids(rows) == expected
    register = truth_archive["box-0113-01/folder-03/scan-0005.jpg"]
    assert [(r["document_id"], r["row"]) for r in rows[:2]] == [(str(register), "1"),
                                                               (str(register), "2")]
    assert not text.startswith("\ufeff")


def test_gifts_json_with_an_roc_year(truth_archive: dict[str, int], tmp_path: Path) -> None:
    text = read_export(["gifts", "--year", "112", "--format", "json"], tmp_path / "gifts.json")
    rows = json.loads(text)
    assert without_ids(rows) == gifts_of(2023)
    assert all(date.fromisoformat(r["gift_date"]) for r in rows)
    assert {r["direction"] for r in rows} == {"received", "presented"}


def test_gifts_of_a_year_without_gifts(truth_archive: dict[str, int]) -> None:
    result = runner.invoke(app, ["export", "gifts", "--year", "2019", "--format", "json"])
    assert result.exit_code == 0 and json.loads(result.stdout) == []


def test_confidential_gift_records_are_not_published(archive: Archive, tmp_path: Path) -> None:
    form = next(e for e in TRUTH if e["file"].endswith("scan-0018.png"))
    add_truth_document(archive, form, confidentiality="confidential")
    text = read_export(["gifts", "--year", "2023", "--format", "json"], tmp_path / "g.json")
    assert json.loads(text) == []


def test_every_export_column_is_documented() -> None:
    doc = (DOCS / "opendata-gifts.md").read_text(encoding="utf-8")
    export = installed_types().export("gifts")
    for column in export.columns:
        assert re.search(rf"^\| `{column.key}` \| {column.type} \|", doc, re.MULTILINE), column


def test_an_unknown_export_names_the_available_ones() -> None:
    result = runner.invoke(app, ["export", "plaques", "--year", "2023"])
    assert result.exit_code == 5 and "available: gifts" in result.output


def test_an_unknown_format_is_refused(truth_archive: dict[str, int]) -> None:
    result = runner.invoke(app, ["export", "gifts", "--year", "2023", "--format", "xlsx"])
    assert result.exit_code == 5 and "csv, json" in result.output


def hours(fields: dict[str, Any]) -> float:
    delta = datetime.fromisoformat(fields["repaired_at"]) - datetime.fromisoformat(
        fields["reported_at"])
    return round(delta.total_seconds() / 3600, 2)


def test_repairs_report_is_the_ground_truth(truth_archive: dict[str, int]) -> None:
    result = runner.invoke(app, ["report", "repairs", "--month", "2024-05", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    expected = sorted(repairs_of("2024-05"), key=lambda f: f["reported_at"])
    times = [hours(f) for f in expected]
    assert (data["tickets"], data["repaired"], data["open_or_incomplete"]) == (3, 3, 0)
    assert data["mean_hours"] == round(statistics.fmean(times), 2)
    assert data["median_hours"] == round(statistics.median(times), 2)
    assert [i["hours"] for i in data["items"]] == times
    assert [i["equipment"] for i in data["items"]] == [f["equipment"] for f in expected]


def test_repairs_report_text_and_an_empty_month(truth_archive: dict[str, int]) -> None:
    text = runner.invoke(app, ["report", "repairs", "--month", "2024-05"])
    empty = runner.invoke(app, ["report", "repairs", "--month", "2024-06", "--json"])
    assert text.exit_code == 0 and "median_hours: 19.75" in text.output
    assert json.loads(empty.output)["tickets"] == 0


def test_an_open_ticket_counts_without_hours(archive: Archive) -> None:
    entry = next(e for e in TRUTH if e["file"].endswith("scan-0003.png"))
    page = entry["pages"][0]
    open_ticket = {**entry, "pages": [{**page, "text": page["text"].replace(
        "完修時間 113/05/22 16:10", "完修時間 待料中")}]}
    add_truth_document(archive, open_ticket)
    data = json.loads(runner.invoke(app, ["report", "repairs", "--month", "2024-05",
                                          "--json"]).output)
    assert (data["tickets"], data["repaired"], data["mean_hours"]) == (1, 0, None)


def test_a_gift_without_a_readable_date_is_reported(archive: Archive, tmp_path: Path) -> None:
    form = next(e for e in TRUTH if e["file"].endswith("scan-0018.png"))
    page = form["pages"][0]
    undated = {**form, "pages": [{**page, "text": page["text"].replace("112年9月15日", "")}]}
    doc_id = add_truth_document(archive, undated)
    with archive.session() as session:
        session.get(Document, doc_id).document_date = date(2023, 9, 18)  # type: ignore[union-attr]
    result = runner.invoke(app, ["export", "gifts", "--year", "2023", "--format", "json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == []
    assert f"record {doc_id}" in result.stderr and "no readable date" in result.stderr
