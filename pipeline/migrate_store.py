"""Move an archive's database and index to the scale-out backends (``records migrate-store``).

The target database is migrated to the newest schema, must be empty, and
receives every table in foreign-key order in one transaction; PostgreSQL
sequences then continue after the copied ids. The target search index is
rebuilt from the copied rows and checked for drift. The content store (the
files under ``RECORDS_HOME/store``) is not touched: both archives use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, DateTime, Integer, Table, inspect, select, text
from sqlalchemy.engine import make_url

from pipeline.archive import Archive
from pipeline.db.engine import make_engine, upgrade
from pipeline.db.models import Base
from pipeline.errors import ConfigError
from pipeline.search.maintenance import DriftReport, RebuildReport, rebuild, require_in_step, verify
from pipeline.settings import Settings


@dataclass(frozen=True)
class MigrationReport:
    """Rows copied per table, and the rebuilt index."""

    target_database: str
    rows: dict[str, int]
    index: RebuildReport
    drift: DriftReport

    def to_dict(self) -> dict[str, Any]:
        return {"target_database": self.target_database, "rows": self.rows,
                "index": self.index.to_dict(), "drift": self.drift.to_dict()}


def target_settings(source: Settings, database_url: str, search_url: str,
                    search_index: str | None = None) -> Settings:
    """The source's settings with the target database and index."""
    if database_url == source.database_url:
        raise ConfigError("the target database is the source database")
    target = source.model_copy(update={
        "database_url": database_url, "search_url": search_url,
        "search_index": search_index or source.search_index})
    if not target.is_sqlite and not search_url:
        raise ConfigError("a PostgreSQL archive needs an OpenSearch index: give --to-search URL")
    return target


def migrate_store(source: Archive, target: Settings) -> MigrationReport:
    """Copy every row of ``source`` into the empty ``target`` database, then index it."""
    engine = make_engine(target.database_url)
    try:
        upgrade(engine)
        with engine.begin() as dst, source.engine.connect() as src:
            require_empty(dst)
            rows = copy_tables(src, dst)
            reset_sequences(dst)
    finally:
        engine.dispose()
    archive = Archive.open(target, migrate=False)
    try:
        index = rebuild(archive.search, archive.sessions)
        drift = verify(archive.search, archive.sessions)
        require_in_step(drift)
    finally:
        archive.close()
    shown = make_url(target.database_url).render_as_string(hide_password=True)
    return MigrationReport(shown, rows, index, drift)


def tables() -> list[Table]:
    """Every table of the models, parents before children."""
    return list(Base.metadata.sorted_tables)


def require_empty(conn: Connection) -> None:
    for table in tables():
        if conn.execute(select(text("1")).select_from(table).limit(1)).first():
            raise ConfigError(f"the target database is not empty (table {table.name} has rows)")


def copy_tables(src: Connection, dst: Connection, chunk: int = 1000) -> dict[str, int]:
    present = set(inspect(src).get_table_names())
    return {t.name: copy_table(src, dst, t, chunk) for t in tables() if t.name in present}


def copy_table(src: Connection, dst: Connection, table: Table, chunk: int) -> int:
    """Copy one table in chunks, in primary-key order; returns the row count."""
    naive_utc = src.dialect.name == "sqlite"
    aware = [c.name for c in table.columns
             if isinstance(c.type, DateTime) and c.type.timezone and naive_utc]
    result = src.execution_options(stream_results=True).execute(
        select(table).order_by(*table.primary_key.columns))
    copied = 0
    for part in result.mappings().partitions(chunk):
        rows = [_with_utc(dict(row), aware) for row in part]
        dst.execute(table.insert(), rows)
        copied += len(rows)
    return copied


def _with_utc(row: dict[str, Any], columns: list[str]) -> dict[str, Any]:
    """SQLite keeps timezone-aware datetimes as naive UTC: say so again."""
    for name in columns:
        value = row.get(name)
        if isinstance(value, datetime) and value.tzinfo is None:
            row[name] = value.replace(tzinfo=UTC)
    return row


def reset_sequences(conn: Connection) -> None:
    """PostgreSQL: let every serial id continue after the largest copied one."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables():
        for column in table.primary_key.columns:
            if isinstance(column.type, Integer):
                _reset_sequence(conn, table.name, column.name)


def _reset_sequence(conn: Connection, table: str, column: str) -> None:
    sequence = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                            {"t": f'"{table}"', "c": column}).scalar()
    if sequence is None:
        return  # ids assigned by the application (no sequence)
    conn.execute(
        text(f'SELECT setval(:s, COALESCE((SELECT max("{column}") FROM "{table}"), 0) + 1, '
             "false)"),
        {"s": sequence},
    )

