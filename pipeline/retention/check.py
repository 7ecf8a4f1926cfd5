"""``records rules check``: validate a schedule file or a rules directory, change nothing.

A file is loaded exactly as the pipeline would load it (:func:`load_schedule`); a
directory has every ``*.yaml``/``*.yml`` file loaded and then the choice of the schedule
in force made (:func:`load_rules_dir`), which also refuses two files claiming the same
version. Any problem raises :class:`~pipeline.errors.RulesError` (file, line, field) or
:class:`~pipeline.errors.ConfigError`; nothing reads or writes the archive.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pipeline.errors import ConfigError
from pipeline.retention.schedule import Schedule, load_rules_dir, load_schedule


@dataclass(frozen=True)
class FileSummary:
    path: Path
    schedule_id: str
    version: int
    effective_date: date
    classes: int
    leaves: int
    #: leaves with match rules (the others are filed by hand only)
    matchable: int

    def to_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "schedule_id": self.schedule_id,
                "version": self.version, "effective_date": self.effective_date.isoformat(),
                "classes": self.classes, "leaves": self.leaves, "matchable": self.matchable}


def summarize(path: Path, schedule: Schedule) -> FileSummary:
    leaves = schedule.leaf_classes()
    return FileSummary(path, schedule.schedule_id, schedule.version, schedule.effective_date,
                       len(schedule.classes), len(leaves), sum(1 for c in leaves if c.match))


def check_rules(path: Path) -> tuple[list[FileSummary], FileSummary]:
    """Every file checked, and the schedule in force (for a file: that file)."""
    if path.is_file():
        one = summarize(path, load_schedule(path))
        return [one], one
    if not path.is_dir():
        raise ConfigError(f"{path}: no such rules file or directory")
    files = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml"))
    checked = [summarize(p, load_schedule(p)) for p in files]
    chosen = load_rules_dir(path)
    in_force = next(c for c in checked
                    if (c.schedule_id, c.version) == (chosen.schedule_id, chosen.version))
    return checked, in_force
