"""The database-facing tests again, on PostgreSQL with the OpenSearch index.

The ingest tests of ``tests/test_ingest.py`` are collected here a second time
with the ``settings`` fixture below, so the same assertions run on the
scale-out pair; the tests after them cover what only PostgreSQL has
(advisory locks, sequences, time zones, transactions with the outbox).
"""

from __future__ import annotations

import threading
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from cli import app
from pipeline import audit
from pipeline.archive import Archive
from pipeline.audit import audited_session
from pipeline.db.models import AuditEntry, Batch, Document, IndexOutbox, Page
from pipeline.search.maintenance import verify
from pipeline.search.outbox import DeliveryLock, IndexBusy
from pipeline.settings import Settings
from tests import imagegen
from tests.conftest import ingest_dir, make_settings
from tests.test_ingest import (  # noqa: F401  (collected again, on PostgreSQL)
    LETTER,
    MEMO,
    test_bad_inputs_are_quarantined_and_the_rest_is_stored,
    test_born_digital_pdf_uses_its_text_layer,
    test_multipage_pdf_and_g4_tiff_keep_page_numbers,
    test_png_is_stored_ocrd_archived_and_searchable,
    test_same_bytes_are_one_record_in_a_run_and_across_runs,
)

pytestmark = [pytest.mark.postgres, pytest.mark.opensearch]


@pytest.fixture
def settings(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    postgres_url: str,
    opensearch_url: str,
    os_alias: str,
) -> Settings:
    """An empty archive on a PostgreSQL schema and an OpenSearch alias of its own."""
    home = tmp_path / "home"
    monkeypatch.setenv("RECORDS_HOME", str(home))
    return make_settings(
        home,
        database_url=postgres_url,
        search_url=opensearch_url,
        search_index=os_alias,
        search_refresh="true",
    )


def count(archive: Archive, model: Any) -> int:
    with archive.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_the_archive_is_on_postgresql_and_opensearch(archive: Archive) -> None:
    assert archive.engine.dialect.name == "postgresql"
    assert archive.search.name == "opensearch"


def test_a_crash_inside_the_commit_leaves_neither_record_nor_outbox_row(
    archive: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "in"
    src.mkdir()
    imagegen.save_pdf([imagegen.page(LETTER), imagegen.page(MEMO)], src / "two.pdf")

    def crash(*_args: Any, **_kw: Any) -> None:
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr("pipeline.finalize.Page", crash)
    with pytest.raises(KeyboardInterrupt):
        ingest_dir(archive, src)
    assert (count(archive, Document), count(archive, Page), count(archive, IndexOutbox)) == (
        0,
        0,
        0,
    )
    monkeypatch.undo()
    summary = ingest_dir(archive, src)
    assert (summary["documents"], summary["pages"]) == (1, 2)
    assert count(archive, IndexOutbox) == 0
    report = verify(archive.search, archive.sessions)
    assert report.in_step and report.database_documents == 1


def test_timestamps_keep_their_time_zone(archive: Archive) -> None:
    with archive.session() as session:
        session.add(Batch(lang="chi_tra", sources=["x"]))
    with archive.session() as session:
        batch = session.scalars(select(Batch)).one()
        assert batch.started_at.tzinfo is not None
        assert batch.started_at.utcoffset() == UTC.utcoffset(None)


def test_the_delivery_lock_is_shared_between_connections(archive: Archive) -> None:
    first = DeliveryLock(archive.engine, "shared-lock-test")
    second = DeliveryLock(archive.engine, "shared-lock-test")
    other = DeliveryLock(archive.engine, "another-alias")
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with first.hold(1.0):
            held.set()
            release.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    held.wait(10)
    try:
        with pytest.raises(IndexBusy), second.hold(0.2):
            pass
        with other.hold(0.2):
            pass  # another alias is another lock
    finally:
        release.set()
        thread.join()
    with second.hold(1.0):
        pass


def test_status_and_search_commands_work_on_postgresql(archive: Archive, tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    imagegen.save_png(imagegen.page(LETTER), src / "letter.png")
    ingest_dir(archive, src)
    s = archive.settings
    env = {
        "RECORDS_HOME": str(s.home),
        "RECORDS_DATABASE_URL": s.database_url,
        "RECORDS_SEARCH_URL": s.search_url,
        "RECORDS_SEARCH_INDEX": s.search_index,
    }
    runner = CliRunner()
    status = runner.invoke(app, ["status", "--json"], env=env)
    assert status.exit_code == 0, status.output
    assert '"search_backend": "opensearch"' in status.output
    assert '"documents": 1' in status.output
    found = runner.invoke(app, ["search", "銷毀目錄", "--json"], env=env)
    assert found.exit_code == 0 and '"total": 1' in found.output
    assert "<mark>銷毀目錄</mark>" in found.output


def test_concurrent_audit_appends_all_land_on_one_chain(archive: Archive) -> None:
    """Writers in parallel transactions each chain onto the last committed entry."""
    errors: list[BaseException] = []

    def writer(name: str) -> None:
        try:
            for i in range(15):
                with audited_session(archive) as session:
                    audit.append(session, name, "test.event", f"thing:{i}")
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(f"writer-{n}",)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with archive.session() as session:
        written = session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "test.event")
        )
        result = audit.verify(session, archive.settings.home / audit.ANCHOR_NAME)
    assert written == 60
    assert result.ok, result
