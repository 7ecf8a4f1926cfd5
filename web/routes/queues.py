"""The records officers' queues (review, disposal, transfer, holds) and the audit trail.

Each form posts to a route that calls the core function the CLI calls; a refusal of
the core (hold, two-person rule, missing permission...) comes back as a message on the
same page, and nothing is changed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Form
from fastapi.responses import Response
from sqlalchemy.orm import Session

from pipeline import access, audit, destruction, disposal, holds, transfer
from pipeline.auth import Perm
from pipeline.errors import RecordsError
from pipeline.holds import HoldKind, HoldScope
from web import procedures, services
from web.auth import check_csrf
from web.context import Ctx, page_ctx, url_with
from web.i18n import label
from web.params import Id, OptionalId

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])
PageCtx = Annotated[Ctx, Depends(page_ctx)]
AUDIT_PAGE = 50


def act(ctx: Ctx, back: str, change: Callable[[Session], str | None]) -> Response:
    """Run ``change`` in one transaction; flash its message or the core's refusal."""
    try:
        with ctx.session() as session:
            message = change(session)
    except RecordsError as exc:
        ctx.flash("error", ctx.error(exc))
    else:
        ctx.flash("ok", message or ctx.t("flash.done"))
    return ctx.redirect(back)


# ── classification review ────────────────────────────────────────────────────────────


@router.get("/review")
def review_page(ctx: PageCtx) -> Response:
    with ctx.session() as session:
        items = services.review_items(session, ctx.user, ctx.schedule)
    return ctx.render("review.html", items=items, classes=services.leaf_classes(ctx.schedule))


@router.post("/review/{document_id}")
def review_decide(ctx: PageCtx, document_id: Id, action: Annotated[str, Form()],
                  class_code: Annotated[str, Form()] = "",
                  file_now: Annotated[bool, Form()] = False,
                  reason: Annotated[str, Form()] = "") -> Response:
    """``accept`` the proposed class or ``correct`` it (``records review accept|correct``)."""
    code = None if action == "accept" else class_code.strip()

    def change(session: Session) -> str:
        doc = services.review_decide(session, ctx.user, ctx.schedule, document_id, code,
                                     file_now, reason.strip())
        return ctx.t("review.done", id=doc.id, code=doc.class_code,
                     status=label(ctx.t, "status", doc.status))

    return act(ctx, "/review", change)


# ── disposal ─────────────────────────────────────────────────────────────────────────


@router.get("/disposal")
def disposal_page(ctx: PageCtx) -> Response:
    with ctx.session() as session:
        items = services.disposal_queue(session, ctx.user, ctx.schedule, destruction.today())
        procedures.add_needs(session, ctx.schedule, items)
        lists = procedures.destruction_lists(session, ctx.user)
        unlisted = procedures.unlisted_count(session, ctx.user)
        closed = procedures.closed_items(session, ctx.user)
    return ctx.render("disposal.html", items=items, lists=lists, unlisted=unlisted,
                      closed=closed)


@router.post("/disposal/{item_id}/approve")
def disposal_approve(ctx: PageCtx, item_id: Id, reason: Annotated[str, Form()],
                     authority_ref: Annotated[str, Form()] = "") -> Response:
    """One officer's confirmation; the 核准文號 is the list's (a typed one must match it)."""
    def change(session: Session) -> str:
        access.visible_item(session, ctx.user, item_id)
        item = disposal.approve(session, ctx.user, ctx.schedule, item_id, reason,
                                authority_ref.strip() or None)
        return ctx.t("disposal.approved_flash", id=item.id,
                     status=label(ctx.t, "item", item.status))

    return act(ctx, "/disposal", change)


@router.post("/disposal/{item_id}/reject")
def disposal_reject(ctx: PageCtx, item_id: Id, reason: Annotated[str, Form()],
                    authority_ref: Annotated[str, Form()] = "") -> Response:
    def change(session: Session) -> str:
        item = access.visible_item(session, ctx.user, item_id)
        services.reject_item(session, ctx.user, item, reason, authority_ref)
        return ctx.t("disposal.done", id=item.id, status=label(ctx.t, "item", item.status))

    return act(ctx, "/disposal", change)


@router.post("/disposal/{item_id}/comment")
def disposal_comment(ctx: PageCtx, item_id: Id, text: Annotated[str, Form()]) -> Response:
    def change(session: Session) -> None:
        access.visible_item(session, ctx.user, item_id)
        disposal.comment(session, ctx.user, item_id, text)

    return act(ctx, "/disposal", change)


# ── transfer ─────────────────────────────────────────────────────────────────────────


@router.get("/transfer")
def transfer_page(ctx: PageCtx) -> Response:
    ctx.user.require(Perm.transfer)
    with ctx.session() as session:
        files = procedures.transfer_candidates(session, ctx.user, ctx.schedule)
        lists = services.transfer_lists(session, ctx.user, ctx.schedule)
    return ctx.render("transfer.html", files=files, transfers=lists["transfers"])


@router.post("/transfer/{transfer_id}/confirm")
def transfer_confirm(ctx: PageCtx, transfer_id: Id,
                     receipt_ref: Annotated[str, Form()]) -> Response:
    def change(session: Session) -> str:
        procedures.transfer_of(session, ctx.user, transfer_id)
        done = transfer.confirm(session, ctx.user, ctx.schedule, transfer_id, receipt_ref)
        return ctx.t("transfer.done", id=transfer_id, status=label(ctx.t, "transfer",
                                                                     done.status))

    return act(ctx, f"/transfer/{transfer_id}", change)


@router.post("/transfer/{transfer_id}/cancel")
def transfer_cancel(ctx: PageCtx, transfer_id: Id, reason: Annotated[str, Form()]) -> Response:
    def change(session: Session) -> str:
        procedures.transfer_of(session, ctx.user, transfer_id)
        done = transfer.cancel(session, ctx.user, transfer_id, reason)
        return ctx.t("transfer.done", id=transfer_id, status=label(ctx.t, "transfer",
                                                                     done.status))

    return act(ctx, f"/transfer/{transfer_id}", change)


# ── holds ────────────────────────────────────────────────────────────────────────────


@router.get("/holds")
def holds_page(ctx: PageCtx, all: bool = False) -> Response:
    ctx.user.require(Perm.view_disposal)
    with ctx.session() as session:
        data = services.visible_holds(session, ctx.user, ctx.schedule, all)
    return ctx.render("holds.html", holds=data, show_all=all, kinds=list(HoldKind),
                      scopes=list(HoldScope))


@router.post("/holds")
def hold_place(ctx: PageCtx, kind: Annotated[HoldKind, Form()],
               scope: Annotated[HoldScope, Form()], target: Annotated[str, Form()],
               reason: Annotated[str, Form()], reference: Annotated[str, Form()] = "",
               ) -> Response:
    def change(session: Session) -> str:
        resolved = services.hold_target(session, ctx.user, scope, target.strip())
        hold = holds.place(session, ctx.user, kind, scope, resolved, reason,
                           reference.strip() or None)
        return ctx.t("holds.placed", id=hold.id)

    return act(ctx, "/holds", change)


@router.post("/holds/{hold_id}/release")
def hold_release(ctx: PageCtx, hold_id: Id, reason: Annotated[str, Form()]) -> Response:
    return act(ctx, "/holds", lambda s: ctx.t(
        "holds.released_one", id=holds.release(s, ctx.user, hold_id, reason).id))


# ── audit trail ──────────────────────────────────────────────────────────────────────


@router.get("/audit")
def audit_page(ctx: PageCtx, target: str = "",
               before: OptionalId = None,
               verify: bool = False) -> Response:
    ctx.user.require(Perm.audit_read)
    with ctx.session() as session:
        entries = audit.entries(session, target.strip() or None, AUDIT_PAGE, before)
        check = audit.verify(session, ctx.archive.settings.home / audit.ANCHOR_NAME) \
            if verify else None
    older = url_with("/audit", {"target": target}, before=entries[-1].id) \
        if len(entries) == AUDIT_PAGE else None
    return ctx.render("audit.html", entries=entries, target=target, check=check, older=older)
