"""Per-request context: the archive, the acting user, the language, templates and flashes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from pipeline.archive import Archive
from pipeline.auth import Actor, Perm
from pipeline.errors import RecordsError
from pipeline.retention.schedule import Schedule
from web import auth as web_auth
from web.i18n import (
    LANG_COOKIE,
    Translator,
    error_text,
    label,
    pick_lang,
    show_date,
    show_datetime,
    translator,
)
from web.i18n_records import action_label, evidence_lines, sentence, target_label, term

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).resolve().parent / "templates"))
TEMPLATES.env.globals.update(label=label, Perm=Perm)
FLASH_KEY = "flash"


@dataclass
class Ctx:
    """What a route needs: who asks, in which language, against which archive."""

    request: Request
    archive: Archive
    schedule: Schedule
    actor: Actor | None
    lang: str
    t: Translator

    @property
    def user(self) -> Actor:
        if self.actor is None:
            raise web_auth.LoginRequired()
        return self.actor

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction; the audit anchor moves and a remote index hears of changes."""
        with self.archive.transaction() as session:
            yield session

    def error(self, exc: RecordsError) -> str:
        """A core error as this user's language says it."""
        return error_text(self.lang, exc, lambda text: sentence(text, self.lang)[0])

    def flash(self, kind: str, text: str) -> None:
        self.request.session.setdefault(FLASH_KEY, []).append([kind, text])

    def redirect(self, url: str) -> RedirectResponse:
        return RedirectResponse(url, status_code=303)

    def _type_label(self, name: str | None) -> str:
        labels = self.request.app.state.record_types.get(name or "", {})
        return str(labels.get(self.lang) or labels.get("zh-TW") or name or "")

    def _field_of(self, record_type: str | None, name: str) -> dict[str, Any]:
        """Title and format of a typed field (the key itself when the type does not say)."""
        fields = self.request.app.state.record_types.get(record_type or "", {}).get("fields", {})
        found: dict[str, Any] = fields.get(name) or {}
        return {"title": found.get("title") or name, "format": found.get("format")}

    def _lang_url(self) -> str:
        other = "en" if self.lang == "zh-TW" else "zh-TW"
        return url_with(self.request.url.path, dict(self.request.query_params), lang=other)

    def render(self, name: str, status_code: int = 200, **data: Any) -> HTMLResponse:
        flashes = self.request.session.pop(FLASH_KEY, [])
        context = {"t": self.t, "lang": self.lang, "actor": self.actor, "flashes": flashes,
                   "csrf": web_auth.csrf_token(self.request), "path": self.request.url.path,
                   "lang_url": self._lang_url(), "type_label": self._type_label,
                   "field_of": self._field_of,
                   "d": lambda v: show_date(v, self.lang),
                   "dt": lambda v: show_datetime(v, self.lang),
                   "dl": lambda v: show_date(v, self.lang, long=True),
                   "say": lambda text: sentence(text, self.lang),
                   "act_label": lambda a: action_label(a, self.lang),
                   "term": lambda k: term(k, self.lang),
                   "target_label": lambda v: target_label(v, self.lang),
                   "evidence": lambda e: evidence_lines(e or {}, self.lang), **data}
        return TEMPLATES.TemplateResponse(self.request, name, context, status_code=status_code)


def _base(request: Request) -> tuple[Archive, Schedule, str]:
    lang = pick_lang(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE))
    return request.app.state.archive, request.app.state.schedule, lang


def anonymous_ctx(request: Request) -> Ctx:
    archive, schedule, lang = _base(request)
    return Ctx(request, archive, schedule, None, lang, translator(lang))


def page_ctx(request: Request) -> Ctx:
    """Context of a browser page: the session's user, or LoginRequired."""
    ctx = anonymous_ctx(request)
    with ctx.archive.session() as session:
        ctx.actor = web_auth.session_actor(request, session)
    return ctx


def api_ctx(request: Request) -> Ctx:
    """Context of an API call: the bearer token's user, or 401."""
    ctx = anonymous_ctx(request)
    with ctx.archive.session() as session:
        ctx.actor = web_auth.api_actor(request, session)
    return ctx


def url_with(path: str, params: dict[str, Any], **changes: Any) -> str:
    """``path`` with the query ``params`` changed; None or "" removes a parameter."""
    merged = {**params, **changes}
    query = {k: v for k, v in merged.items() if v not in (None, "")}
    return f"{path}?{urlencode(query, doseq=True)}" if query else path
