"""Who runs a command: the login token (``RECORDS_TOKEN`` or the saved one) and the session
every lifecycle command runs in."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import platformdirs
import typer
from sqlalchemy.orm import Session

from commands.common import open_archive
from pipeline.archive import Archive
from pipeline.auth import Actor, resolve_actor
from pipeline.dates import parse_date
from pipeline.errors import ConfigError

TOKEN_ENV = "RECORDS_TOKEN"


def token_path() -> Path:
    return platformdirs.user_config_path("tainan-records") / "token"


def load_token() -> str | None:
    """``RECORDS_TOKEN`` if set (scripts), else the token ``records login`` saved."""
    if token := os.environ.get(TOKEN_ENV, "").strip():
        return token
    path = token_path()
    return (path.read_text(encoding="utf-8").strip() or None) if path.is_file() else None


def save_token(token: str) -> Path:
    """Write the token readable by its owner only (0600)."""
    path = token_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(token + "\n")
    os.chmod(path, 0o600)
    return path


def forget_token() -> None:
    token_path().unlink(missing_ok=True)


def read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("password", hide_input=True))


def day(value: str) -> date:
    """A date given on the command line, ISO or ROC (``2100-01-01``, ``189.01.01``)."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        return parse_date(value)


@contextmanager
def acting(archive: Archive) -> Iterator[tuple[Session, Actor]]:
    """One transaction as the logged-in user (or the demo visitor): commit or nothing."""
    with archive.transaction() as session:
        yield session, resolve_actor(session, load_token())


def current_actor(archive: Archive) -> Actor:
    """Who is acting, for commands that run their own transactions."""
    with archive.session() as session:
        return resolve_actor(session, load_token())


@contextmanager
def acting_archive() -> Iterator[tuple[Archive, Session, Actor]]:
    with open_archive() as archive, acting(archive) as (session, actor):
        yield archive, session, actor


def require_text(value: str, what: str) -> str:
    if not value.strip():
        raise ConfigError(f"{what} must not be empty")
    return value
