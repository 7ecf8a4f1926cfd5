"""``records backup DEST`` and ``records restore SRC``: the embedded archive, copied and back."""

from __future__ import annotations

from pathlib import Path

import typer

from commands.access import current_actor
from commands.common import err_console, load_settings, open_archive, print_json
from pipeline import backup as core
from pipeline.errors import ConfigError

app = typer.Typer()


@app.command("backup")
def backup_command(
    dest: Path = typer.Argument(..., help="New folder for the backup (must not exist yet)."),
    link: bool = typer.Option(
        False, "--link", help="Hard-link store blobs instead of copying (same file system)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Copy database, store blobs and audit anchor consistently, even while ingest runs."""
    with open_archive() as archive:
        summary = core.backup(archive, dest, current_actor(archive), link)
    if as_json:
        print_json(summary)
        return
    err_console.print(
        f"backup {summary['dest']}: {summary['documents']} documents, {summary['pages']} pages, "
        f"{summary['blobs']} blobs, {summary['bytes']} bytes; manifest SHA-256 "
        f"{summary['manifest_sha256']}"
    )


@app.command("restore")
def restore_command(
    src: Path = typer.Argument(..., help="A folder written by `records backup`."),
    force: bool = typer.Option(
        False, "--force", help="Move a non-empty RECORDS_HOME aside (never deleted) first."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Restore a backup into RECORDS_HOME, checking every hash, then verify the result."""
    settings = load_settings()
    if not settings.is_sqlite:
        raise ConfigError("records restore brings back the embedded SQLite archive only")
    manifest = core.read_manifest(src)
    summary = core.restore(src, settings.home, force)
    with open_archive(settings) as archive:
        summary["verified"] = core.verify_restored(archive, manifest)
    if as_json:
        print_json(summary)
        return
    moved = (
        f" (previous contents moved to {summary['moved_aside']})" if summary["moved_aside"] else ""
    )
    err_console.print(
        f"restored {summary['documents']} documents, {summary['blobs']} blobs into "
        f"{summary['home']}{moved}; audit chain and fixity verified"
    )
