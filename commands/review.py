"""``records review``: the queue of uncertain classifications and the officer's answers."""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table

from commands.access import acting_archive
from commands.common import console, err_console, print_json
from pipeline import review
from pipeline.classify import explain_line, schedule_of
from pipeline.docheader import printed_line

app = typer.Typer()
review_app = typer.Typer(help="Review uncertain classifications (records officers).",
                         no_args_is_help=True)
app.add_typer(review_app, name="review")


@review_app.command("list")
def list_items(as_json: bool = typer.Option(False, "--json")) -> None:
    """Documents waiting for review: proposed class, confidence and why."""
    with acting_archive() as (archive, session, actor):
        items, hidden = review.queue(session, actor, schedule_of(archive.settings.rules_dir))
        rows = [i.to_dict() for i in items]
    if as_json:
        print_json({"items": rows, "hidden": hidden})
        return
    table = Table(title=f"{len(rows)} documents to review")
    for col in ("id", "title", "printed", "proposed class", "confidence", "why"):
        table.add_column(col, no_wrap=col == "printed")
    for r in rows:
        proposed = f"{r['class_code']} {r['class_title']}" if r["class_code"] else "-"
        conf = "-" if r["confidence"] is None else f"{r['confidence']:.2f}"
        table.add_row(str(r["id"]), escape(r["title"] or ""), escape(printed_line(r["printed"])),
                      escape(proposed), conf,
                      escape(r["reason"] or explain_line(r["explanation"])))
    console.print(table)
    if hidden:
        err_console.print(f"{hidden} more above your clearance")


@review_app.command("accept")
def accept(document: int = typer.Argument(...),
           reason: str = typer.Option("", "--reason")) -> None:
    """The proposed class is right: the document becomes classified (a training example)."""
    with acting_archive() as (archive, session, actor):
        row = review.accept(session, actor, schedule_of(archive.settings.rules_dir), document,
                            reason)
    err_console.print(f"document {document}: classified {row.class_code} (accepted)")


@review_app.command("correct")
def correct(document: int = typer.Argument(...),
            class_code: str = typer.Option(..., "--class", help="Leaf class of the schedule."),
            reason: str = typer.Option("", "--reason")) -> None:
    """Give the right class: the document becomes classified (a training example)."""
    with acting_archive() as (archive, session, actor):
        row = review.correct(session, actor, schedule_of(archive.settings.rules_dir), document,
                             class_code, reason)
    err_console.print(f"document {document}: classified {row.class_code} (corrected)")
