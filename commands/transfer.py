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
    """Files eligible for transfer today, and those blocked with the reason (JSON)."""
    with acting_archive() as (archive, session, actor):
        actor.require(Perm.transfer)
        ready, blocked = transfer.candidates(session, filing.schedule_for(archive.settings))
        print_json({"ready": [filing.file_dict(session, f) for f in ready], "blocked": blocked})


@transfer_app.command("appraise")
def appraise(
    file_ref: str = typer.Argument(..., help="File id or number."),
    decision: str = typer.Option(..., "--decision", help="transfer (still of permanent value) "
                                 "or retain."),
    reason: str = typer.Option(..., "--reason", help="The appraisal's findings."),
    report_ref: str | None = typer.Option(None, "--report", help="鑑定報告 reference."),
) -> None:
    """Record the appraisal (鑑定) a file needs before it goes on a 移轉目錄."""
    with acting_archive() as (_archive, session, actor):
        row = transfer.appraise(session, actor, file_ref, decision, reason, report_ref)
        row_id = row.id
    err_console.print(f"appraisal {row_id} of {file_ref}: {decision}")


@transfer_app.command("list")
def transfer_list(
    create: bool = typer.Option(False, "--create", help="Make a new 移轉目錄 of every file "
                                "eligible today."),
    transfer_id: int | None = typer.Option(None, "--transfer", help="An existing transfer."),
    pdf_out: Path | None = typer.Option(None, "--pdf"),
    csv_out: Path | None = typer.Option(None, "--csv"),
) -> None:
    """Without options: every transfer (JSON). With --create or --transfer: its 移轉目錄."""
    with acting_archive() as (archive, session, actor):
        actor.require(Perm.transfer)
        schedule = filing.schedule_for(archive.settings)
        if not (create or transfer_id):
            print_json({"transfers": [transfer.transfer_dict(session, t)
                                      for t in transfer.transfers(session)]})
            return
        chosen = transfer.create_list(session, actor, schedule) if create else \
            transfer.get_transfer(session, transfer_id or 0)
        rows = transfer.list_rows(session, schedule, chosen)
        sheet = transfer.list_sheet(rows, schedule, chosen)
        info = transfer.transfer_dict(session, chosen)
    transfer.export_list(sheet, pdf_out, csv_out)
    print_json({**info, "rows": rows})


@transfer_app.command("approve")
def approve(
    transfer_id: int = typer.Argument(...),
    authority_ref: str = typer.Option(..., "--authority-ref",
                                      help="The archives authority's letter, e.g. "
                                      "檔綜字第1130012345號."),
    approved_on: str = typer.Option(..., "--approved-on", help="The letter's date (ISO or ROC)."),
) -> None:
    """Record the archives authority's approval of a 移轉目錄 (before the export)."""
    with acting_archive() as (_archive, session, actor):
        t = transfer.record_approval(session, actor, transfer_id, authority_ref,
                                     day(approved_on))
        letter = t.authority_ref
    err_console.print(f"transfer {transfer_id}: 核准文號 {letter} recorded")


@transfer_app.command("export")
def export(
    out: Path = typer.Option(..., "--out", help="Folder to write the bag into."),
    transfer_id: int | None = typer.Option(None, "--transfer",
                                           help="Default: the one approved transfer."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Write the BagIt bag of an approved transfer (eligibility checked again) and record it."""
    with open_archive() as archive:
        actor = current_actor(archive)
        schedule = filing.schedule_for(archive.settings)
        result = transfer.export(archive, actor, schedule, out, transfer_id).to_dict()
    if as_json:
        print_json(result)
    else:
        err_console.print(f"transfer {result['transfer_id']}: {len(result['files'])} files, "
                          f"{result['documents']} documents in {result['bag']}")


@transfer_app.command("confirm")
def confirm(
    transfer_id: int = typer.Argument(...),
    receipt_ref: str = typer.Option(..., "--receipt-ref", help="The receiving archive's receipt."),
    received_on: str | None = typer.Option(None, "--received-on", help="Date (ISO or ROC)."),
) -> None:
    """Record the national archives' receipt (bag and eligibility checked again)."""
    with acting_archive() as (archive, session, actor):
        transfer.confirm(session, actor, filing.schedule_for(archive.settings), transfer_id,
                         receipt_ref, day(received_on) if received_on else None)
    err_console.print(f"transfer {transfer_id} confirmed ({receipt_ref})")


@transfer_app.command("cancel")
def cancel(transfer_id: int = typer.Argument(...),
           reason: str = typer.Option(..., "--reason")) -> None:
    """Give up an unconfirmed transfer; its files may be exported again."""
    with acting_archive() as (_archive, session, actor):
        transfer.cancel(session, actor, transfer_id, reason)
    err_console.print(f"transfer {transfer_id} cancelled")
