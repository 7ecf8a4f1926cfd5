"""Issue #3's "done when", tried as a records officer would, on the ingested sample batch.

Classes come from the Secretariat's own schedule (``retention_rules/``), set through the
lifecycle commands (the classifier is another component).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import bagit
from sqlalchemy import select

from pipeline.archive import Archive
from pipeline.db.models import Document, StoredFile
from tests.lifecycle_support import PASSWORD, cli, config_home, fast_hashing, login

__all__ = ["config_home", "fast_hashing"]

#: sample file -> class of the Secretariat's schedule
CLASSES = {
    "scan-0014.jpg": "020201",  # 2016 公文稽催: 3 years, destroy -> due 2019, destroyable now
    "scan-0013.jpg": "020103",  # 2021 線上簽核: 5 years, destroy -> due 2026-03-09
    "scan-0008.png": "020302",  # 2022 停電公告: 5 years, destroy -> due 2027, not yet
    "scan-0015.png": "040302",  # 2018 消防演練: 3 years, destroy -> held below
    "scan-0006.jpg": "010502",  # 2019 姊妹市: permanent, national archive -> transfer
    "scan-0012.jpg": "050201",  # 2020 採購稽核: 10 years, appraise
}


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


def test_done_when_on_the_sample_batch(sample_archive: Archive, config_home: Path,
                                       fast_hashing: None, tmp_path: Path) -> None:
    ids = _ids(sample_archive)
    _setup_users()
    login("lin")
    for name, code in CLASSES.items():
        _ok("lifecycle", "classify", str(ids[name]), "--class", code)
        _ok("lifecycle", "file", str(ids[name]))

    # sweep far ahead: due files queued or sent to appraisal, the permanent one flagged
    swept = _ok("retention", "sweep", "--as-of", "2100-01-01", "--json")
    queued = {d for m in swept["queued_for_disposal"] for d in m["documents"]}  # type: ignore[attr-defined]
    assert queued == {ids[n] for n in ("scan-0014.jpg", "scan-0013.jpg", "scan-0008.png",
                                       "scan-0015.png")}
    assert [m["documents"] for m in swept["flagged_for_transfer"]] == [[ids["scan-0006.jpg"]]]  # type: ignore[index]
    assert [m["documents"] for m in swept["appraisal"]] == [[ids["scan-0012.jpg"]]]  # type: ignore[index]
    unplaced = swept["unclassified"] + swept["not_filed"]  # type: ignore[operator]
    assert len(unplaced) == len(ids) - len(CLASSES)  # the rest: no class, or not filed
    assert _ok("retention", "sweep", "--as-of", "2100-01-01", "--json")["changed"] == 0

    queue = _ok("disposal", "queue", "--json")
    old, held = _items_for(queue, ids["scan-0014.jpg"]), _items_for(queue, ids["scan-0015.png"])
    young = _items_for(queue, ids["scan-0008.png"])
    login("chen")
    _ok("hold", "place", "--kind", "legal", "--document", str(ids["scan-0015.png"]),
        "--reason", "國賠訴訟", "--ref", "臺南地院115年度國字第3號")

    approve = ["disposal", "approve", str(old), str(young), "--reason", "保存年限屆滿",
               "--authority-ref", "檔徵字第1150000456號"]
    login("lin")
    _ok(*approve)
    assert cli("disposal", "execute", str(old)).exit_code == 7  # one officer is not enough
    assert cli("disposal", "approve", str(held), "--reason", "x", "--authority-ref",
               "檔徵字第1150000456號").exit_code == 7  # the hold blocks approval
    login("huang")
    _ok(*approve)
    assert cli("disposal", "execute", str(young)).exit_code == 7  # due only in 2027

    with sample_archive.session() as s:
        doc = s.get(Document, ids["scan-0014.jpg"])
        assert doc is not None
        blobs = [doc.original.store_path] + ([doc.archival.store_path] if doc.archival else [])
        assert ids["scan-0014.jpg"] in sample_archive.search.indexed_document_ids(s)
    done = _ok("disposal", "execute", str(old), "--supervisor", "政風處 陳監銷", "--json")
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
    assert {b["sha256"] for d in cert["body"]["documents"] for b in d["blobs"]} == {  # type: ignore[index]
        b["sha256"] for t in tombs for b in t["blobs"]}  # type: ignore[attr-defined]

    # a transfer bag of the permanent file validates
    bag = _ok("transfer", "export", "--out", str(tmp_path / "out"), "--json")
    bagit.Bag(bag["bag"]).validate()

    # editing one audit row makes verification fail, naming it
    login("chen")
    _ok("audit", "verify", "--json")
    db = sqlite3.connect(sample_archive.settings.home / "records.db")
    with db:
        db.execute("UPDATE audit_log SET actor = 'mallory' WHERE id = 7")
    db.close()
    bad = cli("audit", "verify")
    assert bad.exit_code == 10 and "audit entry 7" in bad.output
