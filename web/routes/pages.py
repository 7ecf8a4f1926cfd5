"""Browser pages for everyone who may search: log-in, search, document, page images,
downloads and the dashboard."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from pipeline import access, auth, dashboard
from pipeline.auth import Perm
from pipeline.destruction import today
from pipeline.errors import AccessDenied, NotFound
from pipeline.states import State
from web import images, services
from web.auth import check_csrf, web_login, web_logout
from web.context import Ctx, anonymous_ctx, page_ctx, url_with
from web.params import Id, Limit, Offset, PageNo

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])
PageCtx = Annotated[Ctx, Depends(page_ctx)]


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/search", status_code=303)


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


def _safe_next(target: str | None) -> str:
    """Only local paths: a login link must not send the user elsewhere."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/search"


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    ctx = anonymous_ctx(request)
    with ctx.archive.session() as session:
        has_users = auth.has_users(session)
    return ctx.render("login.html", next=_safe_next(next), has_users=has_users,
                      expired=request.query_params.get("expired") == "1")


@router.post("/login")
def login_submit(request: Request, name: Annotated[str, Form()],
                 password: Annotated[str, Form()], next: Annotated[str, Form()] = "/search",
                 ) -> Response:
    ctx = anonymous_ctx(request)
    try:
        web_login(request, ctx.archive, name, password)
    except AccessDenied as exc:
        ctx.flash("error", ctx.error(exc) if exc.code == "auth.locked" else ctx.t("login.failed"))
        return ctx.redirect(url_with("/login", {"next": _safe_next(next)}))
    return ctx.redirect(_safe_next(next))


@router.post("/logout")
def logout(request: Request) -> Response:
    ctx = anonymous_ctx(request)
    web_logout(request, ctx.archive)
    return ctx.redirect("/login")


@router.get("/search")
def search_page(
    ctx: PageCtx, q: str = "", class_code: Annotated[str | None, Query(alias="class")] = None,
    division: str | None = None, year: str | None = None, status: str | None = None,
    record_type: Annotated[str | None, Query(alias="type")] = None,
    sort: str = "relevance", limit: Limit = 10,
    offset: Offset = 0,
    field: Annotated[list[str] | None, Query(description="KEY=VALUE, repeatable")] = None,
) -> Response:
    ctx.user.require(Perm.search)
    params = services.SearchParams(q.strip(), class_code or None, division or None,
                                   services.parse_year(year), status or None,
                                   record_type or None, sort, limit, offset,
                                   tuple(f for f in field or [] if f.strip()))
    result, docs = None, {}
    if params.q:
        with ctx.session() as session:
            result = ctx.archive.search.search(session, services.search_query(params, ctx.user))
            ids = {h.document_id for h in result.hits}
            access.audit_hits(session, ctx.user, ids, "web")
            docs = services.hit_documents(session, ids)
    return ctx.render("search.html", params=params, result=result, query=params.as_query(),
                      url_with=url_with, snippet=images.safe_snippet, schedule=ctx.schedule,
                      docs=docs)


@router.get("/documents/{document_id}")
def document_page(ctx: PageCtx, document_id: Id,
                  page: PageNo = 1, q: str = "") -> Response:
    with ctx.session() as session:
        doc = access.visible_document(session, ctx.user, document_id)
        access.audit_view(session, ctx.user, doc, f"page {page}", "web")
        record = services.document_record(session, ctx.schedule, doc)
        current = next((p for p in doc.pages if p.number == page), None)
        if current is None and doc.pages:
            raise NotFound(f"document {document_id} has no page {page}")
        boxes = images.hit_boxes(current, q) if current is not None and q else []
        lines = images.marked_lines(current.text, q) if current is not None else []
        return ctx.render(
            "document.html", doc=doc, page=current, boxes=boxes, lines=lines, q=q,
            may_original=access.may_download(ctx.user, doc, "original"),
            may_archival=access.may_download(ctx.user, doc, "archival"), **record)


@router.get("/documents/{document_id}/pages/{number}.png")
def page_image(ctx: PageCtx, document_id: Id, number: Id) -> FileResponse:
    with ctx.session() as session:
        doc = access.visible_document(session, ctx.user, document_id)
        if doc.status == State.disposed:
            raise NotFound(f"document {document_id} was destroyed")
        access.audit_view(session, ctx.user, doc, f"image {number}", "web")
        path = images.page_png(ctx.archive.store, ctx.archive.settings.home / "cache", doc,
                               number)
    return FileResponse(path, media_type="image/png",
                        headers={"Cache-Control": "private, max-age=3600"})


def download_response(ctx: Ctx, document_id: Id, kind: str, via: str) -> FileResponse:
    """The original or archival blob, if this user may download it (404 otherwise)."""
    with ctx.session() as session:
        doc = access.visible_document(session, ctx.user, document_id)
        blob = doc.original if kind == "original" else (doc.archival or doc.original)
        path = ctx.archive.store.path(blob.store_path)
        if not access.may_download(ctx.user, doc, kind) or not path.is_file():
            raise NotFound(f"no {kind} file of document {document_id} for you")
        access.audit_view(session, ctx.user, doc, f"download {kind}", via)
        name = doc.original_name if kind == "original" else f"document-{doc.id}.pdf"
        media = blob.media_type
    return FileResponse(path, media_type=media, filename=name)


@router.get("/documents/{document_id}/download/{kind}")
def download(ctx: PageCtx, document_id: Id, kind: str) -> FileResponse:
    if kind not in ("original", "archival"):
        raise NotFound(f"no {kind} download")
    return download_response(ctx, document_id, kind, "web")


@router.get("/dashboard")
def dashboard_page(ctx: PageCtx) -> Response:
    ctx.user.require(Perm.search)
    with ctx.session() as session:
        data = dashboard.measures(session, ctx.user, ctx.schedule, today())
    return ctx.render("dashboard.html", m=data)
