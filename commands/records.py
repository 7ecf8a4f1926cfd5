"""``records search``, ``records show`` and ``records status``: reading the archive."""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table

from commands.access import acting
from commands.common import console, open_archive, print_json
from pipeline import access
from pipeline.auth import Perm
from pipeline.dates import parse_date
from pipeline.search import SearchQuery
from pipeline.search.base import parse_field_filters
from pipeline.views import DocumentView, archive_status

app = typer.Typer()


def _rich_snippet(snippet: str) -> str:
    return (
        escape(snippet)
        .replace("&lt;mark&gt;", "[reverse]")
        .replace("&lt;/mark&gt;", "[/]")
        .replace("<mark>", "[reverse]")
        .replace("</mark>", "[/]")
    )


@app.command()
def search(
    query: str = typer.Argument(..., help='Words, numbers or a "quoted phrase".'),
    limit: int = typer.Option(10, "--limit", min=1, max=1000),
    offset: int = typer.Option(0, "--offset", min=0),
    division: str | None = typer.Option(None, "--division"),
    class_code: str | None = typer.Option(None, "--class"),
    status: str | None = typer.Option(None, "--status"),
    record_type: str | None = typer.Option(None, "--type"),
    field: list[str] = typer.Option(
        [], "--field", help="KEY=VALUE: a typed field must equal VALUE (repeatable)."
    ),
    sort: str = typer.Option("relevance", "--sort", help="relevance or date"),
    date_from: str | None = typer.Option(
        None, "--from", help="Documents dated on or after (2024-06-01, 113.06.01, 113年6月1日)."
    ),
    date_to: str | None = typer.Option(None, "--to", help="Documents dated on or before."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Full-text search over every page; hits name the document and the page.

    Snippets of confidential documents shown here are written to the audit trail."""
    with open_archive() as archive, acting(archive) as (session, actor):
        actor.require(Perm.search)
        filters = access.search_filters(
            actor, class_code=class_code, division=division, status=status,
            record_type=record_type, fields=parse_field_filters(field),
            date_from=parse_date(date_from) if date_from else None,
            date_to=parse_date(date_to) if date_to else None)
        result = archive.search.search(session, SearchQuery(query, filters, limit, offset, sort))
        access.audit_hits(session, actor, {h.document_id for h in result.hits}, "cli")
    if as_json:
        print_json(result.to_dict())
        return
    table = Table(title=f"「{query}」：{result.total} 件文件符合 ({result.total} matching)")
    for col in ("文件 doc", "頁 pages", "分數 score", "標題 title", "摘錄 snippet"):
        table.add_column(col)
    for h in result.hits:
        table.add_row(
            str(h.document_id),
            ", ".join(str(p) for p in h.pages or (h.page,)),
            f"{h.score:.2f}",
            escape(h.title or ""),
            _rich_snippet(h.snippet),
        )
    console.print(table)


@app.command()
def show(
    document_id: int = typer.Argument(...),
    text: bool = typer.Option(False, "--text", help="Include each page's text."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """One document: metadata, files and pages (a confidential one's view is audited)."""
    with_text = text or as_json
    with open_archive() as archive, acting(archive) as (session, actor):
        actor.require(Perm.search)
        # above the user's clearance it does not exist for them (as on the web)
        doc = access.visible_document(session, actor, document_id)
        access.audit_view(session, actor, doc, "metadata and text" if with_text else "metadata",
                          "cli")
        view = DocumentView.of(doc, with_text)
    if as_json:
        print_json(view.to_json())
        return
    for key, value in view.model_dump(exclude={"pages", "parts", "sign_offs"}).items():
        if value not in (None, {}, ""):
            console.print(f"[bold]{key}[/]: {escape(str(value))}")
    for p in view.pages:
        console.print(
            f"[bold]page {p.page}[/] ({p.source}, confidence {p.confidence}, "
            f"rotated {p.rotation}°, deskewed {p.skew}°)"
        )
        if p.text is not None:
            console.print(escape(p.text))
    for s in view.sign_offs:
        console.print(f"[bold]簽核 {s['seq']}[/] {s['signed_at'] or ''} {escape(s['unit'] or '')} "
                      f"{escape(s['title'] or '')} {escape(s['signer'] or '')} "
                      f"{escape(s['action'] or '')} {escape(s['opinion'] or '')}")


@app.command()
def status(as_json: bool = typer.Option(False, "--json")) -> None:
    """Counts of documents, pages, batches, quarantined and unfinished files."""
    with open_archive() as archive:
        view = archive_status(archive)
    if as_json:
        print_json(view.to_json())
        return
    for key, value in view.model_dump().items():
        console.print(f"[bold]{key}[/]: {escape(str(value))}")
