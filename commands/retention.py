"""``records retention sweep|appraise``: moving due files where their class sends them.

Other retention commands (schedule checks) may join the same ``retention`` group through
:data:`retention_app`.
"""

from __future__ import annotations

from typing import Any

import typer

from commands.access import acting_archive, day
from commands.common import err_console, print_json
from pipeline import filing, sweep
from pipeline.destruction import today
from pipeline.sweep import Appraisal

app = typer.Typer()
retention_app = typer.Typer(help="Retention: the sweep and appraisal decisions.",
                            no_args_is_help=True)
app.add_typer(retention_app, name="retention")


def _print_report(data: dict[str, Any]) -> None:
    err_console.print(f"sweep as of {data['as_of']} ({data['schedule']}):")
    if data["preview"]:
        err_console.print("  預覽 preview: 基準日不是今天，未變更任何紀錄 "
                          "(not today: nothing written)")
    for key in ("queued_for_disposal", "flagged_for_transfer", "appraisal", "held",
                "withdrawn", "awaiting_event", "unknown_class"):
        if data[key]:
            numbers = ", ".join(m["file_number"] for m in data[key])
            err_console.print(f"  {key}: {len(data[key])} files ({numbers})")
    for key in ("unclassified", "not_filed"):
        if data[key]:
            err_console.print(f"  {key}: {len(data[key])} documents {data[key]}")
    if not data["changed"]:
        err_console.print("  nothing to move")


@retention_app.command("sweep")
def sweep_command(
    as_of: str | None = typer.Option(None, "--as-of", help="Another date (ISO or ROC) only "
                                     "previews: nothing is written. Default today."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Queue due files for disposal, flag permanent ones for transfer, send others to appraisal."""
    when = day(as_of) if as_of else today()
    with acting_archive() as (archive, session, actor):
        schedule = filing.schedule_for(archive.settings, when)
        report = sweep.sweep(session, actor, schedule, when)
        if report.preview:
            session.rollback()  # the core wrote nothing; this makes sure of it
        data = report.to_dict()
    if as_json:
        print_json(data)
    else:
        _print_report(data)


@retention_app.command("appraise")
def appraise(
    file_ref: str = typer.Argument(..., help="File id or number."),
    decision: Appraisal = typer.Option(..., "--decision"),
    reason: str = typer.Option(..., "--reason"),
    years: int | None = typer.Option(None, "--years", help="With retain: years to keep longer."),
) -> None:
    """Decide a file in appraisal: destroy, transfer, or retain for more years."""
    with acting_archive() as (archive, session, actor):
        schedule = filing.schedule_for(archive.settings)
        file = filing.find_file(session, file_ref)
        sweep.appraise(session, actor, schedule, file.id, decision, reason, years)
    err_console.print(f"file {file.number}: {decision.value}")


@retention_app.command("serve")
def serve(cron: str = typer.Option("0 2 * * *", "--cron", help="When to sweep (cron).")) -> None:
    """Serve the sweep as a scheduled Prefect flow (runs as system:retention-sweep)."""
    from flows.retention import serve as serve_flow  # Prefect only when serving

    serve_flow(cron)
