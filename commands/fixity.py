"""``records fixity check``: re-hash every stored original and archival copy."""

from __future__ import annotations

import typer

from commands.access import current_actor
from commands.common import console, err_console, open_archive, print_json
from pipeline import fixity

app = typer.Typer()
fixity_app = typer.Typer(
    help="Fixity of the store: re-hash blobs, find missing and orphan ones.", no_args_is_help=True
)
app.add_typer(fixity_app, name="fixity")

SHOWN = 20


@fixity_app.command("check")
def check_command(
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    orphan_grace: float = typer.Option(
        fixity.ORPHAN_GRACE_SECONDS,
        "--orphan-grace",
        min=0.0,
        help="Seconds an unreferenced blob may be an ingest still committing.",
    ),
    pdfa: bool = typer.Option(
        False, "--pdfa", help="Also validate every archival copy again with veraPDF (PDF/A)."
    ),
) -> None:
    """Re-hash every blob the database knows; exit 10 on any missing, changed or orphan blob.

    With --pdfa, also exit 10 when an archival copy is not valid PDF/A.
    """
    with open_archive() as archive:
        report = fixity.run(archive, current_actor(archive), orphan_grace, pdfa)
    if as_json:
        print_json(report.to_dict())
    else:
        _print(report)
    fixity.require_intact(report)


def _print(report: fixity.FixityReport) -> None:
    err_console.print(report.summary())
    if report.archival is not None:
        a = report.archival
        err_console.print(
            f"PDF/A: {a['compliant']} of {a['validated']} compliant ({a['validator']})"
        )
        for f in a["failed"][:SHOWN]:
            console.print(f"{'not PDF/A':<10} document {f['document_id']}: {' '.join(f['rules'])}")
    for p in report.problems[:SHOWN]:
        console.print(f"{p.problem:<10} {p.kind:<11} {p.relpath}")
    for rel in report.orphans[:SHOWN]:
        console.print(f"{'orphan':<10} {'':<11} {rel}")
    hidden = len(report.problems) + len(report.orphans) - 2 * SHOWN
    if hidden > 0:
        console.print("… and more: use --json for the full list")


@fixity_app.command("serve")
def serve(
    cron: str = typer.Option("0 3 * * 0", "--cron", help="When to check (cron)."),
) -> None:
    """Serve the fixity check as a scheduled Prefect flow (Ctrl-C to stop)."""
    from flows.maintenance import serve as serve_flow  # Prefect only when serving

    serve_flow(cron)
