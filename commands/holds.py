"""``records hold place|release|list``: legal, audit and investigation holds."""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table

from commands.access import acting_archive
from commands.common import console, err_console, print_json
from pipeline import filing, holds
from pipeline.auth import Perm
from pipeline.holds import HoldKind, HoldScope

app = typer.Typer()
hold_app = typer.Typer(help="Holds freeze records: nothing on hold moves toward disposal.",
                       no_args_is_help=True)
app.add_typer(hold_app, name="hold")


def _scope(document: int | None, file_ref: str | None,
           class_code: str | None) -> tuple[HoldScope, str]:
    given = [(HoldScope.document, document), (HoldScope.file, file_ref),
             (HoldScope.class_, class_code)]
    chosen = [(scope, str(value)) for scope, value in given if value is not None]
    if len(chosen) != 1:
        raise typer.BadParameter("give exactly one of --document, --file or --class")
    return chosen[0]


@hold_app.command("place")
def place(
    kind: HoldKind = typer.Option(..., "--kind"),
    document: int | None = typer.Option(None, "--document", help="Document id."),
    file_ref: str | None = typer.Option(None, "--file", help="File id or number."),
    class_code: str | None = typer.Option(None, "--class", help="Class code (and sub-classes)."),
    reason: str = typer.Option(..., "--reason"),
    reference: str | None = typer.Option(None, "--ref", help="Court order, audit case number."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Place a hold on a document, a file or a whole class."""
    scope, target = _scope(document, file_ref, class_code)
    with acting_archive() as (_archive, session, actor):
        if scope is HoldScope.file:
            target = str(filing.find_file(session, target).id)
        hold = holds.place(session, actor, kind, scope, target, reason, reference)
        data = holds.hold_dict(hold)
    if as_json:
        print_json(data)
    else:
        err_console.print(f"hold {data['id']} ({kind.value}) placed on {scope.value} {target}")


@hold_app.command("release")
def release(hold_id: int = typer.Argument(...),
            reason: str = typer.Option(..., "--reason")) -> None:
    """Release a hold (it stays in the history)."""
    with acting_archive() as (_archive, session, actor):
        holds.release(session, actor, hold_id, reason)
    err_console.print(f"hold {hold_id} released")


@hold_app.command("list")
def list_holds(all_: bool = typer.Option(False, "--all", help="Include released holds."),
               as_json: bool = typer.Option(False, "--json")) -> None:
    """Active holds (or all with --all)."""
    with acting_archive() as (_archive, session, actor):
        actor.require(Perm.view_disposal)
        rows = holds.all_holds(session) if all_ else holds.active(session)
        data = [holds.hold_dict(h) for h in rows]
    if as_json:
        print_json({"holds": data})
        return
    table = Table()
    for col in ("id", "kind", "scope", "target", "reason", "placed by", "released"):
        table.add_column(col)
    for h in data:
        table.add_row(str(h["id"]), h["kind"], h["scope"], h["target"], escape(h["reason"]),
                      h["placed_by"], str(h["released_at"] or ""))
    console.print(table)
