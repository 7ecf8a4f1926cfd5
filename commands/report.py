"""``records report NAME``: figures computed from typed records (e.g. time to repair)."""

from __future__ import annotations

import typer
from rich.markup import escape

from commands.common import console, open_archive, print_json
from pipeline.record_types import Period, installed_types

app = typer.Typer()


@app.command("report")
def report(
    name: str = typer.Argument(..., help="Report name, e.g. repairs (records types lists them)."),
    month: str | None = typer.Option(None, "--month", help="A month, YYYY-MM."),
    year: int | None = typer.Option(None, "--year", help="Calendar year; ROC years (112) too."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Compute a report over one month or year."""
    builder = installed_types().report(name)
    period = Period.from_options(year, month)
    with open_archive() as archive, archive.session() as session:
        data = builder.build(session, period)
    if as_json:
        print_json(data)
        return
    for line in builder.render(data):
        console.print(escape(line), highlight=False)
