"""Disposal: two-officer approval, holds, eligibility at execution, certificate and tombstone."""

from __future__ import annotations

import csv
import hashlib
import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from pipeline import destruction, disposal, disposal_lists, holds, reports, secrecy
from pipeline.archive import Archive
from pipeline.audit import audited_session
from pipeline.auth import Actor, Perm, system_actor
from pipeline.db.models import (
    AuditEntry,
    BlobRemoval,
    DisposalApproval,
    DisposalList,
    Document,
    Page,
    RecordFile,
    StoredFile,
    Tombstone,
)
from pipeline.errors import AccessDenied, ConfigError, NotPermitted, StorageError
from pipeline.holds import HoldKind, HoldScope
from pipeline.retention.schedule import Schedule
from pipeline.sweep import sweep
from tests.lifecycle_support import (
    AUTHORITY_REF,
    cli,
    config_home,
    fast_hashing,
    file_doc,
    lc_archive,
    list_and_approve,
    login,
    make_doc,
    make_staff,
    rules_env,
    schedule,
    search_ids,
    status_of,
)

__all__ = ["config_home", "fast_hashing", "lc_archive", "rules_env", "schedule"]
REF = AUTHORITY_REF
SWEEPER = system_actor("test-sweep", Perm.sweep)
SUPERVISORS = ["政風室 王監銷", "主計室:李會同"]


def _queue(archive: Archive, schedule: Schedule, code: str = "0101",
           when: date = date(2010, 1, 5), listed: bool = True, **doc: str) -> tuple[int, int]:
    """File one document of ``code``, sweep today, put it on an approved destruction list
    (unless ``listed`` is False); returns (document id, item id)."""
    staff = make_staff(archive) if not _has_users(archive) else None
    officer = staff.officer1 if staff else _officer(archive)
    doc_id = make_doc(archive, when=when, text="銷毀測試 稽催紀錄", **doc)
    file_doc(archive, officer, schedule, doc_id, code)
    with audited_session(archive) as s:
        report = sweep(s, SWEEPER, schedule)
    items = [m.disposal_item for m in report.queued_for_disposal if doc_id in m.documents]
    assert items and items[0] is not None
    if listed:
        list_and_approve(archive, officer, schedule, [items[0]])
    return doc_id, items[0]


def _has_users(archive: Archive) -> bool:
    from pipeline.auth import has_users

    with archive.session() as s:
        return has_users(s)


def _officer(archive: Archive, name: str = "officer1") -> Actor:
    from pipeline.auth import get_user, user_actor

    with archive.session() as s:
        return user_actor(get_user(s, name))


def _approve(archive: Archive, actor: Actor, item_id: int, ref: str | None = None) -> str:
    from pipeline.retention.schedule import load_rules_dir
    from tests.lifecycle_support import RULES

    with audited_session(archive) as s:
        return disposal.approve(s, actor, load_rules_dir(RULES), item_id,
                                "retention over, no value", ref).status


def _execute(archive: Archive, schedule: Schedule, item_id: int,
             actor: Actor | None = None) -> destruction.Execution:
    return destruction.execute(archive, actor or _officer(archive), schedule, item_id,
                               SUPERVISORS)


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
    with pytest.raises(NotPermitted, match=r"與所填 .another letter. 不符"):
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
    assert body["authority_ref"] == REF
    assert body["file"]["title"] == "測試公文"  # 案名: the subject, not the class title
    assert body["disposal_list"] == f"{date.today().year - 1911}-001"
    assert body["supervisors"] == [{"unit": "政風室", "name": "王監銷"},
                                   {"unit": "主計室", "name": "李會同"}]
    assert [a["officer"] for a in body["approvals"]] == ["officer1", "officer2"]
    assert {b["sha256"] for d in body["documents"] for b in d["blobs"]} == \
        {sha for _, sha in blobs}
    raw = lc_archive.store.path(cert["json_path"]).read_bytes()
    assert hashlib.sha256(raw).hexdigest() == cert["json_sha256"] == entry.details["json_sha256"]
    html = lc_archive.store.path(cert["html_path"]).read_text(encoding="utf-8")
    assert REF in html and blobs[0][1] in html and "王監銷" in html and "主計室" in html


def _legacy_young_item(archive: Archive, schedule: Schedule) -> tuple[int, int]:
    """A file due only in 2028 that an earlier version queued from a future-dated sweep,
    even put on an approved list: the data the checks must still refuse."""
    staff = make_staff(archive)
    doc_id = make_doc(archive, when=date(2025, 6, 1))  # due 2028-06-02
    file_id = file_doc(archive, staff.officer1, schedule, doc_id, "0101")
    with audited_session(archive) as s:
        file = s.get(RecordFile, file_id)
        assert file is not None
        docs = [d for d in [s.get(Document, doc_id)] if d is not None]
        item = disposal.enqueue(s, SWEEPER, file, docs, "schedule", date(2028, 6, 2))
        dl = DisposalList(year=115, seq=9, status="approved", created_by="legacy",
                          authority_ref=REF, approved_on=date.today())
        s.add(dl)
        s.flush()
        item.list_id, item.position = dl.id, 1
        return doc_id, item.id


def test_approving_or_listing_an_item_not_yet_due_fails_in_words(
        lc_archive: Archive, schedule: Schedule) -> None:
    doc_id, item = _legacy_young_item(lc_archive, schedule)
    with pytest.raises(NotPermitted, match=r"保存年限至 117.06.01 止，尚未屆滿"):
        _approve(lc_archive, _officer(lc_archive), item)
    with lc_archive.session() as s:
        assert disposal.approvals(s, disposal.get_item(s, item)) == []
    with pytest.raises(NotPermitted, match="沒有今天已屆保存年限"), \
            audited_session(lc_archive) as s:
        disposal_lists.create(s, _officer(lc_archive), schedule)
    assert status_of(lc_archive, doc_id) == "queued_for_disposal"


def test_execution_uses_todays_date(lc_archive: Archive, schedule: Schedule,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    doc_id, item = _legacy_young_item(lc_archive, schedule)
    with audited_session(lc_archive) as s:  # as if approved by an earlier version
        disposal.get_item(s, item).status = "approved"
        for name in ("officer1", "officer2"):
            officer = _officer(lc_archive, name)
            s.add(DisposalApproval(item_id=item, user_id=officer.user_id, officer=name,
                                   reason="x", authority_ref=REF))
    with pytest.raises(NotPermitted, match="retention runs until 2028-06-02"):
        _execute(lc_archive, schedule, item)
    assert status_of(lc_archive, doc_id) == "queued_for_disposal"


def test_classified_files_stay_off_the_list_until_declassified(
        lc_archive: Archive, schedule: Schedule) -> None:
    doc_id, item = _queue(lc_archive, schedule, code="0106", listed=False)
    officer = _officer(lc_archive)
    with pytest.raises(NotPermitted, match=r"機密 .confidential.: no declassification"):
        list_and_approve(lc_archive, officer, schedule, [item])
    with audited_session(lc_archive) as s:
        secrecy.declassify(s, officer, "document", doc_id, "府秘機字第1150000001號", "保密期限屆滿")
    list_and_approve(lc_archive, officer, schedule, [item])
    _approve(lc_archive, officer, item)
    _approve(lc_archive, _officer(lc_archive, "officer2"), item)
    _execute(lc_archive, schedule, item)
    assert status_of(lc_archive, doc_id) == "disposed"


def test_every_classified_level_blocks_execution(lc_archive: Archive,
                                                 schedule: Schedule) -> None:
    doc_id, item = _queue(lc_archive, schedule)
    _approve(lc_archive, _officer(lc_archive), item)
    _approve(lc_archive, _officer(lc_archive, "officer2"), item)
    for level in ("密", "機密", "極機密", "絕對機密"):
        with audited_session(lc_archive) as s:
            secrecy.mark(s, _officer(lc_archive), doc_id, level, condition="本案結案後解密")
        with pytest.raises(NotPermitted, match=f"is {level} "):
            _execute(lc_archive, schedule, item)
    assert status_of(lc_archive, doc_id) == "approved"


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
    assert "本案仍有參考價值" in row["remarks"] and "已撤回" in row["remarks"]


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


def test_destruction_list_has_the_fields_of_article_8(lc_archive: Archive, schedule: Schedule,
                                                     tmp_path: Path) -> None:
    _doc, item = _queue(lc_archive, schedule, listed=False, title="公文稽催")
    with lc_archive.session() as s:
        s.get(Document, _doc).pages[0].text = (  # type: ignore[union-attr]
            "檔號：099/0101/1\n保存年限：3年\n主旨：公文稽催\n說明：本處各單位逾期公文計12件，請限期辦結。")
        s.commit()
    number = list_and_approve(lc_archive, _officer(lc_archive), schedule, [item])
    with lc_archive.session() as s:
        dl = disposal_lists.get_list(s, number)
        rows = reports.destruction_list(s, schedule, disposal_lists.items_of(s, dl))
        sheet = reports.list_sheet(rows, schedule.agency.zh_tw, dl.number, date.today(),
                                   dl.authority_ref, dl.approved_on)
    reports.export_list(sheet, tmp_path / "list.pdf", tmp_path / "list.csv")
    with (tmp_path / "list.csv").open(encoding="utf-8-sig") as fh:
        (line,) = list(csv.DictReader(fh))
    assert line["機關名稱"] == schedule.agency.zh_tw and line["頁次"] == "1"
    assert (line["項次"], line["年度號"], line["分類號"], line["案次號"], line["卷次號"]) == \
        ("1", "99", "0101", "1", "001")
    assert line["案名"] == "公文稽催" and line["檔案產生者"] == "總務科"
    assert line["檔案起迄日期"] == "099.01.05–099.01.05"
    assert (line["卷數"], line["件數"], line["保存年限"]) == ("1", "1", "3年")
    assert line["案情摘要"] == "本處各單位逾期公文計12件，請限期辦結。"  # no 檔號/保存年限 lines
    assert line["核准文號"] == REF and line["銷毀目錄編號"] == number
    pdf = (tmp_path / "list.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and b"FontFile" in pdf  # the CJK font is embedded


def test_authority_reference_is_checked_and_recorded_once(lc_archive: Archive,
                                                          schedule: Schedule) -> None:
    _doc, item = _queue(lc_archive, schedule, listed=False)
    officer = _officer(lc_archive)
    with audited_session(lc_archive) as s:
        number = disposal_lists.create(s, officer, schedule).disposal_list.number
    for bad in ("abc", "檔綜字第123號", "檔綜字第1990012345號"):
        with pytest.raises(ConfigError, match="核准文號"), audited_session(lc_archive) as s:
            disposal_lists.record_approval(s, officer, number, bad, date.today())
    with pytest.raises(ConfigError, match="今天之後"), audited_session(lc_archive) as s:
        disposal_lists.record_approval(s, officer, number, REF, date.today() + timedelta(1))
    with pytest.raises(NotPermitted, match="尚未記錄檔案管理局核准文號"):
        _approve(lc_archive, officer, item)
    with audited_session(lc_archive) as s:
        disposal_lists.record_approval(s, officer, number, REF, date.today())
    with pytest.raises(NotPermitted, match="不得重複記錄"), audited_session(lc_archive) as s:
        disposal_lists.record_approval(s, officer, number, REF, date.today())


def test_execution_needs_supervisors_with_units(lc_archive: Archive,
                                                schedule: Schedule) -> None:
    doc_id, item = _queue(lc_archive, schedule)
    _approve(lc_archive, _officer(lc_archive), item)
    _approve(lc_archive, _officer(lc_archive, "officer2"), item)
    for none in (None, [], [" "]):
        with pytest.raises(NotPermitted, match="監銷人員"):
            destruction.execute(lc_archive, _officer(lc_archive), schedule, item, none)
    with pytest.raises(ConfigError, match="單位 姓名"):
        destruction.execute(lc_archive, _officer(lc_archive), schedule, item, ["王監銷"])
    assert status_of(lc_archive, doc_id) == "approved"


def test_items_not_on_an_approved_list_cannot_be_executed(lc_archive: Archive,
                                                          schedule: Schedule) -> None:
    doc_id, item = _queue(lc_archive, schedule, listed=False)
    with audited_session(lc_archive) as s:  # as if two officers approved it before lists existed
        disposal.get_item(s, item).status = "approved"
        for name in ("officer1", "officer2"):
            officer = _officer(lc_archive, name)
            s.add(DisposalApproval(item_id=item, user_id=officer.user_id, officer=name,
                                   reason="x", authority_ref="abc"))
    with pytest.raises(NotPermitted, match="not on a destruction list"):
        _execute(lc_archive, schedule, item)
    assert status_of(lc_archive, doc_id) == "queued_for_disposal"


def test_cli_disposal_round(lc_archive: Archive, schedule: Schedule, tmp_path: Path) -> None:
    doc_id, item = _queue(lc_archive, schedule, listed=False)
    login("officer1")
    queue = json.loads(cli("disposal", "queue", "--json").stdout)
    assert [i["id"] for i in queue["items"]] == [item]
    assert "not on a destruction list (records disposal list create)" in \
        queue["items"][0]["blockers"]
    approve = ["disposal", "approve", str(item), "--reason", "屆期"]
    assert cli(*approve).exit_code == 7  # not on an approved list
    made = cli("disposal", "list", "create", "--json")
    assert made.exit_code == 0, made.output
    number = json.loads(made.stdout)["list"]
    assert cli("disposal", "list", "approve", number, "--authority-ref", "abc",
               "--approved-on", date.today().isoformat()).exit_code == 5
    assert cli("disposal", "list", "approve", number, "--authority-ref", REF,
               "--approved-on", date.today().isoformat()).exit_code == 0
    assert cli(*approve).exit_code == 0
    assert cli(*approve).exit_code == 7  # the same officer again
    refused = cli("disposal", "execute", str(item), "--supervisor", "政風室 王監銷", "--json")
    assert refused.exit_code == 7
    assert json.loads(refused.stdout)["refused"][0]["id"] == item
    login("officer2")
    assert cli(*approve).exit_code == 0
    assert cli("disposal", "list", "export", number, "--csv", str(tmp_path / "l.csv"),
               "--pdf", str(tmp_path / "l.pdf")).exit_code == 0
    assert REF in (tmp_path / "l.csv").read_text(encoding="utf-8-sig")
    assert cli("disposal", "execute", str(item)).exit_code == 7  # no supervisor
    done = cli("disposal", "execute", str(item), "--supervisor", "政風室 王監銷", "--json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["executed"][0]["documents"] == [doc_id]
    cert = cli("disposal", "certificate", str(item), "--out", str(tmp_path / "cert"))
    assert cert.exit_code == 0 and json.loads(cert.stdout)["intact"]
    assert json.loads(cert.stdout)["body"]["supervisors"] == [{"unit": "政風室",
                                                               "name": "王監銷"}]
    assert len(list((tmp_path / "cert").iterdir())) == 2
    tombs = json.loads(cli("disposal", "tombstones").stdout)["tombstones"]
    assert [t["document_id"] for t in tombs] == [doc_id]


def test_confidential_titles_are_hidden_from_lower_clearance(lc_archive: Archive,
                                                            schedule: Schedule) -> None:
    _doc, item = _queue(lc_archive, schedule, code="0106", title="機密人事案", listed=False)
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
    assert cli("disposal", "approve", str(item), "--reason", "x").exit_code == 7


def test_case_summary_skips_a_garbled_letterhead_when_the_ocr_lost_the_label() -> None:
    ocr = ("臺南市政府函\nFRRA:BEF:普通件:\n為提升公文處理效率,請各機關確實依「臺南市政府公文處理"
           "時效管制要點」辦理公JN文稽催,請查照。\n、經統計本府105年1月至8月逾期公文")
    subject = "為提升公文處理效率，請各機關確實依「臺南市政府公文處理時效管制要點」辦理公文稽催"
    assert reports._content(ocr, subject) == "經統計本府105年1月至8月逾期公文"
    short = reports._content("臺南市政府函\n主旨：公文稽催，請查照。", "公文稽催")
    assert short == "公文稽催，請查照。"
