"""``records migrate-store``: from the embedded store to PostgreSQL and OpenSearch."""

from __future__ import annotations

import typer

from commands.common import err_console, load_settings, open_archive, print_json
from pipeline.migrate_store import migrate_store, target_settings

app = typer.Typer()


@app.command("migrate-store")
def migrate_store_command(
    to_database: str = typer.Option(..., "--to-database",
                                    help="SQLAlchemy URL of the empty target database."),
    to_search: str = typer.Option("", "--to-search", help="OpenSearch URL of the target index."),
    to_search_index: str | None = typer.Option(None, "--to-search-index",
                                               help="Alias of the target index."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Copy every record of this archive into the target database, then index them.

    The source stays as it is; switch RECORDS_DATABASE_URL and RECORDS_SEARCH_URL
    afterwards. The content store (RECORDS_HOME/store) is shared by both.
    """
    source = load_settings()
    target = target_settings(source, to_database, to_search, to_search_index)
    with open_archive(source) as archive:
        report = migrate_store(archive, target)
    if as_json:
        print_json(report.to_dict())
        return
    for table, n in report.rows.items():
        err_console.print(f"{table}: {n} rows")
    err_console.print(f"indexed {report.index.documents} documents, {report.index.pages} pages "
                      f"into {report.index.index}; no drift")
