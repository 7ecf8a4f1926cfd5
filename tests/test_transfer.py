"""Permanent transfer: a BagIt bag that validates, declassification first, then the receipt."""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import bagit
import pytest

from pipeline import disposal, transfer
from pipeline.archive import Archive
from pipeline.audit import audited_session
from pipeline.auth import Actor, Perm, get_user, system_actor, user_actor
from pipeline.errors import NotPermitted
from pipeline.retention.schedule import Schedule
from pipeline.sweep import sweep
from tests.lifecycle_support import (
    cli,
    config_home,
    fast_hashing,
    file_doc,
    lc_archive,
    login,
    make_doc,
    make_staff,
    rules_env,
    schedule,
    status_of,
)

__all__ = ["config_home", "fast_hashing", "lc_archive", "rules_env", "schedule"]


def _flag(archive: Archive, schedule: Schedule, *confidentiality: str) -> list[int]:
    """One permanent (national-archive) document per entry, 30 years old, swept."""
    make_staff(archive)
    officer = _actor(archive, "officer1")
    docs = [make_doc(archive, title=f"姊妹市締約{i}", when=date(1995 + i, 5, 1), confidentiality=c)
            for i, c in enumerate(confidentiality)]
    for doc_id in docs:
        file_doc(archive, officer, schedule, doc_id, "0103")
    with audited_session(archive) as s:
        report = sweep(s, system_actor("t", Perm.sweep), schedule, date(2026, 1, 1))
    assert {d for m in report.flagged_for_transfer for d in m.documents} == set(docs)
    return docs


def _actor(archive: Archive, name: str) -> Actor:
    with archive.session() as s:
        return user_actor(get_user(s, name))


def test_export_writes_a_valid_bag_with_originals_metadata_and_list(
        lc_archive: Archive, schedule: Schedule, tmp_path: Path) -> None:
    (doc_id,) = _flag(lc_archive, schedule, "public")
    result = transfer.export(lc_archive, _actor(lc_archive, "officer1"), schedule, tmp_path)
    bag = bagit.Bag(result.bag)
    bag.validate()
    assert {"sha256", "sha512"} <= set(bag.algorithms)
    data = Path(result.bag) / "data"
    item = data / "084-0103-0001" / "084-0103-0001-001-0001"
    assert sorted(p.name for p in item.iterdir()) == [
        "archival.pdf", "dublin_core.xml", "metadata.json", "original.txt"]
    meta = json.loads((item / "metadata.json").read_text(encoding="utf-8"))
    assert meta["id"] == doc_id and meta["class_code"] == "0103"
    assert [h["to"] for h in meta["history"]][-1] == "flagged_for_transfer"
    dc = ET.parse(item / "dublin_core.xml").getroot()
    assert dc.find("{http://purl.org/dc/elements/1.1/}title").text == "姊妹市締約0"  # type: ignore[union-attr]
    with (data / "transfer-list.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["file_number"], r["documents"]) for r in rows] == [("084-0103-0001", "1")]
    assert bag.info["Source-Organization"] == schedule.agency.zh_tw
    assert status_of(lc_archive, doc_id) == "flagged_for_transfer"


def test_confirm_marks_transferred_and_tampering_shows(lc_archive: Archive, schedule: Schedule,
                                                       tmp_path: Path) -> None:
    (doc_id,) = _flag(lc_archive, schedule, "public")
    officer = _actor(lc_archive, "officer1")
    result = transfer.export(lc_archive, officer, schedule, tmp_path)
    with pytest.raises(NotPermitted, match="no file is ready"):
        transfer.export(lc_archive, officer, schedule, tmp_path / "again")
    with audited_session(lc_archive) as s:
        transfer.confirm(s, officer, result.transfer_id, "檔管局收文 1150000123", date(2026, 3, 1))
    assert status_of(lc_archive, doc_id) == "transferred"
    original = next(Path(result.bag).rglob("original.txt"))
    original.write_text("altered")
    with pytest.raises(bagit.BagValidationError):
        bagit.Bag(result.bag).validate()


def test_confidential_files_wait_for_declassification(lc_archive: Archive, schedule: Schedule,
                                                      tmp_path: Path) -> None:
    public, secret = _flag(lc_archive, schedule, "public", "confidential")
    officer = _actor(lc_archive, "officer1")
    first = transfer.export(lc_archive, officer, schedule, tmp_path)
    assert first.files == ["084-0103-0001"] and first.documents == 1
    assert first.blocked == [{"file": "085-0103-0001", "reason": "confidential: not declassified"}]
    with audited_session(lc_archive) as s:
        disposal.declassify(s, officer, "document", secret, "府秘機字第1150000009號", "屆期解密")
    second = transfer.export(lc_archive, officer, schedule, tmp_path)
    assert second.files == ["085-0103-0001"]
    assert status_of(lc_archive, public) == status_of(lc_archive, secret) == "flagged_for_transfer"


def test_cli_export_and_confirm(lc_archive: Archive, schedule: Schedule, tmp_path: Path) -> None:
    (doc_id,) = _flag(lc_archive, schedule, "public")
    login("clerk")
    assert cli("transfer", "export", "--out", str(tmp_path)).exit_code == 8
    login("officer1")
    out = cli("transfer", "export", "--out", str(tmp_path), "--json")
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    bagit.Bag(data["bag"]).validate()
    confirmed = cli("transfer", "confirm", str(data["transfer_id"]), "--receipt-ref", "收據 1",
                    "--received-on", "115.03.01")
    assert confirmed.exit_code == 0, confirmed.output
    listed = json.loads(cli("transfer", "list").stdout)["transfers"]
    assert (listed[0]["status"], listed[0]["received_on"]) == ("confirmed", "2026-03-01")
    assert status_of(lc_archive, doc_id) == "transferred"
