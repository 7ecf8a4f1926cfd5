"""``records audit verify|log``: the hash-chained audit trail."""

from __future__ import annotations

import typer
from rich.markup import escape

from commands.access import acting_archive
from commands.common import console, err_console, print_json
from pipeline import audit
from pipeline.auth import Perm
from pipeline.errors import IntegrityFailure
from pipeline.views import audit_log

app = typer.Typer()
audit_app = typer.Typer(help="The audit trail: verify the hash chain, read entries.",
                        no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def verify(as_json: bool = typer.Option(False, "--json")) -> None:
    """Check every entry's hash and link; exit 10 naming the first bad entry."""
    with acting_archive() as (archive, session, actor):
        actor.require(Perm.audit_read)
        result = audit.verify(session, archive.settings.home / audit.ANCHOR_NAME)
    if as_json:
        print_json(result.to_dict())
    if not result.ok:
        raise IntegrityFailure(f"audit entry {result.first_bad}: {result.reason}")
    if not as_json:
        err_console.print(f"audit log intact: {result.entries} entries"
                          + ("" if result.anchored else " (no chain head recorded yet)"))


@audit_app.command("log")
def log(
    target: str | None = typer.Option(None, "--target", help="e.g. document:5, disposal_item:2"),
    limit: int = typer.Option(50, "--limit", min=1, max=10000),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """The newest audit entries (auditors, records officers, admins)."""
    with acting_archive() as (_archive, session, actor):
        actor.require(Perm.audit_read)
        view = audit_log(session, target, limit)
    if as_json:
        print_json(view.to_json())
        return
    for r in reversed(view.entries):
        console.print(f"{r.id:>6} {r.at:%Y-%m-%d %H:%M:%S} {r.actor:<16} "
                      f"{r.action:<28} {r.target} {escape(str(r.details))}")
