"""``records rules check``: validate retention rules before they are used."""

from __future__ import annotations

from pathlib import Path

import typer

from commands.common import console, load_settings, print_json
from pipeline.errors import ConfigError, RulesError
from pipeline.retention.check import FileSummary, check_rules

app = typer.Typer()
rules_app = typer.Typer(help="Retention rules (檔案保存年限區分表).", no_args_is_help=True)
app.add_typer(rules_app, name="rules")


def _failure(exc: ConfigError) -> dict[str, object]:
    if isinstance(exc, RulesError):
        return {"ok": False, "file": exc.path, "line": exc.line, "field": exc.field,
                "message": exc.message}
    return {"ok": False, "message": str(exc)}


@rules_app.command("check")
def check(
    path: Path | None = typer.Argument(None, help="A schedule file or a rules directory; "
                                       "default: the configured rules_dir."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Validate a schedule (file, line and field of the first problem; exit code 5).

    Reads the rules only: nothing stored in the archive is opened or changed.
    """
    target = path or load_settings().rules_dir
    try:
        checked, in_force = check_rules(target)
    except ConfigError as exc:
        if as_json:
            print_json(_failure(exc))
        raise
    if as_json:
        print_json({"ok": True, "files": [c.to_dict() for c in checked],
                    "in_force": in_force.to_dict()})
        return
    for c in checked:
        _print(c, c is in_force and len(checked) > 1)


def _print(c: FileSummary, in_force: bool) -> None:
    mark = " (in force)" if in_force else ""
    console.print(f"{c.path}: ok{mark} — {c.schedule_id} v{c.version}, effective "
                  f"{c.effective_date}, {c.classes} classes, {c.leaves} leaves "
                  f"({c.matchable} with match rules)", highlight=False)
