"""Who is asking: browser sessions, CSRF tokens and API bearer tokens.

Both kinds of login are the login tokens of :mod:`pipeline.auth` (the users module):
the web login calls :func:`pipeline.auth.login`, which audits success and failure, and
keeps the token in the signed session cookie; every request turns it back into an
:class:`~pipeline.auth.Actor` with :func:`pipeline.auth.actor_for_token`, so a disabled
user, a revoked or an expired token stops working at once. Scripts send the same kind
of token as ``Authorization: Bearer <token>`` (from ``records login --print-token`` or
``POST /api/login``); the API takes no cookies, so it needs no CSRF token.

Every state-changing browser form carries the session's CSRF token (``csrf_token``
field or ``X-CSRF-Token`` header); a POST without the right one is refused with 403.
"""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session

from pipeline import auth
from pipeline.archive import Archive
from pipeline.audit import audited_session
from pipeline.auth import Actor
from pipeline.errors import AccessDenied

SECRET_NAME = "web-secret"
TOKEN_KEY = "token"
CSRF_KEY = "csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class LoginRequired(Exception):
    """The browser has no valid login: send it to the login page."""

    def __init__(self, expired: bool = False) -> None:
        super().__init__("login required")
        self.expired = expired


class CsrfFailure(Exception):
    """A state-changing request without the session's CSRF token."""


class Unauthenticated(AccessDenied):
    """An API call without a valid bearer token (HTTP 401, not 403)."""


def load_secret(home: Path, configured: str | None = None) -> str:
    """The session-signing secret: configured, else generated once under home (0600)."""
    if configured:
        return configured
    path = home / SECRET_NAME
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    home.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(secret + "\n")
    return secret


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use."""
    session: dict[str, Any] = request.session
    token = session.get(CSRF_KEY)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session[CSRF_KEY] = token
    return token


async def check_csrf(request: Request) -> None:
    """Router dependency: every unsafe method must echo the session's CSRF token."""
    if request.method in SAFE_METHODS:
        return
    expected = request.session.get(CSRF_KEY)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not isinstance(expected, str) or not sent or not hmac.compare_digest(expected, sent):
        raise CsrfFailure()


def session_actor(request: Request, db: Session) -> Actor:
    """The logged-in user of this browser session, or :class:`LoginRequired`."""
    token = request.session.get(TOKEN_KEY)
    if not isinstance(token, str):
        raise LoginRequired()
    try:
        return auth.actor_for_token(db, token)
    except AccessDenied:
        request.session.pop(TOKEN_KEY, None)
        raise LoginRequired(expired=True) from None


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def api_actor(request: Request, db: Session) -> Actor:
    """The user of the bearer token; AccessDenied (401) without a valid one."""
    token = bearer_token(request)
    if token is None:
        raise Unauthenticated("send Authorization: Bearer <token> (POST /api/login gives one)")
    try:
        return auth.actor_for_token(db, token)
    except AccessDenied as exc:
        raise Unauthenticated(str(exc)) from None


def client_address(request: Request) -> str | None:
    """The peer's address (behind a reverse proxy, run uvicorn with ``--forwarded-allow-ips``
    so that this is the client's and not the proxy's)."""
    return request.client.host if request.client else None


def web_login(request: Request, archive: Archive, name: str, password: str) -> None:
    """Log in (audited and throttled by the users module) and start a fresh session."""
    token = auth.login(archive, name, password, client_address(request))
    request.session.clear()
    request.session[TOKEN_KEY] = token
    csrf_token(request)


def web_logout(request: Request, archive: Archive) -> None:
    token = request.session.get(TOKEN_KEY)
    if isinstance(token, str):
        with audited_session(archive) as session:
            auth.revoke(session, token)
    request.session.clear()
