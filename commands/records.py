"""``records search``, ``records show`` and ``records status``: reading the archive."""

from __future__ import annotations

from typing import Any

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy import func, select

from commands.access import current_actor
from commands.common import console, open_archive, print_json
from commands.types import parse_field_filters
from pipeline.archive import Archive
from pipeline.auth import Perm
from pipeline.db.models import Batch, BatchItem, Document, Page, StoredFile
from pipeline.docheader import printed_values
from pipeline.errors import NotFound
from pipeline.search import SearchFilters, SearchQuery

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
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Full-text search over every page; hits name the document and the page."""
    with open_archive() as archive:
        actor = current_actor(archive)
        actor.require(Perm.search)
        filters = SearchFilters(
            class_code=class_code,
            division=division,
            status=status,
            record_type=record_type,
            fields=parse_field_filters(field),
            clearance=actor.clearance,
        )
        with archive.session() as session:
            query_ = SearchQuery(query, filters, limit, offset, sort)
            result = archive.search.search(session, query_)
    if as_json:
        print_json(result.to_dict())
        return
    table = Table(title=f"{result.total} pages match {query!r}")
    for col in ("doc", "page", "score", "title", "snippet"):
        table.add_column(col)
    for h in result.hits:
        table.add_row(
            str(h.document_id),
            str(h.page),
            f"{h.score:.2f}",
            escape(h.title or ""),
            _rich_snippet(h.snippet),
        )
    console.print(table)


def document_dict(doc: Document, with_text: bool) -> dict[str, Any]:
    """The shape ``records show --json`` prints (and the web API returns)."""
    return {
        "id": doc.id,
        "title": doc.title,
        "original_name": doc.original_name,
        "media_type": doc.media_type,
        "page_count": doc.page_count,
        "status": doc.status,
        "class_code": doc.class_code,
        "record_type": doc.record_type,
        "confidentiality": doc.confidentiality,
        "division": doc.division,
        "box": doc.box,
        "folder": doc.folder,
        "operator": doc.operator,
        "document_date": doc.document_date,
        "fields": doc.fields,
        "printed": printed_values(doc.printed),
        "sha256": doc.sha256,
        "batch_id": doc.batch_id,
        "created_at": doc.created_at,
        "original": doc.original.store_path,
        "archival": doc.archival.store_path if doc.archival else None,
        "pages": [_page_dict(p, with_text) for p in doc.pages],
    }


def _page_dict(p: Page, with_text: bool) -> dict[str, Any]:
    d: dict[str, Any] = {
        "page": p.number,
        "source": p.source,
        "confidence": p.confidence,
        "rotation": p.rotation,
        "skew": p.skew,
        "chars": len(p.text),
    }
    if with_text:
        d["text"] = p.text
    return d


@app.command()
def show(
    document_id: int = typer.Argument(...),
    text: bool = typer.Option(False, "--text", help="Include each page's text."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """One document: metadata, files and pages."""
    with open_archive() as archive:
        actor = current_actor(archive)
        actor.require(Perm.search)
        with archive.session() as session:
            doc = session.get(Document, document_id)
            # above the user's clearance it does not exist for them (as on the web)
            if doc is None or not _visible(doc, actor.clearance):
                raise NotFound(f"no document {document_id}")
            data = document_dict(doc, text or as_json)
    if as_json:
        print_json(data)
        return
    for key, value in data.items():
        if key != "pages" and value not in (None, {}, ""):
            console.print(f"[bold]{key}[/]: {escape(str(value))}")
    for p in data["pages"]:
        console.print(
            f"[bold]page {p['page']}[/] ({p['source']}, confidence {p['confidence']}, "
            f"rotated {p['rotation']}°, deskewed {p['skew']}°)"
        )
        if text:
            console.print(escape(p["text"]))


def _visible(doc: Document, clearance: str) -> bool:
    return doc.confidentiality in SearchFilters(clearance=clearance).visible_levels()


def status_dict() -> dict[str, Any]:
    with open_archive() as archive:
        return archive_status(archive)


def archive_status(archive: Archive) -> dict[str, Any]:
    """The shape ``records status --json`` prints (and ``GET /api/status`` returns)."""
    with archive.session() as session:
        docs = session.scalar(select(func.count(Document.id))) or 0
        pages = session.scalar(select(func.count(Page.id))) or 0
        by_status = dict(
            session.execute(
                select(Document.status, func.count(Document.id)).group_by(Document.status)
            ).all()
        )
        quarantined = (
            session.scalar(
                select(func.count(func.distinct(BatchItem.path))).where(
                    BatchItem.outcome == "quarantined"
                )
            )
            or 0
        )
        pending = (
            session.scalar(
                select(func.count(StoredFile.id)).where(
                    StoredFile.kind == "original",
                    ~StoredFile.sha256.in_(select(Document.sha256)),
                    ~StoredFile.sha256.in_(
                        select(BatchItem.sha256).where(
                            BatchItem.outcome == "quarantined", BatchItem.sha256.is_not(None)
                        )
                    ),
                )
            )
            or 0
        )
        batches = session.scalar(select(func.count(Batch.id))) or 0
        size = session.scalar(select(func.coalesce(func.sum(StoredFile.size), 0))) or 0
        return {
            "home": str(archive.settings.home),
            "database": archive.engine.url.render_as_string(),
            "search_backend": archive.search.name,
            "documents": docs,
            "pages": pages,
            "by_status": by_status,
            "batches": batches,
            "quarantined_files": quarantined,
            "preserved_not_processed": pending,
            "store_bytes": int(size),
        }


@app.command()
def status(as_json: bool = typer.Option(False, "--json")) -> None:
    """Counts of documents, pages, batches, quarantined and unfinished files."""
    data = status_dict()
    if as_json:
        print_json(data)
        return
    for key, value in data.items():
        console.print(f"[bold]{key}[/]: {escape(str(value))}")
