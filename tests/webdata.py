"""Users and records states for the web tests, made through the core functions the CLI calls.

On an ingested sample archive: an admin, two records officers (full clearance), a staff
member (internal clearance) and an auditor; the staff evaluation (scan-0007, marked 密)
classified into a confidential class and filed; the fire-drill record of 2018 (scan-0015,
no printed 保存年限 or 檔號) classified into the 5-year repairs class of schedule v2, filed
and swept onto the destruction list (its five years are over), so the disposal queue holds
one item awaiting two approvals. (The building-repair letter of 2021, scan-0009, prints
保存年限 15 years: no class may shorten that, so it cannot serve as a file due today.)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline import auth, disposal_lists, filing, sweep
from pipeline.archive import Archive
from pipeline.audit import audited_session
from pipeline.auth import Actor, Role
from pipeline.db.models import Document, FileAssignment
from pipeline.retention.schedule import Schedule
from web.app import create_app

PASSWORD = "correct horse 12"
USERS: dict[str, tuple[Role, str, str | None]] = {
    "officer1": (Role.records_officer, "confidential", "檔案科"),
    "officer2": (Role.records_officer, "confidential", "檔案科"),
    "staff": (Role.staff, "internal", "總務科"),
    "auditor": (Role.auditor, "confidential", None),
    "clerk": (Role.clerk, "internal", "檔案科"),
}
CONFIDENTIAL_FILE = "scan-0007.png"
CONFIDENTIAL_CLASS = "030502"
#: printed on the form itself ("本表列為密件"), and OCR reads it reliably
CONFIDENTIAL_PHRASE = "列為密件"
DISPOSAL_FILE = "scan-0015.png"
DISPOSAL_CLASS = "03030101"
#: a phrase of the records-destruction letter (scan-0001.pdf) that sits on its third page
PAGE_PHRASE = "聯絡窗口"
PAGE_FILE = "scan-0001.pdf"
PAGE_NUMBER = 3


@dataclass(frozen=True)
class WebData:
    confidential_id: int
    disposal_doc_id: int
    paged_id: int
    disposal_item_id: int


def _doc_id(archive: Archive, name: str) -> int:
    with archive.session() as session:
        return int(session.scalar(select(Document.id).where(Document.original_name.endswith(name))))


def add_users(archive: Archive) -> None:
    with audited_session(archive) as session:
        admin = auth.add_user(session, None, "admin", Role.admin, PASSWORD, "confidential")
        actor = auth.user_actor(admin)
        for name, (role, clearance, division) in USERS.items():
            auth.add_user(session, actor, name, role, PASSWORD, clearance, division)


def _classify_and_file(session: Session, officer: Actor, schedule: Schedule, doc_id: int,
                       code: str) -> None:
    """Whatever the ingest's own classifier did: the class given here, and filed once."""
    doc = session.get(Document, doc_id)
    assert doc is not None
    if doc.status in ("captured", "needs_review", "classified"):
        filing.classify(session, officer, schedule, doc_id, code, reason="test set-up")
    placed = session.scalar(select(FileAssignment.id).where(FileAssignment.document_id == doc_id))
    if placed is None:
        filing.file_document(session, officer, schedule, doc_id)


def prepare(archive: Archive, today: date | None = None, listed: bool = True) -> WebData:
    """Users, one confidential filed document and one queued disposal item (on a list the
    archives authority approved, unless ``listed`` is false)."""
    add_users(archive)
    schedule = filing.schedule_for(archive.settings)
    secret, old = _doc_id(archive, CONFIDENTIAL_FILE), _doc_id(archive, DISPOSAL_FILE)
    with audited_session(archive) as session:
        officer = auth.user_actor(auth.get_user(session, "officer1"))
        _classify_and_file(session, officer, schedule, secret, CONFIDENTIAL_CLASS)
        _classify_and_file(session, officer, schedule, old, DISPOSAL_CLASS)
        report = sweep.sweep(session, officer, schedule, today or date.today())
    moved = [m for m in report.queued_for_disposal if old in m.documents]
    assert moved and moved[0].disposal_item is not None, report.to_dict()
    if listed:
        _approved_list(archive, moved[0].disposal_item)
    return WebData(secret, old, _doc_id(archive, PAGE_FILE), moved[0].disposal_item)


#: the archives authority's letter the web tests' destruction list is approved under
AUTHORITY_REF = "檔徵字第1150000001號"


def _approved_list(archive: Archive, item_id: int) -> None:
    """The item on a destruction list whose approval by the archives authority is recorded."""
    with audited_session(archive) as session:
        officer = auth.user_actor(auth.get_user(session, "officer1"))
        schedule = filing.schedule_for(archive.settings)
        number = disposal_lists.create(session, officer, schedule, [item_id]).disposal_list.number
        disposal_lists.record_approval(session, officer, number, AUTHORITY_REF, date.today())


# ── fixtures shared by the web tests (imported by test_web_api and test_web_browser) ──


@pytest.fixture
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 with tiny costs: the real parameters take ~0.5 s per hash by design."""
    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024,
                                                        parallelism=1))


@pytest.fixture
def web_archive(sample_archive: Archive, fast_hashing: None, tmp_path: Path,
                monkeypatch: pytest.MonkeyPatch) -> tuple[Archive, WebData]:
    """The sample archive with users, a confidential document and a queued disposal."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("RECORDS_TOKEN", raising=False)
    return sample_archive, prepare(sample_archive)


@pytest.fixture
def web_app(web_archive: tuple[Archive, WebData]) -> Iterator[FastAPI]:
    app = create_app(web_archive[0].settings, secret="test-secret")
    yield app
    app.state.archive.close()


#: a permanent class of schedule v2 whose files go to the national archives
TRANSFER_CLASS = "010502"


def add_transfer_file(archive: Archive) -> str:
    """A sister-city agreement of 1995 (permanent, national archive), filed and swept: its
    file is flagged for transfer and eligible (25 years after its latest document)."""
    from tests.lifecycle_support import make_doc

    doc_id = make_doc(archive, title="臺南市與姊妹市締約協定書", text="締結姊妹市協定 全文",
                      when=date(1995, 5, 1), division="秘書科")
    schedule = filing.schedule_for(archive.settings)
    with audited_session(archive) as session:
        officer = auth.user_actor(auth.get_user(session, "officer1"))
        _classify_and_file(session, officer, schedule, doc_id, TRANSFER_CLASS)
        report = sweep.sweep(session, officer, schedule, date.today())
    flagged = [m for m in report.flagged_for_transfer if doc_id in m.documents]
    assert flagged, report.to_dict()
    return flagged[0].file_number
