"""``records disposal ...``: the destruction list, comments, extensions, approval, execution."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from commands.access import acting_archive, current_actor, day
from commands.common import console, err_console, open_archive, print_json
from pipeline import destruction, disposal, disposal_lists, filing, reports
from pipeline.archive import Archive
from pipeline.auth import Perm
from pipeline.errors import IntegrityFailure, NotPermitted

app = typer.Typer()
disposal_app = typer.Typer(help="Disposal: destruction list, two-officer approval, execution.",
                           no_args_is_help=True)
app.add_typer(disposal_app, name="disposal")


def _queue_table(items: list[dict[str, Any]]) -> Table:
    table = Table(title=f"destruction list: {len(items)} files")
    for col in ("id", "file", "title", "division", "due", "status", "approvals", "blockers"):
        table.add_column(col)
    for i in items:
        table.add_row(str(i["id"]), i["file_number"], escape(i["title"]), i["division"] or "",
                      str(i["due_date"] or ""), i["status"],
                      ", ".join(a["officer"] for a in i["approvals"]),
                      escape("; ".join(i["blockers"])))
    return table


@disposal_app.command("queue")
def queue(as_json: bool = typer.Option(False, "--json")) -> None:
    """Files awaiting approval or execution, each with what still blocks it."""
    with acting_archive() as (archive, session, actor):
        schedule = filing.schedule_for(archive.settings)
        items = disposal.queue(session, actor, schedule, destruction.today())
    if as_json:
        print_json({"items": items})
    else:
        console.print(_queue_table(items))


list_app = typer.Typer(help="銷毀目錄 destruction lists: create, show, export, record the "
                       "archives authority's approval.", no_args_is_help=True)
disposal_app.add_typer(list_app, name="list")


@list_app.command("create")
def list_create(
    items: list[int] = typer.Option([], "--item", help="Only these queued items (default: all "
                                    "queued items due today)."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Make a numbered 銷毀目錄 of the queued files that are due today."""
    with acting_archive() as (archive, session, actor):
        schedule = filing.schedule_for(archive.settings)
        data = disposal_lists.create(session, actor, schedule, items or None).to_dict()
    if as_json:
        print_json(data)
        return
    err_console.print(f"銷毀目錄 {data['list']}: {len(data['items'])} 案 (items {data['items']})")
    for s in data["skipped"]:
        err_console.print(f"  未列入 item {s['id']} ({s['file']}): {escape(s['reason'])}")


@list_app.command("show")
def list_show(ref: str | None = typer.Argument(None, help="List id or number (115-001); "
                                               "default: every list.")) -> None:
    """Lists with their status, approval and items (JSON)."""
    with acting_archive() as (_archive, session, actor):
        actor.require(Perm.view_disposal)
        chosen = [disposal_lists.get_list(session, ref)] if ref else \
            disposal_lists.all_lists(session)
        print_json({"lists": [disposal_lists.list_dict(session, dl) for dl in chosen]})


@list_app.command("export")
def list_export(
    ref: str = typer.Argument(..., help="List id or number (115-001)."),
    pdf_out: Path | None = typer.Option(None, "--pdf", help="Write the list to print and sign."),
    csv_out: Path | None = typer.Option(None, "--csv", help="Write the list as CSV."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """The 銷毀目錄 with the fields of 辦法 art. 8, as PDF and/or CSV."""
    with acting_archive() as (archive, session, actor):
        actor.require(Perm.view_disposal)
        schedule = filing.schedule_for(archive.settings)
        dl = disposal_lists.get_list(session, ref)
        rows = reports.destruction_list(session, schedule, disposal_lists.items_of(session, dl),
                                        actor.clearance)
        sheet = reports.list_sheet(rows, schedule.agency.zh_tw, dl.number,
                                   dl.created_at.date(), dl.authority_ref, dl.approved_on)
    reports.export_list(sheet, pdf_out, csv_out)
    if as_json or not (csv_out or pdf_out):
        print_json({"list": dl.number, "rows": rows})


@list_app.command("approve")
def list_approve(
    ref: str = typer.Argument(..., help="List id or number (115-001)."),
    authority_ref: str = typer.Option(..., "--authority-ref",
                                      help="The archives authority's letter, e.g. "
                                      "檔綜字第1130012345號."),
    approved_on: str = typer.Option(..., "--approved-on", help="The letter's date (ISO or ROC)."),
    not_approved: list[int] = typer.Option([], "--not-approved",
                                           help="Items the authority did not approve."),
) -> None:
    """Record the archives authority's approval of a whole list (once)."""
    with acting_archive() as (_archive, session, actor):
        dl = disposal_lists.record_approval(session, actor, ref, authority_ref, day(approved_on),
                                            not_approved)
        number, letter = dl.number, dl.authority_ref
    err_console.print(f"銷毀目錄 {number}: 核准文號 {letter} recorded")


@disposal_app.command("comment")
def comment(item_id: int = typer.Argument(...), text: str = typer.Option(..., "--text")) -> None:
    """A comment of the owning division on an item."""
    with acting_archive() as (_archive, session, actor):
        disposal.comment(session, actor, item_id, text)
    err_console.print(f"comment recorded on item {item_id}")


@disposal_app.command("extend")
def extend(item_id: int = typer.Argument(...), years: int = typer.Option(..., "--years"),
           reason: str = typer.Option(..., "--reason")) -> None:
    """Ask, for the owning division, to keep a file longer (blocks approval until decided)."""
    with acting_archive() as (_archive, session, actor):
        req = disposal.request_extension(session, actor, item_id, years, reason)
        req_id = req.id
    err_console.print(f"extension request {req_id} recorded on item {item_id}")


@disposal_app.command("decide-extension")
def decide_extension(
    request_id: int = typer.Argument(...),
    grant: bool = typer.Option(..., "--grant/--refuse"),
    reason: str = typer.Option(..., "--reason"),
) -> None:
    """Grant (the file leaves the list and is kept longer) or refuse an extension request."""
    with acting_archive() as (archive, session, actor):
        schedule = filing.schedule_for(archive.settings)
        disposal.decide_extension(session, actor, schedule, request_id, grant, reason)
    err_console.print(f"extension request {request_id} {'granted' if grant else 'refused'}")


@disposal_app.command("approve")
def approve(
    item_ids: list[int] = typer.Argument(...),
    reason: str = typer.Option(..., "--reason"),
    authority_ref: str | None = typer.Option(None, "--authority-ref",
                                             help="If given, must be the list's approval letter."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Confirm items of an approved list as a records officer (two different officers each)."""
    with acting_archive() as (archive, session, actor):
        schedule = filing.schedule_for(archive.settings)
        done = [{"id": i.id, "status": i.status} for i in
                (disposal.approve(session, actor, schedule, n, reason, authority_ref)
                 for n in item_ids)]
    if as_json:
        print_json({"items": done})
        return
    for d in done:
        err_console.print(f"item {d['id']}: approval recorded, now {d['status']}")


@disposal_app.command("withdraw")
def withdraw(item_id: int = typer.Argument(...), reason: str = typer.Option(..., "--reason")
             ) -> None:
    """Take an item off the destruction list (its documents return to archived)."""
    with acting_archive() as (_archive, session, actor):
        disposal.withdraw_item(session, actor, item_id, reason)
    err_console.print(f"item {item_id} withdrawn")


@disposal_app.command("consent")
def consent(file_ref: str = typer.Argument(..., help="File id or number."),
            reference: str = typer.Option(..., "--ref", help="Audit authority's letter number."),
            note: str | None = typer.Option(None, "--note")) -> None:
    """Record the audit authority's consent to destroy an accounting-record file."""
    with acting_archive() as (_archive, session, actor):
        file = filing.find_file(session, file_ref)
        disposal.record_audit_consent(session, actor, file.id, reference, note)
    err_console.print(f"audit consent recorded for file {file.number}")


@disposal_app.command("execute")
def execute(
    item_ids: list[int] = typer.Argument(...),
    supervisors: list[str] = typer.Option([], "--supervisor",
                                          help="監銷人員 as \"單位 姓名\" (repeat for several); "
                                          "at least one."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Destroy approved items after re-checking everything; writes certificate and tombstones."""
    with open_archive() as archive:
        actor = current_actor(archive)
        schedule = filing.schedule_for(archive.settings)
        done, refused = [], []
        for item_id in item_ids:
            try:
                done.append(destruction.execute(archive, actor, schedule, item_id,
                                                supervisors).to_dict())
            except NotPermitted as exc:  # reported with the others, then the exit code says so
                refused.append({"id": item_id, "reason": str(exc)})
    _report_execution(done, refused, as_json)


def _report_execution(done: list[dict[str, Any]], refused: list[dict[str, Any]],
                      as_json: bool) -> None:
    if as_json:
        print_json({"executed": done, "refused": refused})
    else:
        for d in done:
            path = d["certificate"]["json_path"]
            err_console.print(f"item {d['item_id']}: destroyed {len(d['documents'])} documents, "
                              f"certificate {d['certificate_id']} ({path})")
    if refused:
        raise NotPermitted("; ".join(r["reason"] for r in refused))


@disposal_app.command("certificate")
def certificate(item_id: int = typer.Argument(...),
                out: Path | None = typer.Option(None, "--out", help="Copy JSON and HTML here.")
                ) -> None:
    """The destruction certificate of an executed item, checked against its recorded hashes."""
    with acting_archive() as (archive, session, actor):
        actor.require(Perm.view_disposal)
        data = destruction.certificate(archive, session, item_id)
        if out:
            _copy_certificate(archive, data, out)
    print_json(data)
    if not data["intact"]:
        raise IntegrityFailure(f"the certificate of item {item_id} does not match its hashes")


def _copy_certificate(archive: Archive, data: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for kind in ("json", "html"):
        target = out / f"certificate-{data['certificate_id']}.{kind}"
        target.write_bytes(archive.store.path(data[f"{kind}_path"]).read_bytes())


@disposal_app.command("tombstones")
def tombstones(item_id: int | None = typer.Option(None, "--item")) -> None:
    """What remains of destroyed documents (JSON): metadata and hashes of what was destroyed."""
    with acting_archive() as (_archive, session, actor):
        actor.require(Perm.view_disposal)
        rows = [destruction.tombstone_dict(t) for t in destruction.tombstones(session, item_id)]
    print_json({"tombstones": rows})
