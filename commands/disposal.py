"""``records disposal ...``: the destruction list, comments, extensions, approval, execution."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from commands.access import acting_archive, current_actor
from commands.common import console, err_console, open_archive, print_json
from pipeline import destruction, disposal, filing, reports
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


@disposal_app.command("list")
def destruction_list(
    csv_out: Path | None = typer.Option(None, "--csv", help="Write the list as CSV."),
    html_out: Path | None = typer.Option(None, "--html", help="Write a printable HTML page."),
    items: list[int] = typer.Option([], "--item", help="Only these items (default: all open)."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """The destruction list (銷毀目錄) with the legally required fields per file."""
    with acting_archive() as (archive, session, actor):
        actor.require(Perm.view_disposal)
        schedule = filing.schedule_for(archive.settings)
        chosen = [disposal.get_item(session, i) for i in items] or disposal.open_items(session)
        rows = reports.destruction_list(session, schedule, chosen, actor.clearance)
    if csv_out:
        reports.write_csv(rows, csv_out)
    if html_out:
        html_out.write_text(reports.render_list_html(rows, schedule.agency.zh_tw,
                                                     destruction.today()), encoding="utf-8")
    if as_json or not (csv_out or html_out):
        print_json({"rows": rows})


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
    authority_ref: str = typer.Option(..., "--authority-ref",
                                      help="The archives authority's approval letter number."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Approve items as a records officer; two different officers make an item executable."""
    with acting_archive() as (_archive, session, actor):
        done = [{"id": i.id, "status": i.status} for i in
                (disposal.approve(session, actor, n, reason, authority_ref) for n in item_ids)]
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
    supervisor: str | None = typer.Option(None, "--supervisor", help="監銷人員, e.g. ethics."),
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
                                                supervisor).to_dict())
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
