"""Disposal: two-officer approval, holds, eligibility at execution, certificate and tombstone."""

from __future__ import annotations

import csv
import hashlib
import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from pipeline import destruction, disposal, holds, reports
from pipeline.archive import Archive
from pipeline.audit import audited_session
from pipeline.auth import Actor, Perm, system_actor
from pipeline.db.models import (
    AuditEntry,
    BlobRemoval,
    Document,
    Page,
    StoredFile,
    Tombstone,
)
from pipeline.errors import AccessDenied, NotPermitted, StorageError
from pipeline.holds import HoldKind, HoldScope
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
    search_ids,
    status_of,
)

__all__ = ["config_home", "fast_hashing", "lc_archive", "rules_env", "schedule"]
REF = "檔徵字第1150001234號"
SWEEPER = system_actor("test-sweep", Perm.sweep)


def _queue(archive: Archive, schedule: Schedule, code: str = "0101",
           when: date = date(2010, 1, 5), **doc: str) -> tuple[int, int]:
    """File one document of ``code``, sweep far ahead; returns (document id, item id)."""
    staff = make_staff(archive) if not _has_users(archive) else None
    officer = staff.officer1 if staff else _officer(archive)
    doc_id = make_doc(archive, when=when, text="銷毀測試 稽催紀錄", **doc)
    file_doc(archive, officer, schedule, doc_id, code)
    with audited_session(archive) as s:
        report = sweep(s, SWEEPER, schedule, date(2100, 1, 1))
    items = [m.disposal_item for m in report.queued_for_disposal if doc_id in m.documents]
    assert items and items[0] is not None
    return doc_id, items[0]


def _has_users(archive: Archive) -> bool:
    from pipeline.auth import has_users

    with archive.session() as s:
        return has_users(s)


def _officer(archive: Archive, name: str = "officer1") -> Actor:
    from pipeline.auth import get_user, user_actor

    with archive.session() as s:
        return user_actor(get_user(s, name))


def _approve(archive: Archive, actor: Actor, item_id: int, ref: str = REF) -> str:
    with audited_session(archive) as s:
        return disposal.approve(s, actor, item_id, "retention over, no value", ref).status


def _execute(archive: Archive, schedule: Schedule, item_id: int,
             actor: Actor | None = None) -> destruction.Execution:
    return destruction.execute(archive, actor or _officer(archive), schedule, item_id,
                               supervisor="政風室 王監銷")


def test_one_approval_cannot_execute_two_different_officers_can(
        lc_archive: Archive, schedule: Schedule) -> None:
    doc_id, item = _queue(lc_archive, schedule)
    staff_officer2 = _officer(lc_archive, "officer2")
    assert _approve(lc_archive, _officer(lc_archive), item) == "queued"
    with pytest.raises(NotPermitted, match="2 different records officers"):
        _execute(lc_archive, schedule, item)
    assert status_of(lc_archive, doc_id) == "queued_for_disposal"
    assert _approve(lc_archive, staff_officer2, item) == "approved"
    assert status_of(lc_archive, doc_id) == "approved"
    result = _execute(lc_archive, schedule, item)
    assert result.documents == [doc_id]
    assert status_of(lc_archive, doc_id) == "disposed"


def test_same_officer_twice_is_refused(lc_archive: Archive, schedule: Schedule) -> None:
    _doc, item = _queue(lc_archive, schedule)
    officer = _officer(lc_archive)
    _approve(lc_archive, officer, item)
    with pytest.raises(NotPermitted, match="second, different records officer"):
        _approve(lc_archive, officer, item)
    with lc_archive.session() as s:
        assert len(disposal.approvals(s, disposal.get_item(s, item))) == 1


def test_only_logged_in_records_officers_approve_and_refs_must_agree(
        lc_archive: Archive, schedule: Schedule) -> None:
    _doc, item = _queue(lc_archive, schedule)
    for name in ("admin", "clerk", "auditor", "staff"):
        with pytest.raises(AccessDenied):
            _approve(lc_archive, _officer(lc_archive, name), item)
    fake = Actor("system:x", frozenset({Perm.approve}))
    with pytest.raises(AccessDenied, match="logged-in"):
        _approve(lc_archive, fake, item)
    _approve(lc_archive, _officer(lc_archive), item)
    with pytest.raises(NotPermitted, match="same reference"):
        _approve(lc_archive, _officer(lc_archive, "officer2"), item, "another letter")


def test_hold_blocks_approval_and_execution(lc_archive: Archive, schedule: Schedule) -> None:
    doc_id, item = _queue(lc_archive, schedule)
    _approve(lc_archive, _officer(lc_archive), item)
    _approve(lc_archive, _officer(lc_archive, "officer2"), item)
    with audited_session(lc_archive) as s:
        hold = holds.place(s, _officer(lc_archive, "auditor"), HoldKind.audit, HoldScope.class_,
                           "01", "audit of 2010 accounts", "審計案 115-7")
    with pytest.raises(NotPermitted, match=f"hold {hold.id}"):
        _execute(lc_archive, schedule, item)
    assert status_of(lc_archive, doc_id) == "approved"
    assert search_ids(lc_archive, "稽催") == {doc_id}
    with audited_session(lc_archive) as s:
        holds.release(s, _officer(lc_archive, "auditor"), hold.id, "audit closed")
    _execute(lc_archive, schedule, item)
    assert status_of(lc_archive, doc_id) == "disposed"


def test_execution_removes_blobs_index_and_pages_and_leaves_tombstone_and_certificate(
        lc_archive: Archive, schedule: Schedule) -> None:
    doc_id, item = _queue(lc_archive, schedule)
    keep = make_doc(lc_archive, text="保留文件 稽催紀錄")
    with lc_archive.session() as s:
        doc = s.get(Document, doc_id)
        assert doc is not None
        blobs = [(b.store_path, b.sha256) for b in (doc.original, doc.archival) if b]
    assert all(lc_archive.store.path(p).is_file() for p, _ in blobs)
    assert search_ids(lc_archive, "稽催") == {doc_id, keep}
    _approve(lc_archive, _officer(lc_archive), item)
    _approve(lc_archive, _officer(lc_archive, "officer2"), item)
    result = _execute(lc_archive, schedule, item)

    assert not any(lc_archive.store.path(p).exists() for p, _ in blobs)
    assert search_ids(lc_archive, "稽催") == {keep}
    assert sorted(result.removed) == sorted(sha for _, sha in blobs)
    with lc_archive.session() as s:
        assert s.scalars(select(Page).where(Page.document_id == doc_id)).all() == []
        assert all(f.destroyed_at is not None for f in s.scalars(select(StoredFile).where(
            StoredFile.store_path.in_([p for p, _ in blobs]))))
        tomb = s.scalar(select(Tombstone).where(Tombstone.document_id == doc_id))
        assert tomb is not None and tomb.file_number.startswith("099-0101-0001-001-")
        assert {b["sha256"] for b in tomb.blobs} == {sha for _, sha in blobs}
        assert all(b["fixity"] == "verified" for b in tomb.blobs)
        assert tomb.meta["title"] == "測試公文"
        cert = destruction.certificate(lc_archive, s, item)
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "disposal.execute"))
    assert cert["intact"]
    body = cert["body"]
    assert body["authority_ref"] == REF and body["supervisor"] == "政風室 王監銷"
    assert [a["officer"] for a in body["approvals"]] == ["officer1", "officer2"]
    assert {b["sha256"] for d in body["documents"] for b in d["blobs"]} == \
        {sha for _, sha in blobs}
    raw = lc_archive.store.path(cert["json_path"]).read_bytes()
    assert hashlib.sha256(raw).hexdigest() == cert["json_sha256"] == entry.details["json_sha256"]
    html = lc_archive.store.path(cert["html_path"]).read_text(encoding="utf-8")
    assert REF in html and blobs[0][1] in html


def test_execution_uses_todays_date_not_the_sweep_date(lc_archive: Archive,
                                                       schedule: Schedule) -> None:
    doc_id, item = _queue(lc_archive, schedule, when=date(2025, 6, 1))  # due 2028-06-02
    _approve(lc_archive, _officer(lc_archive), item)
    _approve(lc_archive, _officer(lc_archive, "officer2"), item)
    with pytest.raises(NotPermitted, match="retention runs until 2028-06-02"):
        _execute(lc_archive, schedule, item)
    assert status_of(lc_archive, doc_id) == "approved"


def test_confidential_needs_declassification(lc_archive: Archive, schedule: Schedule) -> None:
    doc_id, item = _queue(lc_archive, schedule, code="0106")
    _approve(lc_archive, _officer(lc_archive), item)
    _approve(lc_archive, _officer(lc_archive, "officer2"), item)
    with pytest.raises(NotPermitted, match="declassification"):
        _execute(lc_archive, schedule, item)
    with audited_session(lc_archive) as s:
        disposal.declassify(s, _officer(lc_archive), "document", doc_id, "府秘機字第1150000001號",
                            "保密期限屆滿")
    _execute(lc_archive, schedule, item)
    assert status_of(lc_archive, doc_id) == "disposed"


def test_accounting_records_need_audit_consent(lc_archive: Archive, schedule: Schedule) -> None:
    doc_id, item = _queue(lc_archive, schedule, code="0105")
    _approve(lc_archive, _officer(lc_archive), item)
    _approve(lc_archive, _officer(lc_archive, "officer2"), item)
    with pytest.raises(NotPermitted, match="audit-authority consent"):
        _execute(lc_archive, schedule, item)
    with audited_session(lc_archive) as s:
        file_id = disposal.get_item(s, item).file_id
        disposal.record_audit_consent(s, _officer(lc_archive), file_id, "審計處函 115-3")
    _execute(lc_archive, schedule, item)
    assert status_of(lc_archive, doc_id) == "disposed"


def test_extension_request_blocks_approval_and_when_granted_withdraws(
        lc_archive: Archive, schedule: Schedule) -> None:
    doc_id, item = _queue(lc_archive, schedule)
    with audited_session(lc_archive) as s:
        staff = _officer(lc_archive, "staff")  # division 總務科 owns the file
        disposal.comment(s, staff, item, "本案仍有參考價值")
        req = disposal.request_extension(s, staff, item, 5, "涉及電梯保固爭議")
        req_id = req.id
    with pytest.raises(NotPermitted, match="pending"):
        _approve(lc_archive, _officer(lc_archive), item)
    with pytest.raises(AccessDenied), audited_session(lc_archive) as s:
        disposal.decide_extension(s, staff, schedule, req_id, True, "ok")
    with audited_session(lc_archive) as s:
        disposal.decide_extension(s, _officer(lc_archive), schedule, req_id, True, "理由充分")
        assert disposal.get_item(s, item).status == "withdrawn"
        file = disposal.get_item(s, item).file
        assert file.due_date == date(2018, 1, 6)  # 2013-01-06 + 5
        row = reports.list_row(s, schedule, disposal.get_item(s, item), 1)
    assert status_of(lc_archive, doc_id) == "archived"
    assert "延長5年（涉及電梯保固爭議" in row["retention_changes"]
    assert "本案仍有參考價值" in row["division_opinion"]


def test_staff_of_another_division_cannot_comment(lc_archive: Archive,
                                                  schedule: Schedule) -> None:
    _doc, item = _queue(lc_archive, schedule, division="採購管理科")
    with pytest.raises(AccessDenied, match="採購管理科"), audited_session(lc_archive) as s:
        disposal.comment(s, _officer(lc_archive, "staff"), item, "意見")


def test_failed_blob_removal_keeps_the_disposal_and_a_rerun_finishes(
        lc_archive: Archive, schedule: Schedule, monkeypatch: pytest.MonkeyPatch) -> None:
    doc_id, item = _queue(lc_archive, schedule)
    _approve(lc_archive, _officer(lc_archive), item)
    _approve(lc_archive, _officer(lc_archive, "officer2"), item)
    real_remove = lc_archive.store.remove

    def broken(relpath: str) -> None:
        if relpath.startswith("original/"):
            raise PermissionError("read-only mount")
        real_remove(relpath)

    monkeypatch.setattr(lc_archive.store, "remove", broken)
    with pytest.raises(StorageError, match="could not be removed yet"):
        _execute(lc_archive, schedule, item)
    assert status_of(lc_archive, doc_id) == "disposed"
    with lc_archive.session() as s:
        pending = s.scalars(select(BlobRemoval).where(BlobRemoval.removed_at.is_(None))).all()
        assert [p.relpath.split("/")[0] for p in pending] == ["original"]
        original = s.get(StoredFile, pending[0].stored_file_id)
        assert original is not None and original.destroyed_at is None  # still on disk
    monkeypatch.setattr(lc_archive.store, "remove", real_remove)
    _execute(lc_archive, schedule, item)
    assert not lc_archive.store.path(pending[0].relpath).exists()
    with pytest.raises(NotPermitted, match="executed already"):
        _execute(lc_archive, schedule, item)


def test_destruction_list_csv_and_html(lc_archive: Archive, schedule: Schedule,
                                       tmp_path: Path) -> None:
    _queue(lc_archive, schedule)
    with lc_archive.session() as s:
        rows = reports.destruction_list(s, schedule, disposal.open_items(s))
    path = reports.write_csv(rows, tmp_path / "list.csv")
    with path.open(encoding="utf-8-sig") as fh:
        table = list(csv.DictReader(fh))
    assert len(table) == 1
    line = table[0]
    assert line["年度號 year"] == "99" and line["分類號 class"] == "0101"
    assert line["案次號 case"] == "1" and line["卷數 volumes"] == "1"
    assert line["建檔單位 creating unit"] == "總務科"
    assert line["檔案起迄日期 date range"] == "099.01.05–099.01.05"
    assert line["保存年限 retention"] == "3年" and line["摘要 summary"] == "測試公文"
    page = reports.render_list_html(rows, schedule.agency.zh_tw, date(2026, 11, 25))
    assert "檔案銷毀目錄" in page and "099-0101-0001" in page and "@page" in page


def test_cli_disposal_round(lc_archive: Archive, schedule: Schedule, tmp_path: Path) -> None:
    doc_id, item = _queue(lc_archive, schedule)
    login("officer1")
    queue = json.loads(cli("disposal", "queue", "--json").stdout)
    assert [i["id"] for i in queue["items"]] == [item]
    assert "needs approval by 2 different records officers (has 0)" in queue["items"][0]["blockers"]
    approve = ["disposal", "approve", str(item), "--reason", "屆期", "--authority-ref", REF]
    assert cli(*approve).exit_code == 0
    assert cli(*approve).exit_code == 7  # the same officer again
    refused = cli("disposal", "execute", str(item), "--json")
    assert refused.exit_code == 7
    assert json.loads(refused.stdout)["refused"][0]["id"] == item
    login("officer2")
    assert cli(*approve).exit_code == 0
    assert cli("disposal", "list", "--csv", str(tmp_path / "l.csv"),
               "--html", str(tmp_path / "l.html")).exit_code == 0
    assert REF in (tmp_path / "l.html").read_text(encoding="utf-8")
    done = cli("disposal", "execute", str(item), "--json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["executed"][0]["documents"] == [doc_id]
    cert = cli("disposal", "certificate", str(item), "--out", str(tmp_path / "cert"))
    assert cert.exit_code == 0 and json.loads(cert.stdout)["intact"]
    assert len(list((tmp_path / "cert").iterdir())) == 2
    tombs = json.loads(cli("disposal", "tombstones").stdout)["tombstones"]
    assert [t["document_id"] for t in tombs] == [doc_id]


def test_confidential_titles_are_hidden_from_lower_clearance(lc_archive: Archive,
                                                            schedule: Schedule) -> None:
    _doc, item = _queue(lc_archive, schedule, code="0106", title="機密人事案")
    with lc_archive.session() as s:
        staff_view = disposal.queue(s, _officer(lc_archive, "staff"), schedule, date.today())
        officer_view = disposal.queue(s, _officer(lc_archive), schedule, date.today())
        rows = reports.destruction_list(s, schedule, disposal.open_items(s), "internal")
    assert staff_view[0]["title"] == disposal.REDACTED and staff_view[0]["summary"] is None
    assert officer_view[0]["summary"] == "機密人事案"
    assert rows[0]["title"] == disposal.REDACTED and rows[0]["summary"] == ""
    assert [i["id"] for i in staff_view] == [item]


def test_withdrawn_item_returns_to_archived(lc_archive: Archive, schedule: Schedule) -> None:
    doc_id, item = _queue(lc_archive, schedule)
    login("officer1")
    assert cli("disposal", "withdraw", str(item), "--reason", "檔管局未同意").exit_code == 0
    assert status_of(lc_archive, doc_id) == "archived"
    assert cli("disposal", "approve", str(item), "--reason", "x", "--authority-ref",
               REF).exit_code == 7
