"""``records migrate-store``: an embedded archive moves to PostgreSQL and OpenSearch and
answers every search as before; ids continue; a non-empty target is refused."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from cli import app
from pipeline.archive import Archive
from pipeline.db.models import Base, Batch, BatchItem, Document
from pipeline.errors import ConfigError
from pipeline.migrate_store import migrate_store, target_settings
from pipeline.search import SearchFilters, SearchQuery
from tests.services import Doc as CorpusDoc
from tests.services import add_document, backend_archive, load_corpus, opensearch_server

QUERIES = ["秘書處", "銷毀", "檔案銷毀", "procurement", '"annual report"', "市政府", "保養",
           "DISPOSEME", "禮品採購"]
FILTERS = [SearchFilters(), SearchFilters(clearance="confidential"),
           SearchFilters(division="總務科"), SearchFilters(clearance="public")]


@pytest.fixture
def source(tmp_path: Path) -> Iterator[Archive]:
    """An embedded archive with the corpus and a batch that recorded it."""
    with backend_archive("embedded", tmp_path / "home") as archive:
        ids = load_corpus(archive)
        with archive.session() as session:
            batch = Batch(lang="chi_tra+eng", sources=["box-1"], summary={"documents": 7})
            session.add(batch)
            session.flush()
            session.add_all(BatchItem(batch_id=batch.id, path=f"{k}.png", outcome="stored",
                                      document_id=v) for k, v in ids.items())
        yield archive


def answers(archive: Archive) -> list[Any]:
    """Every query under every filter: totals, (file, page) hits and facets."""
    out = []
    with archive.session() as session:
        for q in QUERIES:
            for f in FILTERS:
                r = archive.search.search(session, SearchQuery(q, f, limit=100))
                out.append((q, f, r.total, sorted((h.original_name, h.page) for h in r.hits),
                            r.facets))
    return out


def row_counts(archive: Archive) -> dict[str, int]:
    with archive.session() as session:
        return {t.name: int(session.scalar(select(func.count()).select_from(t)) or 0)
                for t in Base.metadata.sorted_tables}


@pytest.mark.postgres
@pytest.mark.opensearch
def test_an_embedded_archive_moves_to_postgresql_and_opensearch(source: Archive,
                                                               postgres_url: str,
                                                               os_alias: str) -> None:
    target = target_settings(source.settings, postgres_url, opensearch_server(), os_alias)
    report = migrate_store(source, target)
    assert report.rows["documents"] == 7 and report.rows["pages"] == 8
    assert report.index.documents == 7 and report.drift.in_step
    moved = Archive.open(target)
    try:
        assert row_counts(moved) == row_counts(source)
        assert answers(moved) == answers(source)
        with moved.session() as session:
            doc = session.scalars(select(Document).order_by(Document.id)).first()
            assert doc is not None and doc.created_at.tzinfo is not None
            assert doc.created_at.utcoffset() == UTC.utcoffset(None)
            new_id = add_document(session, CorpusDoc("after", ("遷移後新增",)), 99)
        assert new_id == 8  # the sequence continues after the copied ids
        with pytest.raises(ConfigError, match="not empty"):
            migrate_store(source, target)
    finally:
        moved.close()


def test_an_embedded_archive_moves_to_another_database_file(source: Archive,
                                                           tmp_path: Path) -> None:
    target = target_settings(source.settings, f"sqlite:///{tmp_path / 'moved.db'}", "")
    report = migrate_store(source, target)
    assert report.index.backend == "embedded" and report.index.pages == 8
    moved = Archive.open(target)
    try:
        assert row_counts(moved) == row_counts(source)
        assert answers(moved) == answers(source)
    finally:
        moved.close()


def test_the_target_must_differ_and_postgresql_needs_opensearch(source: Archive) -> None:
    with pytest.raises(ConfigError, match="is the source"):
        target_settings(source.settings, source.settings.database_url, "")
    with pytest.raises(ConfigError, match="needs an OpenSearch index"):
        target_settings(source.settings, "postgresql+psycopg://x@localhost/y", "")


@pytest.mark.postgres
@pytest.mark.opensearch
def test_the_command_moves_the_store(source: Archive, postgres_url: str, os_alias: str) -> None:
    env = {"RECORDS_HOME": str(source.settings.home), "RECORDS_DATABASE_URL": "",
           "RECORDS_SEARCH_URL": ""}
    args = ["migrate-store", "--to-database", postgres_url, "--to-search", opensearch_server(),
            "--to-search-index", os_alias, "--json"]
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    assert '"in_step": true' in result.output
    assert "records:records@" not in result.output  # the password is not printed
    again = CliRunner().invoke(app, args, env=env)
    assert again.exit_code == 5  # ConfigError: the target is not empty

