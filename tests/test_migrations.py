"""Alembic migrations: an empty database reaches head on SQLite and on PostgreSQL, and the
models say exactly what the migrations built (autogenerate finds nothing to do)."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from pipeline.db.engine import alembic_config, include_object, make_engine, upgrade
from pipeline.db.models import Base


def head() -> str:
    heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    assert len(heads) == 1, f"the migrations have several heads: {heads}"
    return heads[0]


def current(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def differences(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={
            "include_object": include_object, "compare_type": True,
            "compare_server_default": True})
        return list(compare_metadata(ctx, Base.metadata))


def test_an_empty_database_is_upgraded_to_the_single_head(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        assert current(engine) is None
        upgrade(engine)
        assert current(engine) == head()
        tables = set(inspect(engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
        upgrade(engine)  # a second run changes nothing
        assert current(engine) == head()
    finally:
        engine.dispose()


def test_the_models_match_the_migrations(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        assert differences(engine) == []
    finally:
        engine.dispose()


def test_downgrade_to_base_and_up_again(database_url: str) -> None:
    engine = make_engine(database_url)
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    try:
        upgrade(engine)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade(engine)
        assert current(engine) == head() and differences(engine) == []
    finally:
        engine.dispose()
