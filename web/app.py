"""The web application: ``create_app(settings)`` builds it, ``records serve`` runs it.

Everything needs a login except the login page, ``/healthz``, the static files and the
API's own documentation (``/api/docs``, ``/api/openapi.json``). Errors of the core map to
HTTP: not found (also: above your clearance) 404, not allowed 403 (401 for the API
without a valid token), refused by a lifecycle rule 409, invalid input 400.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from pipeline import filing
from pipeline.archive import Archive
from pipeline.errors import (
    AccessDenied,
    ConfigError,
    NotFound,
    NotPermitted,
    RecordsError,
    StorageError,
)
from pipeline.record_types.registry import installed_types
from pipeline.settings import Settings
from web import auth as web_auth
from web.apidocs import DOCS_CSP, mount_docs
from web.context import Ctx, anonymous_ctx, page_ctx, url_with
from web.i18n import LANG_COOKIE, LANGS, STRINGS
from web.routes import admin, api, pages, procedures, queues

STATIC = Path(__file__).resolve().parent / "static"
SESSION_COOKIE = "records_session"
SESSION_MAX_AGE = 12 * 3600
SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
#: the pages use no script and no inline style (the API docs page: web/apidocs.py)
CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; " \
      "frame-ancestors 'none'; form-action 'self'"


def status_for(exc: RecordsError) -> int:
    if isinstance(exc, web_auth.Unauthenticated):
        return 401
    for kind, code in ((NotFound, 404), (AccessDenied, 403), (NotPermitted, 409),
                       (ConfigError, 400), (StorageError, 503)):
        if isinstance(exc, kind):
            return code
    return 500


def record_type_labels() -> dict[str, dict[str, Any]]:
    """Display names of the installed record types and of their fields (title, format)."""
    return {t.name: {**dict(t.labels), "fields": {f["name"]: f for f in t.describe()["fields"]}}
            for t in installed_types().types}


def create_app(settings: Settings, secret: str | None = None,
               secure_cookies: bool = False) -> FastAPI:
    """The application for one archive; it opens the archive at start-up."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        app.state.archive.close()

    app = FastAPI(title="Tainan Secretariat records API", version="1",
                  docs_url=None, redoc_url=None, openapi_url="/api/openapi.json",
                  lifespan=lifespan)
    app.state.archive = Archive.open(settings)
    app.state.schedule = filing.schedule_for(settings)
    app.state.record_types = record_type_labels()
    configured = secret or getattr(settings, "web_secret", None)
    app.add_middleware(SessionMiddleware, secret_key=web_auth.load_secret(settings.home,
                                                                          configured),
                       session_cookie=SESSION_COOKIE, max_age=SESSION_MAX_AGE,
                       same_site="lax", https_only=secure_cookies)
    app.middleware("http")(_headers_and_lang)
    _handlers(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    mount_docs(app)
    for module in (pages, queues, procedures, admin, api):
        app.include_router(module.router)
    return app


async def _headers_and_lang(request: Request,
                            call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """Security headers on every answer; ``?lang=`` is remembered in a cookie."""
    response = await call_next(request)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    docs = request.url.path.startswith("/api/docs")
    response.headers.setdefault("Content-Security-Policy", DOCS_CSP if docs else CSP)
    lang = request.query_params.get("lang")
    if lang in LANGS:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")
    return response


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _handlers(app: FastAPI) -> None:
    app.exception_handler(web_auth.LoginRequired)(_login_required)
    app.exception_handler(web_auth.CsrfFailure)(_csrf_failure)
    app.exception_handler(RecordsError)(_records_error)
    app.exception_handler(RequestValidationError)(_invalid_request)
    app.exception_handler(StarletteHTTPException)(_http_error)


def _error_ctx(request: Request) -> Ctx:
    """The context of an error page: with the user's menu when the session has a user."""
    try:
        return page_ctx(request)
    except (web_auth.LoginRequired, RecordsError):
        return anonymous_ctx(request)


def _error_page(request: Request, code: int, message: str) -> Response:
    ctx = _error_ctx(request)
    return ctx.render("error.html", status_code=code, code=code,
                      heading=ctx.t(f"error.title.{code}") if f"error.title.{code}" in STRINGS
                      else ctx.t("error.title"), message=message)


async def _login_required(request: Request, exc: Exception) -> Response:
    expired = isinstance(exc, web_auth.LoginRequired) and exc.expired
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    params = {"next": target, "expired": "1" if expired else None}
    return RedirectResponse(url_with("/login", params), status_code=303)


async def _csrf_failure(request: Request, exc: Exception) -> Response:
    return _error_page(request, 403, anonymous_ctx(request).t("error.csrf"))


async def _records_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RecordsError)
    code = status_for(exc)
    if _is_api(request):
        headers = {"WWW-Authenticate": "Bearer"} if code == 401 else None
        return JSONResponse({"error": type(exc).__name__, "code": exc.code,
                             "message": str(exc), "exit_code": int(exc.exit_code)},
                            status_code=code, headers=headers)
    return _error_page(request, code, anonymous_ctx(request).error(exc))


async def _invalid_request(request: Request, exc: Exception) -> Response:
    """A parameter of the wrong form or out of range (an id of 20 digits, page 0): 400."""
    assert isinstance(exc, RequestValidationError)
    if _is_api(request):
        fields = [".".join(str(part) for part in e.get("loc", ())) for e in exc.errors()]
        return JSONResponse({"error": "ValidationError", "code": "request.invalid",
                             "message": "invalid or out-of-range parameters: "
                                        + ", ".join(fields), "fields": fields,
                             "exit_code": 2}, status_code=400)
    return _error_page(request, 400, anonymous_ctx(request).t("error.invalid"))


async def _http_error(request: Request, exc: Exception) -> Response:
    """Unknown URLs (404), wrong methods (405) and the like: JSON on the API, else a page."""
    assert isinstance(exc, StarletteHTTPException)
    code = exc.status_code
    if _is_api(request) or code < 400:
        return JSONResponse({"error": "HTTPError", "code": f"http.{code}",
                             "message": str(exc.detail), "exit_code": 9 if code == 404 else 2},
                            status_code=code, headers=exc.headers)
    t = anonymous_ctx(request).t
    key = f"error.{code}" if f"error.{code}" in STRINGS else "error.http"
    return _error_page(request, code, t(key))
