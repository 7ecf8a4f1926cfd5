"""Engine creation and schema upgrade.

SQLite gets WAL, full fsync and foreign keys: the store must survive a power
cut between two documents. Any other SQLAlchemy URL (PostgreSQL) is used as is.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from pipeline.errors import StorageError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
#: tables that live outside the ORM (the SQLite FTS5 index and its shadow tables)
UNMANAGED_PREFIXES = ("page_fts",)


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, other: Any) -> bool:
    """Alembic filter: leave the unmanaged tables out of autogenerate comparisons."""
    return not (type_ == "table" and name is not None and name.startswith(UNMANAGED_PREFIXES))


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    for pragma in (
        "journal_mode=WAL",
        "synchronous=FULL",
        "foreign_keys=ON",
        "busy_timeout=30000",
    ):
        cur.execute(f"PRAGMA {pragma}")
    cur.close()


def make_engine(url: str) -> Engine:
    """Create an engine; for a SQLite file the parent folder is created."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration (idempotent)."""
    cfg = alembic_config(str(engine.url.render_as_string(hide_password=False)))
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except SQLAlchemyError as exc:
        raise StorageError(f"cannot migrate database {engine.url!r}: {exc}") from exc


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
