"""``records index sync|verify`` and ``records reindex``: keeping the search index in step."""

from __future__ import annotations

import typer

from commands.common import console, err_console, open_archive, print_json
from pipeline.search.maintenance import (
    DriftReport,
    maintainable,
    rebuild,
    require_in_step,
    verify,
)

app = typer.Typer()
index_app = typer.Typer(help="The search index: deliver waiting changes, check for drift.",
                        no_args_is_help=True)
app.add_typer(index_app, name="index")

SHOWN_IDS = 20


@index_app.command("sync")
def sync_command(as_json: bool = typer.Option(False, "--json")) -> None:
    """Deliver the changes waiting in the outbox to the search index now."""
    with open_archive() as archive:
        index = maintainable(archive.search)
        delivered = index.sync()
        index.refresh()
        with archive.session() as session:
            pending = index.pending_count(session)
    data = {"backend": index.name, "delivered": delivered, "pending": pending}
    if as_json:
        print_json(data)
    else:
        err_console.print(f"{index.name}: {delivered} changes delivered, {pending} waiting")


@index_app.command("verify")
def verify_command(
    as_json: bool = typer.Option(False, "--json"),
    no_sync: bool = typer.Option(False, "--no-sync",
                                 help="Compare only; do not deliver waiting changes first."),
) -> None:
    """Compare the index with the database: documents missing, extra or stale.

    Exits with code 10 when the index drifted (repair with `records reindex`).
    """
    with open_archive() as archive:
        report = verify(archive.search, archive.sessions, sync=not no_sync)
    if as_json:
        print_json(report.to_dict())
    else:
        _print_report(report)
    require_in_step(report)


def _print_report(report: DriftReport) -> None:
    console.print(report.summary())
    if report.delivered:
        console.print(f"delivered {report.delivered} waiting changes first")
    for label, ids in (("missing", report.missing), ("extra", report.extra),
                       ("stale", report.stale)):
        if ids:
            more = f" … and {len(ids) - SHOWN_IDS} more" if len(ids) > SHOWN_IDS else ""
            console.print(f"{label}: {', '.join(map(str, ids[:SHOWN_IDS]))}{more}")


@app.command("reindex")
def reindex_command(as_json: bool = typer.Option(False, "--json")) -> None:
    """Rebuild the search index from the database; searches keep working meanwhile."""
    with open_archive() as archive:
        report = rebuild(archive.search, archive.sessions)
    if as_json:
        print_json(report.to_dict())
        return
    err_console.print(f"{report.backend} index {report.index}: {report.documents} documents, "
                      f"{report.pages} pages in {report.seconds:.1f} s")
