"""The ``records`` command: assembles the command groups and maps errors to exit codes.

This is the one place where an exception becomes a message and an exit code
(see ``docs/exit-codes.md``); everything below it raises.
"""

from __future__ import annotations

from typing import Any

import click
import typer
from typer.core import TyperGroup

from commands import ingest, records
from commands.common import err_console
from pipeline.errors import RecordsError


class RecordsGroup(TyperGroup):
    """Turns a RecordsError anywhere below into a one-line message and its exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except RecordsError as exc:
            err_console.print(f"[red]error:[/] {exc}", highlight=False, markup=True)
            raise typer.Exit(int(exc.exit_code)) from None


app = typer.Typer(
    cls=RecordsGroup,
    help="Records pipeline of the Tainan City Government Secretariat: scan, archive, search.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

for group in (ingest.app, records.app):
    app.registered_commands.extend(group.registered_commands)
    app.registered_groups.extend(group.registered_groups)


if __name__ == "__main__":
    app()
