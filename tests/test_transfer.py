"""Permanent transfer: a BagIt bag that validates, declassification first, then the receipt."""

from __future__ import annotations

import csv
import json
import shutil
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import bagit
import pytest

from pipeline import lifecycle, secrecy, transfer
from pipeline.archive import Archive
from pipeline.audit import audited_session
from pipeline.auth import Actor, Perm, get_user, system_actor, user_actor
from pipeline.db.models import Transfer, TransferItem
from pipeline.errors import ConfigError, IntegrityFailure, NotPermitted
from pipeline.lifecycle import State
from pipeline.retention.schedule import Schedule
from pipeline.sweep import sweep
from tests.lifecycle_support import (
    APPROVED_ON,
    AUTHORITY_REF,
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
    """One permanent (national-archive) document per entry, 30 years old, swept today."""
    make_staff(archive)
    officer = _actor(archive, "officer1")
    docs = [make_doc(archive, title=f"姊妹市締約{i}", when=date(1995 + i, 5, 1), confidentiality=c)
            for i, c in enumerate(confidentiality)]
    for doc_id in docs:
        file_doc(archive, officer, schedule, doc_id, "0103")
    with audited_session(archive) as s:
        report = sweep(s, system_actor("t", Perm.sweep), schedule)
    assert {d for m in report.flagged_for_transfer for d in m.documents} == set(docs)
    return docs


def _actor(archive: Archive, name: str) -> Actor:
    with archive.session() as s:
        return user_actor(get_user(s, name))


def _appraise(archive: Archive, *files: str) -> None:
    with audited_session(archive) as s:
        for number in files:
            transfer.appraise(s, _actor(archive, "officer1"), number, "transfer",
                              "具永久保存價值", "鑑定報告 115-1")


def _listed(archive: Archive, schedule: Schedule) -> int:
    """A 移轉目錄 of what is ready, approved by the authority; returns the transfer id."""
    officer = _actor(archive, "officer1")
    with audited_session(archive) as s:
        transfer_id = transfer.create_list(s, officer, schedule).id
    with audited_session(archive) as s:
        transfer.record_approval(s, officer, transfer_id, AUTHORITY_REF, APPROVED_ON)
    return transfer_id


def _export(archive: Archive, schedule: Schedule, out: Path) -> transfer.TransferExport:
    return transfer.export(archive, _actor(archive, "officer1"), schedule, out)


def test_export_writes_a_valid_bag_with_originals_metadata_and_list(
        lc_archive: Archive, schedule: Schedule, tmp_path: Path) -> None:
    (doc_id,) = _flag(lc_archive, schedule, "public")
    _appraise(lc_archive, "084-0103-0001")
    _listed(lc_archive, schedule)
    result = _export(lc_archive, schedule, tmp_path)
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
        (row,) = list(csv.DictReader(fh))
    assert (row["檔號"], row["年度號"], row["分類號"], row["案次號"]) == (
        "084-0103-0001", "84", "0103", "1")
    assert (row["卷數"], row["件數"], row["案名"], row["檔案產生者"]) == (
        "1", "1", "姊妹市締約0", "總務科")
    assert row["案卷內文件起迄日期"] == "084.05.01–084.05.01"
    assert row["機密等級"] == "普通" and row["儲存媒體型式"] == "電子檔（PDF、TXT）"
    assert "具永久保存價值" in row["鑑定結果"]
    assert bag.info["Source-Organization"] == schedule.agency.zh_tw
    assert status_of(lc_archive, doc_id) == "flagged_for_transfer"


def test_appraisal_and_the_authoritys_approval_come_before_the_export(
        lc_archive: Archive, schedule: Schedule, tmp_path: Path) -> None:
    _flag(lc_archive, schedule, "public")
    officer = _actor(lc_archive, "officer1")
    with pytest.raises(NotPermitted, match="尚未辦理移轉前鑑定"), audited_session(lc_archive) as s:
        transfer.create_list(s, officer, schedule)
    _appraise(lc_archive, "084-0103-0001")
    with audited_session(lc_archive) as s:
        transfer_id = transfer.create_list(s, officer, schedule).id
    with pytest.raises(NotPermitted, match="核准"):
        _export(lc_archive, schedule, tmp_path)
    with pytest.raises(ConfigError, match="格式不符"), audited_session(lc_archive) as s:
        transfer.record_approval(s, officer, transfer_id, "abc", APPROVED_ON)
    with audited_session(lc_archive) as s:
        transfer.record_approval(s, officer, transfer_id, AUTHORITY_REF, APPROVED_ON)
    with pytest.raises(NotPermitted, match="記錄一次"), audited_session(lc_archive) as s:
        transfer.record_approval(s, officer, transfer_id, AUTHORITY_REF, APPROVED_ON)
    assert _export(lc_archive, schedule, tmp_path).files == ["084-0103-0001"]


def test_confirm_marks_transferred(lc_archive: Archive, schedule: Schedule,
                                   tmp_path: Path) -> None:
    (doc_id,) = _flag(lc_archive, schedule, "public")
    _appraise(lc_archive, "084-0103-0001")
    _listed(lc_archive, schedule)
    officer = _actor(lc_archive, "officer1")
    result = _export(lc_archive, schedule, tmp_path)
    with pytest.raises(NotPermitted, match="no file is ready"), audited_session(lc_archive) as s:
        transfer.create_list(s, officer, schedule)
    with audited_session(lc_archive) as s:
        transfer.confirm(s, officer, schedule, result.transfer_id, "檔管局收文 1150000123",
                         date(2026, 3, 1))
    assert status_of(lc_archive, doc_id) == "transferred"


@pytest.mark.parametrize("tamper", ["payload", "manifest", "removed"])
def test_confirm_refuses_a_bag_altered_after_export(lc_archive: Archive, schedule: Schedule,
                                                    tmp_path: Path, tamper: str) -> None:
    (doc_id,) = _flag(lc_archive, schedule, "public")
    _appraise(lc_archive, "084-0103-0001")
    _listed(lc_archive, schedule)
    result = _export(lc_archive, schedule, tmp_path)
    original = next(Path(result.bag).rglob("original.txt"))
    if tamper == "payload":
        original.write_text("altered")
    elif tamper == "manifest":  # a consistent re-bag would still change the tag manifest
        original.write_text("altered")
        bagit.Bag(result.bag).save(manifests=True)
    else:
        shutil.rmtree(result.bag)
    with pytest.raises(IntegrityFailure), audited_session(lc_archive) as s:
        transfer.confirm(s, _actor(lc_archive, "officer1"), schedule, result.transfer_id, "收據 1")
    assert status_of(lc_archive, doc_id) == "flagged_for_transfer"


def test_export_and_confirm_recheck_eligibility(lc_archive: Archive, schedule: Schedule,
                                                tmp_path: Path) -> None:
    """A six-year-old permanent file flagged by an earlier version's future-dated sweep."""
    make_staff(lc_archive)
    officer = _actor(lc_archive, "officer1")
    doc_id = make_doc(lc_archive, title="年輕的永久檔", when=date(2020, 5, 1))
    file_id = file_doc(lc_archive, officer, schedule, doc_id, "0103")
    with audited_session(lc_archive) as s:
        doc = lifecycle.get_document(s, doc_id)
        lifecycle.transition(s, system_actor("old", Perm.sweep), doc, State.flagged_for_transfer,
                             "25 years reached by 2100-01-01")
    _appraise(lc_archive, "109-0103-0001")
    with pytest.raises(NotPermitted, match=r"116.01.01 起始得移轉|2046"), \
            audited_session(lc_archive) as s:
        transfer.create_list(s, officer, schedule)
    with audited_session(lc_archive) as s:  # as if listed and approved before the check
        t = Transfer(status="approved", bag_path="", created_by="old", authority_ref="x")
        s.add(t)
        s.flush()
        s.add(TransferItem(transfer_id=t.id, file_id=file_id))
        transfer_id = t.id
    with pytest.raises(NotPermitted, match="2046-01-01"):
        _export(lc_archive, schedule, tmp_path)
    with audited_session(lc_archive) as s:
        s.get(Transfer, transfer_id).status = "exported"  # type: ignore[union-attr]
    with pytest.raises(NotPermitted, match="2046-01-01"), audited_session(lc_archive) as s:
        transfer.confirm(s, officer, schedule, transfer_id, "收據 1")
    assert status_of(lc_archive, doc_id) == "flagged_for_transfer"


def test_classified_files_wait_for_declassification(lc_archive: Archive, schedule: Schedule,
                                                    tmp_path: Path) -> None:
    public, secret = _flag(lc_archive, schedule, "public", "secret")
    _appraise(lc_archive, "084-0103-0001", "085-0103-0001")
    officer = _actor(lc_archive, "officer1")
    with audited_session(lc_archive) as s:
        first = transfer.create_list(s, officer, schedule)
        assert [f.number for f in transfer.transfer_files(s, first)] == ["084-0103-0001"]
        _ready, blocked = transfer.candidates(s, schedule)
    assert any("極機密 (secret): no declassification recorded" in b["reason"] for b in blocked)
    with audited_session(lc_archive) as s:
        secrecy.declassify(s, officer, "document", secret, "府秘機字第1150000009號", "屆期解密")
        second = transfer.create_list(s, officer, schedule)
        rows = transfer.list_rows(s, schedule, second)
    assert [r["file_number"] for r in rows] == ["085-0103-0001"]
    assert rows[0]["secrecy"] == "極機密（已解密）"
    assert status_of(lc_archive, public) == status_of(lc_archive, secret) == "flagged_for_transfer"


def test_cli_list_approve_export_and_confirm(lc_archive: Archive, schedule: Schedule,
                                             tmp_path: Path) -> None:
    (doc_id,) = _flag(lc_archive, schedule, "public")
    login("clerk")
    assert cli("transfer", "list", "--create").exit_code == 8
    login("officer1")
    assert cli("transfer", "appraise", "084-0103-0001", "--decision", "transfer", "--reason",
               "具永久保存價值").exit_code == 0
    made = cli("transfer", "list", "--create", "--pdf", str(tmp_path / "list.pdf"),
               "--csv", str(tmp_path / "list.csv"))
    assert made.exit_code == 0, made.output
    transfer_id = json.loads(made.stdout)["id"]
    assert (tmp_path / "list.pdf").read_bytes().startswith(b"%PDF")
    assert cli("transfer", "export", "--out", str(tmp_path)).exit_code == 7  # not approved
    assert cli("transfer", "approve", str(transfer_id), "--authority-ref", AUTHORITY_REF,
               "--approved-on", APPROVED_ON.isoformat()).exit_code == 0
    out = cli("transfer", "export", "--out", str(tmp_path), "--json")
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    bagit.Bag(data["bag"]).validate()
    confirmed = cli("transfer", "confirm", str(data["transfer_id"]), "--receipt-ref", "收據 1",
                    "--received-on", "115.03.01")
    assert confirmed.exit_code == 0, confirmed.output
    listed = json.loads(cli("transfer", "list").stdout)["transfers"]
    assert (listed[0]["status"], listed[0]["received_on"]) == ("confirmed", "2026-03-01")
    assert listed[0]["authority_ref"] == AUTHORITY_REF
    assert status_of(lc_archive, doc_id) == "transferred"
