"""The ``records`` command: assembles the command groups and maps errors to exit codes.

This is the one place where an exception becomes a message and an exit code
(see ``docs/exit-codes.md``); everything below it raises. Every module in
``commands/`` that defines a Typer ``app`` contributes its commands; ``records serve``
is defined here, at the edge that may import both ``commands`` and ``web`` (which never
import each other).
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
from typing import Any

import typer
from typer.core import TyperGroup

import commands
from commands.common import err_console, load_settings
from pipeline import logs
from pipeline.errors import RecordsError


class RecordsGroup(TyperGroup):
    """Turns a RecordsError anywhere below into a one-line message and its exit code."""

    def invoke(self, ctx: Any) -> Any:  # click.Context; typer vendors its own click
        try:
            return super().invoke(ctx)
        except RecordsError as exc:
            err_console.print(f"[red]error:[/] {exc}", highlight=False)
            raise typer.Exit(int(exc.exit_code)) from None


app = typer.Typer(
    cls=RecordsGroup,
    help="Records pipeline of the Tainan City Government Secretariat: scan, archive, search.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _options(
    verbose: int = typer.Option(
        0, "--verbose", "-v", count=True,
        help="Log progress (-v) or everything (-vv) to stderr; default: RECORDS_LOG_LEVEL, "
        "else warnings only.",
    ),
) -> None:
    logs.setup(logs.level_from(verbose))


def _register() -> None:
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"commands.{info.name}")
        group = getattr(module, "app", None)
        if isinstance(group, typer.Typer):
            app.registered_commands.extend(group.registered_commands)
            app.registered_groups.extend(group.registered_groups)


_register()


@app.command()
def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", min=1, max=65535),
    secure_cookies: bool = typer.Option(
        False, "--secure-cookies", help="Send the session cookie over HTTPS only (behind TLS)."
    ),
) -> None:
    """Start the web application; log in with the users of `records user add`."""
    import uvicorn

    from web.app import create_app

    # JSON lines for a log collector; access lines at info unless RECORDS_LOG_LEVEL says less
    level = logs.level_from(ctx.find_root().params.get("verbose", 0), default=logging.INFO)
    logs.setup(level, json_lines=True)
    application = create_app(load_settings(), secure_cookies=secure_cookies)
    err_console.print(f"records web application on http://{host}:{port}/ (Ctrl-C to stop)")
    uvicorn.run(application, host=host, port=port, log_config=None,
                log_level=logging.getLevelName(level).lower(), proxy_headers=False)

if __name__ == "__main__":
    app()
