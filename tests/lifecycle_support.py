"""Shared helpers of the lifecycle tests: small synthetic documents, users, the test schedule.

Documents are made through the same model code ingest uses (blobs in the content store,
``record_blob``, a Document with its Page, ``stage_document`` for the index), without OCR.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from typer.testing import CliRunner, Result

from cli import app
from pipeline import auth, filing
from pipeline.archive import Archive
from pipeline.audit import audited_session
from pipeline.auth import Actor, Role, add_user, user_actor
from pipeline.db.models import Document, Page
from pipeline.ingest import record_blob
from pipeline.retention.schedule import Schedule, load_rules_dir
from pipeline.search import SearchQuery
from pipeline.settings import Settings

RULES = Path(__file__).resolve().parent / "data" / "lifecycle_rules"
PASSWORD = "correct horse battery"
runner = CliRunner()


@pytest.fixture(scope="session")
def schedule() -> Schedule:
    return load_rules_dir(RULES)


@pytest.fixture
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private config folder (where ``records login`` keeps its token)."""
    path = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(path))
    monkeypatch.delenv("RECORDS_TOKEN", raising=False)
    return path


@pytest.fixture
def rules_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """CLI commands read the test schedule."""
    monkeypatch.setenv("RECORDS_RULES_DIR", str(RULES))


@pytest.fixture
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 with tiny costs: the real parameters take ~0.5 s per hash by design."""
    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024,
                                                        parallelism=1))


@pytest.fixture
def lc_archive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, config_home: Path,
               rules_env: None, fast_hashing: None) -> Iterator[Archive]:
    """An empty archive whose settings (and the CLI's) use the test schedule."""
    home = tmp_path / "home"
    monkeypatch.setenv("RECORDS_HOME", str(home))
    monkeypatch.delenv("RECORDS_DATABASE_URL", raising=False)
    monkeypatch.delenv("RECORDS_SEARCH_URL", raising=False)
    arch = Archive.open(Settings(home=home, rules_dir=RULES, workers=2))
    yield arch
    arch.close()


def _blob(archive: Archive, content: bytes, kind: str, name: str) -> Any:
    src = archive.settings.work_dir / name
    src.parent.mkdir(parents=True, exist_ok=True)
    src.write_bytes(content)
    try:
        return archive.store.put(src, kind)
    finally:
        src.unlink()


def make_doc(archive: Archive, title: str = "測試公文", text: str = "測試公文內容 稽催紀錄",
             when: date = date(2010, 3, 5), division: str | None = "總務科",
             confidentiality: str = "internal") -> int:
    """A one-page document with an original and an archival blob, indexed for search."""
    tag = uuid.uuid4().hex
    original = _blob(archive, f"{title}\n{text}\n{tag}".encode(), "original", f"{tag}.txt")
    archival = _blob(archive, f"%PDF-1.4 archival {tag}".encode(), "archival", f"{tag}.pdf")
    with archive.session() as s:
        o = record_blob(s, original.sha256, "original", original.size, "text/plain",
                        original.relpath)
        a = record_blob(s, archival.sha256, "archival", archival.size, "application/pdf",
                        archival.relpath)
        doc = Document(sha256=original.sha256, original_file_id=o.id, archival_file_id=a.id,
                       original_name=f"{tag}.txt", media_type="text/plain", page_count=1,
                       lang="chi_tra", title=title, division=division, document_date=when,
                       confidentiality=confidentiality, fields={"subject": title})
        doc.pages = [Page(number=1, text=text, source="text_layer", width=10, height=10,
                          dpi=300, words=[])]
        s.add(doc)
        s.flush()
        archive.search.stage_document(s, doc.id)
        return doc.id


@dataclass
class Staff:
    admin: Actor
    officer1: Actor
    officer2: Actor
    clerk: Actor
    auditor: Actor
    staff: Actor


def make_staff(archive: Archive) -> Staff:
    """An admin, two records officers, a clerk, an auditor and a division staff member."""
    with audited_session(archive) as s:
        admin = user_actor(add_user(s, None, "admin", Role.admin, PASSWORD))
        made = {name: user_actor(add_user(s, admin, name, role, PASSWORD, clearance, division))
                for name, role, clearance, division in (
                    ("officer1", Role.records_officer, "confidential", "檔案科"),
                    ("officer2", Role.records_officer, "confidential", "檔案科"),
                    ("clerk", Role.clerk, "internal", "檔案科"),
                    ("auditor", Role.auditor, "confidential", "政風"),
                    ("staff", Role.staff, "internal", "總務科"))}
    return Staff(admin, **made)


def file_doc(archive: Archive, actor: Actor, schedule: Schedule, doc_id: int,
             code: str) -> int:
    """Classify and file a document; returns its file id."""
    with audited_session(archive) as s:
        filing.classify(s, actor, schedule, doc_id, code)
        return filing.file_document(s, actor, schedule, doc_id).file_id


def status_of(archive: Archive, doc_id: int) -> str:
    with archive.session() as s:
        doc = s.get(Document, doc_id)
        assert doc is not None
        return doc.status


def search_ids(archive: Archive, words: str) -> set[int]:
    with archive.session() as s:
        return {h.document_id for h in archive.search.search(s, SearchQuery(words)).hits}


def cli(*args: str, input: str | None = None) -> Result:
    return runner.invoke(app, list(args), input=input)


def login(name: str) -> Result:
    result = cli("login", name, "--password-stdin", input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    return result


#: an approval letter of the archives authority in its real form, dated today
APPROVED_ON = date.today()
AUTHORITY_REF = f"檔綜字第{APPROVED_ON.year - 1911:03d}0012345號"


def list_and_approve(archive: Archive, actor: Actor, schedule: Schedule,
                     item_ids: list[int] | None = None) -> str:
    """Put due queued items on a destruction list and record the authority's approval."""
    from pipeline import disposal_lists

    with audited_session(archive) as s:
        created = disposal_lists.create(s, actor, schedule, item_ids)
        number = created.disposal_list.number
    with audited_session(archive) as s:
        disposal_lists.record_approval(s, actor, number, AUTHORITY_REF, APPROVED_ON)
    return number
