"""``records types``: the installed record types, their fields, exports and reports."""

from __future__ import annotations

from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from commands.common import console, print_json
from pipeline.record_types import installed_types

app = typer.Typer()


@app.command("types")
def types_(as_json: bool = typer.Option(False, "--json")) -> None:
    """Installed record types (built-in and plugins) with their fields."""
    data = installed_types().describe()
    if as_json:
        print_json(data)
        return
    for rtype in data:
        console.print(_table(rtype))


def _table(rtype: dict[str, Any]) -> Table:
    labels = rtype["labels"]
    table = Table(title=f"{rtype['name']}: {labels['zh-TW']} / {labels['en']}",
                  caption=_caption(rtype), caption_justify="left")
    for col in ("field", "type", "title", "description"):
        table.add_column(col)
    for f in rtype["fields"]:
        kind = f["type"] + (f" ({f['format']})" if f["format"] else "")
        table.add_row(f["name"], kind, escape(f["title"] or ""), escape(f["description"] or ""))
    return table


def _caption(rtype: dict[str, Any]) -> str:
    parts = [f"class {rtype['proposed_class'] or '-'}", f"default {rtype['confidentiality']}"]
    if rtype["fallback"]:
        parts.append("general type (fallback)")
    if rtype["exports"]:
        parts.append("exports: " + ", ".join(rtype["exports"]))
    if rtype["reports"]:
        parts.append("reports: " + ", ".join(rtype["reports"]))
    parts.append(f"from {rtype['source']}")
    return escape("; ".join(parts))

