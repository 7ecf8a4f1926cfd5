"""The admin's page of login lockouts: who is locked out after too many failed log-ins,
and the button that lifts a lockout (``records user lockouts`` / ``records user unlock``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form
from fastapi.responses import Response
from sqlalchemy.orm import Session

from pipeline import auth, throttle
from pipeline.auth import Perm
from web.auth import check_csrf
from web.context import Ctx, page_ctx
from web.routes.queues import act

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])
PageCtx = Annotated[Ctx, Depends(page_ctx)]


@router.get("/admin/lockouts")
def lockouts_page(ctx: PageCtx) -> Response:
    ctx.user.require(Perm.manage_users)
    with ctx.session() as session:
        rows = throttle.active(session, datetime.now(UTC))
    return ctx.render("lockouts.html", lockouts=rows, limits=throttle.LIMITS,
                      window=int(throttle.WINDOW.total_seconds() // 60),
                      lockout=int(throttle.LOCKOUT.total_seconds() // 60))


@router.post("/admin/lockouts/lift")
def lift(ctx: PageCtx, scope: Annotated[throttle.Scope, Form()],
         key: Annotated[str, Form(max_length=throttle.KEY_LENGTH)]) -> Response:
    ctx.user.require(Perm.manage_users)

    def change(session: Session) -> str:
        auth.lift_lockout(session, ctx.user, scope, key)
        return ctx.t("lockouts.lifted", key=key)

    return act(ctx, "/admin/lockouts", change)
