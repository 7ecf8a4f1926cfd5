"""``records lifecycle ...``: classify and file documents, trigger events, declassify, history."""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy import select

from commands.access import acting_archive, day
from commands.common import console, err_console, print_json
from pipeline import access, filing, lifecycle, secrecy
from pipeline.auth import Perm
from pipeline.dates import today
from pipeline.db.models import RecordFile
from pipeline.views import document_history

app = typer.Typer()
lifecycle_app = typer.Typer(help="Records lifecycle: classify, file, history, declassify.",
                            no_args_is_help=True)
app.add_typer(lifecycle_app, name="lifecycle")


@lifecycle_app.command("states")
def states(as_json: bool = typer.Option(False, "--json")) -> None:
    """The state machine: every allowed transition and the permission it needs."""
    rows = [{"from": t.source.value, "to": t.target.value, "action": t.action,
             "permission": t.perm.value} for t in lifecycle.TRANSITIONS]
    if as_json:
        print_json({"states": [s.value for s in lifecycle.State], "transitions": rows})
        return
    table = Table(title="lifecycle transitions")
    for col in ("from", "to", "action", "permission"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["from"], r["to"], r["action"], r["permission"])
    console.print(table)


@lifecycle_app.command("classify")
def classify(
    documents: list[int] = typer.Argument(..., help="Document ids."),
    class_code: str = typer.Option(..., "--class", help="Leaf class code of the schedule."),
    review: bool = typer.Option(False, "--review", help="Uncertain: put into needs_review."),
    reason: str = typer.Option("", "--reason"),
) -> None:
    """Give documents their class (state classified, or needs_review with --review)."""
    with acting_archive() as (archive, session, actor):
        schedule = filing.schedule_for(archive.settings)
        for doc_id in documents:
            doc = filing.classify(session, actor, schedule, doc_id, class_code, review=review,
                                  reason=reason)
            err_console.print(f"document {doc.id}: {doc.status}, class {doc.class_code}")


@lifecycle_app.command("file")
def file_command(
    documents: list[int] = typer.Argument(..., help="Document ids."),
    file_ref: str | None = typer.Option(None, "--file", help="File id or number; default: the "
                                        "open file of the document's year, class and division."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """File classified documents into a file (案卷): they become archived."""
    placed = []
    with acting_archive() as (archive, session, actor):
        schedule = filing.schedule_for(archive.settings)
        file_id = filing.find_file(session, file_ref).id if file_ref else None
        for doc_id in documents:
            a = filing.file_document(session, actor, schedule, doc_id, file_id)
            placed.append({"document": doc_id, "item": filing.item_number(a.file, a)})
    if as_json:
        print_json({"filed": placed})
        return
    for p in placed:
        err_console.print(f"document {p['document']} filed as {p['item']}")


@lifecycle_app.command("history")
def history(document_id: int = typer.Argument(...),
            as_json: bool = typer.Option(False, "--json")) -> None:
    """Every state change of a document: when, who, why."""
    with acting_archive() as (_archive, session, actor):
        actor.require(Perm.search)
        doc = access.visible_document(session, actor, document_id)
        view = document_history(session, doc)
    if as_json:
        print_json(view.to_json())
        return
    console.print(f"document {view.document}: {view.status}")
    for e in view.events:
        console.print(f"  {e.at:%Y-%m-%d %H:%M} {e.from_state} -> {e.to_state} by {e.actor}: "
                      f"{escape(e.reason)}")


@lifecycle_app.command("files")
def files(as_json: bool = typer.Option(False, "--json")) -> None:
    """Every file (案卷) with its dates, retention and due date."""
    with acting_archive() as (_archive, session, actor):
        actor.require(Perm.search)
        query = select(RecordFile).order_by(RecordFile.year, RecordFile.class_code,
                                            RecordFile.case_no)
        rows = [filing.file_dict(session, f) for f in session.scalars(query)]
    if as_json:
        print_json({"files": rows})
        return
    table = Table()
    for col in ("id", "number", "title", "docs", "dates", "retention", "due"):
        table.add_column(col)
    for r in rows:
        table.add_row(str(r["id"]), r["number"], escape(r["title"]), str(len(r["documents"])),
                      f"{r['date_from']}..{r['date_to']}", str(r["retention"]),
                      str(r["due_date"] or ""))
    console.print(table)


@lifecycle_app.command("event")
def event(
    file_ref: str = typer.Argument(..., help="File id or number."),
    name: str = typer.Argument(..., help="Event name, e.g. contract_end."),
    when: str = typer.Argument(..., help="Date (ISO or ROC)."),
) -> None:
    """Record a trigger event of a file (event-based retention starts from it)."""
    with acting_archive() as (archive, session, actor):
        schedule = filing.schedule_for(archive.settings)
        file = filing.find_file(session, file_ref)
        filing.record_event(session, actor, schedule, file.id, name, day(when))
        err_console.print(f"file {file.number}: {name} on {when}; due {file.due_date}")


@lifecycle_app.command("declassify")
def declassify(
    document: int | None = typer.Option(None, "--document"),
    file_ref: str | None = typer.Option(None, "--file", help="File id or number."),
    reference: str = typer.Option(..., "--ref", help="Declassification order number."),
    reason: str = typer.Option(..., "--reason"),
) -> None:
    """Record the declassification of a document or a whole file."""
    if (document is None) == (file_ref is None):
        raise typer.BadParameter("give exactly one of --document or --file")
    with acting_archive() as (_archive, session, actor):
        if document is not None:
            scope, target = "document", document
        else:
            scope, target = "file", filing.find_file(session, file_ref or "").id
        secrecy.declassify(session, actor, scope, target, reference, reason)
    err_console.print(f"declassification of {scope} {target} recorded")


@lifecycle_app.command("mark")
def mark(
    document: int = typer.Argument(..., help="Document id."),
    level: str = typer.Option(..., "--level", help="密, 機密, 極機密 or 絕對機密 (or public, "
                              "internal, restricted, confidential, secret, top_secret)."),
    condition: str | None = typer.Option(None, "--condition", help="解密條件 as printed."),
    declassify_on: str | None = typer.Option(None, "--declassify-on",
                                             help="End of the 保密期限 (ISO or ROC)."),
    review_on: str | None = typer.Option(None, "--review-on", help="Next review (ISO or ROC)."),
    reason: str = typer.Option("", "--reason"),
) -> None:
    """Record a document's confidentiality level, declassification condition or date, review."""
    with acting_archive() as (_archive, session, actor):
        doc = secrecy.mark(session, actor, document, level, condition=condition,
                           declassify_on=day(declassify_on) if declassify_on else None,
                           review_on=day(review_on) if review_on else None, reason=reason)
        data = secrecy.marking_dict(doc)
    print_json({"document": document, **data})


@lifecycle_app.command("secrecy-reviews")
def secrecy_reviews(on: str | None = typer.Option(None, "--on", help="Date (ISO or ROC); "
                                                  "default today.")) -> None:
    """Classified documents whose review date has come, or that have none (JSON)."""
    with acting_archive() as (_archive, session, actor):
        actor.require(Perm.declassify)
        docs = secrecy.reviews_due(session, day(on) if on else today())
        print_json({"documents": [{"id": d.id, **secrecy.marking_dict(d)} for d in docs]})
