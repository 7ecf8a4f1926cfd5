"""The JSON API under ``/api``: the shapes of the CLI's ``--json`` output, bearer tokens.

Log in with ``POST /api/login`` (or use a token from ``records login --print-token``) and
send ``Authorization: Bearer <token>``. The same access rules as the pages hold: a
document above your clearance is 404, search never sees it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from pipeline import (
    access,
    audit,
    auth,
    dashboard,
    destruction,
    disposal,
    holds,
    review,
    views,
)
from pipeline.auth import Perm
from pipeline.errors import AccessDenied, NotFound
from pipeline.holds import HoldKind, HoldScope
from pipeline.search.base import SearchResult, clears
from web import services
from web.auth import Unauthenticated, client_address
from web.context import Ctx, anonymous_ctx, api_ctx
from web.params import Id, Limit, Offset
from web.routes.pages import download_response

bearer = HTTPBearer(auto_error=False, description="A login token of the users module")
router = APIRouter(prefix="/api", tags=["records"])
Json = dict[str, Any]


def api_context(request: Request,
                _credentials: Annotated[HTTPAuthorizationCredentials | None,
                                        Depends(bearer)] = None) -> Ctx:
    return api_ctx(request)


ApiCtx = Annotated[Ctx, Depends(api_context)]


class LoginBody(BaseModel):
    name: str
    password: str


class ApproveBody(BaseModel):
    reason: str
    authority_ref: str | None = Field(None, description="The archives authority's letter "
                                      "number; the item's list carries it, a given one must "
                                      "match it")


class RejectBody(BaseModel):
    reason: str
    authority_ref: str = ""


class ReviewBody(BaseModel):
    reason: str = ""
    file: bool = Field(default=False, description="Also file the document (state archived)")


class CorrectBody(ReviewBody):
    class_code: str = Field(description="A leaf class of the retention schedule")


class HoldBody(BaseModel):
    kind: HoldKind
    scope: HoldScope
    target: str
    reason: str
    reference: str | None = None


class ReleaseBody(BaseModel):
    reason: str


class TokenAnswer(BaseModel):
    token: str
    token_type: str
    expires_in: int


class Revoked(BaseModel):
    revoked: bool


@router.post("/login", summary="Log in; returns a bearer token")
def login(request: Request, body: LoginBody) -> TokenAnswer:
    ctx = anonymous_ctx(request)
    try:
        token = auth.login(ctx.archive, body.name, body.password, client_address(request))
    except AccessDenied as exc:
        raise Unauthenticated(str(exc), code=exc.code, **exc.params) from None
    return TokenAnswer(token=token, token_type="bearer",
                       expires_in=int(auth.TOKEN_TTL.total_seconds()))


@router.post("/logout", summary="Revoke the bearer token")
def logout(ctx: ApiCtx, request: Request) -> Revoked:
    token = request.headers.get("authorization", "").partition(" ")[2].strip()
    with ctx.session() as session:
        auth.revoke(session, token)
    return Revoked(revoked=True)


@router.get("/whoami", summary="Like `records whoami --json`")
def whoami(ctx: ApiCtx) -> views.WhoAmI:
    return views.WhoAmI.of(ctx.user)


@router.get("/search", summary="Like `records search --json`")
def search(
    ctx: ApiCtx, q: str, class_code: Annotated[str | None, Query(alias="class")] = None,
    division: str | None = None,
    year: Annotated[int | None, Query(ge=1, le=9999)] = None, status: str | None = None,
    record_type: Annotated[str | None, Query(alias="type")] = None, sort: str = "relevance",
    limit: Limit = 10, offset: Offset = 0,
    field: Annotated[list[str] | None, Query(description="KEY=VALUE, repeatable")] = None,
) -> SearchResult:
    ctx.user.require(Perm.search)
    params = services.SearchParams(q, class_code, division, year, status, record_type, sort,
                                   limit, offset, tuple(field or []))
    with ctx.session() as session:
        result = ctx.archive.search.search(session, services.search_query(params, ctx.user))
        access.audit_hits(session, ctx.user, {h.document_id for h in result.hits}, "api")
    return result


@router.get("/documents/{document_id}", summary="Like `records show --json`")
def document(ctx: ApiCtx, document_id: Id) -> views.DocumentView:
    with ctx.session() as session:
        doc = access.visible_document(session, ctx.user, document_id)
        access.audit_view(session, ctx.user, doc, "metadata and text", "api")
        return views.DocumentView.of(doc, True)


@router.get("/documents/{document_id}/history",
            summary="Like `records lifecycle history --json`")
def history(ctx: ApiCtx, document_id: Id) -> views.DocumentHistory:
    with ctx.session() as session:
        doc = access.visible_document(session, ctx.user, document_id)
        return views.document_history(session, doc)


@router.get("/documents/{document_id}/download/{kind}", summary="original or archival")
def download(ctx: ApiCtx, document_id: Id, kind: str) -> FileResponse:
    if kind not in ("original", "archival"):
        raise NotFound(f"no {kind} download")
    return download_response(ctx, document_id, kind, "api")


@router.get("/status", summary="Like `records status --json` (operators, full clearance)")
def status(ctx: ApiCtx) -> views.ArchiveStatus:
    if not (ctx.user.can(Perm.ingest) or ctx.user.can(Perm.audit_read)) \
            or not clears(ctx.user.clearance, "confidential"):
        raise AccessDenied("the archive status counts every record: operators with full "
                           "clearance only")
    return views.archive_status(ctx.archive)


@router.get("/dashboard", summary="Pages per month, backlogs, due this year")
def dashboard_data(ctx: ApiCtx) -> dashboard.Dashboard:
    ctx.user.require(Perm.search)
    with ctx.session() as session:
        return dashboard.measures(session, ctx.user, ctx.schedule, destruction.today())


@router.get("/review", summary="Like `records review list --json`")
def review_list(ctx: ApiCtx) -> Json:
    with ctx.session() as session:
        items, hidden = review.queue(session, ctx.user, ctx.schedule)
        return {"items": [i.to_dict() for i in items], "hidden": hidden}


@router.post("/review/{document_id}/accept", summary="Like `records review accept`")
def review_accept(ctx: ApiCtx, document_id: Id, body: ReviewBody) -> views.ReviewDecision:
    with ctx.session() as session:
        doc = services.review_decide(session, ctx.user, ctx.schedule, document_id, None,
                                     body.file, body.reason)
        return views.ReviewDecision.model_validate(doc)


@router.post("/review/{document_id}/correct", summary="Like `records review correct`")
def review_correct(ctx: ApiCtx, document_id: Id, body: CorrectBody) -> views.ReviewDecision:
    with ctx.session() as session:
        doc = services.review_decide(session, ctx.user, ctx.schedule, document_id,
                                     body.class_code, body.file, body.reason)
        return views.ReviewDecision.model_validate(doc)


@router.get("/disposal/queue", summary="Like `records disposal queue --json`")
def disposal_queue(ctx: ApiCtx) -> Json:
    with ctx.session() as session:
        return {"items": services.disposal_queue(session, ctx.user, ctx.schedule,
                                                 destruction.today())}


@router.post("/disposal/{item_id}/approve", summary="Like `records disposal approve --json`")
def disposal_approve(ctx: ApiCtx, item_id: Id, body: ApproveBody) -> views.ItemAnswers:
    with ctx.session() as session:
        access.visible_item(session, ctx.user, item_id)
        item = disposal.approve(session, ctx.user, ctx.schedule, item_id, body.reason,
                                (body.authority_ref or "").strip() or None)
        return views.ItemAnswers(items=[views.ItemAnswer.model_validate(item)])


@router.post("/disposal/{item_id}/reject", summary="Withdraw an item from the list")
def disposal_reject(ctx: ApiCtx, item_id: Id, body: RejectBody) -> views.ItemAnswers:
    with ctx.session() as session:
        item = access.visible_item(session, ctx.user, item_id)
        services.reject_item(session, ctx.user, item, body.reason, body.authority_ref)
        return views.ItemAnswers(items=[views.ItemAnswer.model_validate(item)])


@router.get("/holds", summary="Like `records hold list --json`")
def hold_list(ctx: ApiCtx, all: bool = False) -> Json:
    ctx.user.require(Perm.view_disposal)
    with ctx.session() as session:
        return {"holds": services.visible_holds(session, ctx.user, ctx.schedule, all)}


@router.post("/holds", summary="Like `records hold place --json`")
def hold_place(ctx: ApiCtx, body: HoldBody) -> Json:
    with ctx.session() as session:
        target = services.hold_target(session, ctx.user, body.scope, body.target)
        hold = holds.place(session, ctx.user, body.kind, body.scope, target, body.reason,
                           body.reference)
        return holds.hold_dict(hold)


@router.post("/holds/{hold_id}/release", summary="Like `records hold release`")
def hold_release(ctx: ApiCtx, hold_id: Id, body: ReleaseBody) -> Json:
    with ctx.session() as session:
        return holds.hold_dict(holds.release(session, ctx.user, hold_id, body.reason))


@router.get("/transfer/candidates", summary="Like `records transfer candidates`")
def transfer_candidates(ctx: ApiCtx) -> Json:
    ctx.user.require(Perm.transfer)
    with ctx.session() as session:
        lists = services.transfer_lists(session, ctx.user, ctx.schedule)
        return {"ready": lists["ready"], "blocked": lists["blocked"]}


@router.get("/transfers", summary="Like `records transfer list`")
def transfer_list(ctx: ApiCtx) -> Json:
    ctx.user.require(Perm.transfer)
    with ctx.session() as session:
        return {"transfers": services.transfer_lists(session, ctx.user, ctx.schedule)["transfers"]}


@router.get("/audit/log", summary="Like `records audit log --json`")
def audit_log(ctx: ApiCtx, target: str | None = None,
              limit: Annotated[int, Query(ge=1, le=10000)] = 50) -> views.AuditLog:
    ctx.user.require(Perm.audit_read)
    with ctx.session() as session:
        return views.audit_log(session, target, limit)


@router.get("/audit/verify", summary="Like `records audit verify --json`")
def audit_verify(ctx: ApiCtx) -> Json:
    ctx.user.require(Perm.audit_read)
    with ctx.session() as session:
        return audit.verify(session, ctx.archive.settings.home / audit.ANCHOR_NAME).to_dict()
