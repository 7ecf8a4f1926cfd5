"""Batch manifests from the scanning station (CSV or JSON), joined by file name.

Columns: ``file, box, folder, division, operator, document_date``. The file
column is only a key to join on: it is never opened, so a hostile manifest
cannot point the pipeline at files outside the batch.
"""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from pipeline.errors import ConfigError

MAX_MANIFEST_BYTES = 20 * 1024 * 1024


class ManifestEntry(BaseModel):
    """What the scanning station knows about one file."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, coerce_numbers_to_str=True)

    file: str
    box: str | None = None
    folder: str | None = None
    division: str | None = None
    operator: str | None = None
    document_date: date | None = None
    #: the document's title as the scanning station records it (else pipeline.titles)
    title: str | None = None

    @field_validator("file")
    @classmethod
    def _relative(cls, value: str) -> str:
        path = PurePosixPath(value.replace("\\", "/"))
        bad = not path.parts or path.is_absolute() or ".." in path.parts
        if not value or bad or PureWindowsPath(path.as_posix()).drive:
            raise ValueError("must be a relative file name inside the batch")
        return path.as_posix()

    @field_validator("box", "folder", "division", "operator", "document_date", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if value == "" else value


class Manifest:
    """Manifest entries by relative path, with a fallback on the bare file name."""

    def __init__(self, entries: list[ManifestEntry]) -> None:
        self.by_path = {e.file: e for e in entries}
        names: dict[str, list[ManifestEntry]] = {}
        for e in entries:
            names.setdefault(PurePosixPath(e.file).name, []).append(e)
        self.by_name = {k: v[0] for k, v in names.items() if len(v) == 1}

    def lookup(self, name: str) -> ManifestEntry | None:
        return self.by_path.get(name) or self.by_name.get(PurePosixPath(name).name)

    def __len__(self) -> int:
        return len(self.by_path)


def load_manifest(path: Path) -> Manifest:
    """Parse a CSV or JSON manifest; a bad row raises ConfigError with its line."""
    if path.stat().st_size > MAX_MANIFEST_BYTES:
        raise ConfigError(f"{path}: manifest larger than {MAX_MANIFEST_BYTES} bytes")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    rows = _json_rows(path, text) if path.suffix.lower() == ".json" else _csv_rows(path, text)
    entries = []
    for line, row in rows:
        try:
            entries.append(ManifestEntry.model_validate(row))
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err["loc"])
            raise ConfigError(f"{path}:{line}: {field}: {err['msg']}") from exc
    return Manifest(entries)


def _csv_rows(path: Path, text: str) -> list[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(text.splitlines())
    try:
        return [(reader.line_num, dict(row)) for row in reader]
    except csv.Error as exc:  # a NUL byte, a field over the size limit
        raise ConfigError(f"{path}:{reader.line_num}: invalid CSV: {exc}") from exc


def _json_rows(path: Path, text: str) -> list[tuple[int, dict[str, Any]]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}:{exc.lineno}: invalid JSON: {exc.msg}") from exc
    except RecursionError as exc:
        raise ConfigError(f"{path}: invalid JSON: nested too deeply") from exc
    items = data.get("files") if isinstance(data, dict) else data
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ConfigError(f"{path}: expected a list of objects (or {{'files': [...]}})")
    return [(i + 1, item) for i, item in enumerate(items)]
