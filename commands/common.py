"""What every command shares: settings, the open archive, JSON and console output."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

import typer
from rich.console import Console

from pipeline.archive import Archive
from pipeline.settings import Settings

console = Console()
err_console = Console(stderr=True)


def load_settings() -> Settings:
    return Settings()


@contextmanager
def open_archive(settings: Settings | None = None) -> Iterator[Archive]:
    archive = Archive.open(settings or load_settings())
    try:
        yield archive
    finally:
        archive.close()


def _default(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def print_json(data: Any) -> None:
    """One JSON document on stdout (UTF-8, Chinese unescaped)."""
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=_default))
