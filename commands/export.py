"""``records export NAME``: files written from typed records (e.g. the gifts OpenData file)."""

from __future__ import annotations

import io
from pathlib import Path

import typer
from rich.markup import escape

from commands.common import err_console, open_archive
from pipeline.record_types import Period, installed_types

app = typer.Typer()


@app.command("export")
def export(
    name: str = typer.Argument(..., help="Export name, e.g. gifts (records types lists them)."),
    year: int | None = typer.Option(None, "--year", help="Calendar year; ROC years (112) too."),
    month: str | None = typer.Option(None, "--month", help="A month, YYYY-MM."),
    fmt: str = typer.Option("csv", "--format", help="csv or json"),
    out: Path | None = typer.Option(None, "--out", help="Write here instead of stdout."),
) -> None:
    """Write an export of one period as UTF-8 CSV or JSON (see docs/opendata-gifts.md)."""
    exporter = installed_types().export(name)
    period = Period.from_options(year, month)
    with open_archive() as archive, archive.session() as session:
        rows = exporter.rows(session, period)
        warnings = exporter.check(session, period)
    buffer = io.StringIO()
    exporter.write(rows, fmt, buffer)
    if out is None:
        typer.echo(buffer.getvalue(), nl=False)
    else:
        out.write_text(buffer.getvalue(), encoding="utf-8", newline="")
    for warning in warnings:
        err_console.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False, soft_wrap=True)
    err_console.print(f"{name} {period.label}: {len(rows)} rows", highlight=False)
