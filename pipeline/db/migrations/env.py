"""Alembic environment: runs on the connection handed over by ``engine.upgrade``."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import create_engine

from pipeline.db.engine import include_object
from pipeline.db.models import Base


def run() -> None:
    cfg = context.config
    connection = cfg.attributes.get("connection")
    if connection is None:
        engine = create_engine(cfg.get_main_option("sqlalchemy.url") or "")
        with engine.begin() as conn:
            _configure_and_run(conn)
        return
    _configure_and_run(connection)


def _configure_and_run(connection: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        include_object=include_object,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


run()
