"""``records transfer ...``: permanent transfer to the national archives as BagIt bags."""

from __future__ import annotations

from pathlib import Path

import typer

from commands.access import acting_archive, current_actor, day
from commands.common import err_console, open_archive, print_json
from pipeline import filing, transfer
from pipeline.auth import Perm

app = typer.Typer()
transfer_app = typer.Typer(help="Permanent transfer: export a BagIt bag, confirm the receipt.",
                           no_args_is_help=True)
app.add_typer(transfer_app, name="transfer")


@transfer_app.command("candidates")
def candidates() -> None:
    """Files ready for transfer, and those blocked with the reason (JSON)."""
    with acting_archive() as (_archive, session, actor):
        actor.require(Perm.transfer)
        ready, blocked = transfer.candidates(session)
        print_json({"ready": [filing.file_dict(session, f) for f in ready], "blocked": blocked})


@transfer_app.command("export")
def export(
    out: Path = typer.Option(..., "--out", help="Folder to write the bag into."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Write a BagIt bag with every file flagged for transfer, and record the transfer."""
    with open_archive() as archive:
        actor = current_actor(archive)
        schedule = filing.schedule_for(archive.settings)
        result = transfer.export(archive, actor, schedule, out).to_dict()
    if as_json:
        print_json(result)
    else:
        err_console.print(f"transfer {result['transfer_id']}: {len(result['files'])} files, "
                          f"{result['documents']} documents in {result['bag']}")
        for b in result["blocked"]:
            err_console.print(f"  not included: {b['file']}: {b['reason']}")


@transfer_app.command("confirm")
def confirm(
    transfer_id: int = typer.Argument(...),
    receipt_ref: str = typer.Option(..., "--receipt-ref", help="The receiving archive's receipt."),
    received_on: str | None = typer.Option(None, "--received-on", help="Date (ISO or ROC)."),
) -> None:
    """Record the national archives' receipt: the documents become transferred."""
    with acting_archive() as (_archive, session, actor):
        transfer.confirm(session, actor, transfer_id, receipt_ref,
                         day(received_on) if received_on else None)
    err_console.print(f"transfer {transfer_id} confirmed ({receipt_ref})")


@transfer_app.command("cancel")
def cancel(transfer_id: int = typer.Argument(...),
           reason: str = typer.Option(..., "--reason")) -> None:
    """Give up an unconfirmed transfer; its files may be exported again."""
    with acting_archive() as (_archive, session, actor):
        transfer.cancel(session, actor, transfer_id, reason)
    err_console.print(f"transfer {transfer_id} cancelled")


@transfer_app.command("list")
def list_transfers() -> None:
    """Every transfer with its status and files (JSON)."""
    with acting_archive() as (_archive, session, actor):
        actor.require(Perm.transfer)
        print_json({"transfers": [transfer.transfer_dict(session, t)
                                  for t in transfer.transfers(session)]})
