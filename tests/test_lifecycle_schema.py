"""Migration 0003 (lifecycle tables) agrees with the models and can be undone."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from pipeline.db.engine import alembic_config, include_object, make_engine, upgrade
from pipeline.db.models import Base

LIFECYCLE_TABLES = {
    "record_files", "file_assignments", "audit_log", "lifecycle_events", "holds", "users",
    "auth_tokens", "disposal_items", "disposal_approvals", "disposal_comments",
    "extension_requests", "retention_changes", "declassifications", "audit_consents",
    "destruction_certificates", "tombstones", "blob_removals", "transfers", "transfer_items",
}


def test_autogenerate_finds_no_difference(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'schema.db'}")
    upgrade(engine)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": include_object})
        assert compare_metadata(context, Base.metadata) == []
    assert set(inspect(engine).get_table_names()) >= LIFECYCLE_TABLES
    engine.dispose()


def test_downgrade_to_0002_and_back(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'down.db'}"
    engine = make_engine(url)
    upgrade(engine)
    cfg = alembic_config(url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0002")
    assert not LIFECYCLE_TABLES & set(inspect(engine).get_table_names())
    upgrade(engine)
    assert set(inspect(engine).get_table_names()) >= LIFECYCLE_TABLES
    engine.dispose()
