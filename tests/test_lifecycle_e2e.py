"""Issue #3's "done when", tried as a records officer would, on the ingested sample batch.

Classes come from the Secretariat's own schedule (``retention_rules/``), set through the
lifecycle commands (the classifier is another component).
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
from datetime import date
from pathlib import Path

from sqlalchemy import select

from pipeline.archive import Archive
from pipeline.dates import to_roc_short
from pipeline.db.models import Document, StoredFile
from tests.lifecycle_support import PASSWORD, cli, config_home, fast_hashing, login

__all__ = ["config_home", "fast_hashing"]

#: sample file -> class of the Secretariat's schedule
CLASSES = {
    # 2016 公文稽催 printing 保存年限 5 years: not the 3-year 020201 (shorter than printed),
    # 020202 (5 years, destroy) -> due 2022, destroyable now
    "scan-0014.jpg": "020202",
    "scan-0013.jpg": "020103",  # 2021 線上簽核: 5 years, destroy -> due 2026-03-09
    "scan-0008.png": "020302",  # 2022 停電公告: 5 years, destroy -> due 2027, not yet
    "scan-0015.png": "040302",  # 2018 消防演練: 3 years, destroy -> held below
    "scan-0006.jpg": "010502",  # 2019 姊妹市: permanent, national archive -> transfer in 2045
    "scan-0012.jpg": "050201",  # 2020 採購稽核: 10 years, appraise
}
LETTER = "檔綜字第1150012345號"
TODAY = to_roc_short(date.today())  # the letter's date: not before the list was made


def _ok(*args: str, input: str | None = None) -> dict[str, object]:
    result = cli(*args, input=input)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout) if result.stdout.startswith("{") else {}


def _ids(archive: Archive) -> dict[str, int]:
    with archive.session() as s:
        docs = s.scalars(select(Document)).all()
    return {Path(d.original_name).name: d.id for d in docs}


def _items_for(queue: dict[str, object], doc_id: int) -> int:
    for item in queue["items"]:  # type: ignore[attr-defined]
        if doc_id in item["documents"]:
            return int(item["id"])
    raise AssertionError(f"document {doc_id} is not on the destruction list")


def _setup_users() -> None:
    _ok("user", "add", "admin", "--role", "admin", "--password-stdin", input=PASSWORD)
    login("admin")
    for name, role in (("lin", "records-officer"), ("huang", "records-officer"),
                       ("chen", "auditor")):
        _ok("user", "add", name, "--role", role, "--clearance", "confidential",
            "--password-stdin", input=PASSWORD)


def _statuses(archive: Archive) -> dict[int, str]:
    with archive.session() as s:
        return {i: status for i, status in s.execute(select(Document.id, Document.status))}


def _pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def test_done_when_on_the_sample_batch(sample_archive: Archive, config_home: Path,
                                       fast_hashing: None, tmp_path: Path) -> None:
    ids = _ids(sample_archive)
    _setup_users()
    login("lin")
    # the letter's printed 5 years may not be shortened by a 3-year class
    refused = cli("lifecycle", "classify", str(ids["scan-0014.jpg"]), "--class", "020201")
    assert refused.exit_code == 7 and "保存年限較短" in refused.output, refused.output
    for name, code in CLASSES.items():
        _ok("lifecycle", "classify", str(ids[name]), "--class", code)
        _ok("lifecycle", "file", str(ids[name]))

    # a sweep as of a future day only previews: nothing moves, nothing is queued
    before = _statuses(sample_archive)
    ahead = _ok("retention", "sweep", "--as-of", "2100-01-01", "--json")
    assert ahead["preview"] is True and ahead["changed"] == 6
    assert _statuses(sample_archive) == before
    assert _ok("disposal", "queue", "--json")["items"] == []

    # as of today: only what is due moves
    swept = _ok("retention", "sweep", "--json")
    queued = {d for m in swept["queued_for_disposal"] for d in m["documents"]}  # type: ignore[attr-defined]
    assert queued == {ids[n] for n in ("scan-0014.jpg", "scan-0013.jpg", "scan-0015.png")}
    assert swept["flagged_for_transfer"] == [] and swept["appraisal"] == []
    unplaced = swept["unclassified"] + swept["not_filed"]  # type: ignore[operator]
    assert len(unplaced) == len(ids) - len(CLASSES)  # the rest: no class, or not filed
    assert _ok("retention", "sweep", "--json")["changed"] == 0

    queue = _ok("disposal", "queue", "--json")
    old, held = _items_for(queue, ids["scan-0014.jpg"]), _items_for(queue, ids["scan-0015.png"])
    recent = _items_for(queue, ids["scan-0013.jpg"])
    login("chen")
    _ok("hold", "place", "--kind", "legal", "--document", str(ids["scan-0015.png"]),
        "--reason", "國賠訴訟", "--ref", "臺南地院115年度國字第3號")

    # the numbered destruction list: the held file stays off it
    login("lin")
    made = _ok("disposal", "list", "create", "--json")
    assert made["items"] == [old, recent]
    assert [s["id"] for s in made["skipped"]] == [held]  # type: ignore[union-attr]
    number = str(made["list"])
    assert cli("disposal", "approve", str(old), "--reason", "屆期").exit_code == 7  # no letter
    assert cli("disposal", "list", "approve", number, "--authority-ref", "abc",
               "--approved-on", TODAY).exit_code == 5
    _ok("disposal", "list", "approve", number, "--authority-ref", LETTER,
        "--approved-on", TODAY)
    pdf, table = tmp_path / "list.pdf", tmp_path / "list.csv"
    _ok("disposal", "list", "export", number, "--pdf", str(pdf), "--csv", str(table))
    text = _pdf_text(pdf)
    for heading in ("檔案銷毀目錄", "機關名稱", "第 1 頁", "項次", "年度號", "分類號", "案次號",
                    "卷次號", "案名", "檔案產生者", "檔案起迄日期", "卷數", "件數", "保存年限",
                    "案情摘要", "備註", "承辦人", "機關首長", LETTER):
        assert heading in text, heading
    assert "檔號：" not in table.read_text(encoding="utf-8-sig")  # no OCR'd header lines
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
    assert "NotoSansCJK" in fonts and " yes " in fonts  # embedded

    approve = ["disposal", "approve", str(old), str(recent), "--reason", "保存年限屆滿"]
    _ok(*approve)
    assert cli("disposal", "execute", str(old), "--supervisor", "政風室 陳監銷").exit_code == 7
    assert cli("disposal", "approve", str(held), "--reason", "x").exit_code == 7
    login("huang")
    _ok(*approve)
    assert cli("disposal", "execute", str(old)).exit_code == 7  # no supervisor

    with sample_archive.session() as s:
        doc = s.get(Document, ids["scan-0014.jpg"])
        assert doc is not None
        blobs = [doc.original.store_path] + ([doc.archival.store_path] if doc.archival else [])
        assert ids["scan-0014.jpg"] in sample_archive.search.indexed_document_ids(s)
    done = _ok("disposal", "execute", str(old), "--supervisor", "政風室 陳監銷", "--json")
    assert done["executed"][0]["documents"] == [ids["scan-0014.jpg"]]  # type: ignore[index]

    # the original is gone from the store and the index; tombstone and certificate remain
    assert not any(sample_archive.store.path(p).exists() for p in blobs)
    with sample_archive.session() as s:
        assert ids["scan-0014.jpg"] not in sample_archive.search.indexed_document_ids(s)
        gone = s.scalars(select(StoredFile).where(StoredFile.store_path.in_(blobs))).all()
        assert all(f.destroyed_at is not None for f in gone)
    tombs = _ok("disposal", "tombstones")["tombstones"]
    assert [t["document_id"] for t in tombs] == [ids["scan-0014.jpg"]]  # type: ignore[index]
    cert = _ok("disposal", "certificate", str(old))
    assert cert["intact"] is True
    assert cert["body"]["supervisors"] == [{"unit": "政風室", "name": "陳監銷"}]  # type: ignore[index]
    assert cert["body"]["authority_ref"] == LETTER  # type: ignore[index]
    assert {b["sha256"] for d in cert["body"]["documents"] for b in d["blobs"]} == {  # type: ignore[index]
        b["sha256"] for t in tombs for b in t["blobs"]}  # type: ignore[attr-defined]

    # the permanent file of 2019 is not transferred before 2045
    assert cli("transfer", "list", "--create").exit_code == 7

    # editing one audit row makes verification fail, naming it
    login("chen")
    _ok("audit", "verify", "--json")
    db = sqlite3.connect(sample_archive.settings.home / "records.db")
    with db:
        db.execute("UPDATE audit_log SET actor = 'mallory' WHERE id = 7")
    db.close()
    bad = cli("audit", "verify")
    assert bad.exit_code == 10 and "audit entry 7" in bad.output
