"""Finding input files and telling what they are.

Types are decided by content (magic bytes), never by the file name: a scanner
station or a hostile sender can name a file anything.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pipeline.di.sniff import is_package_dir
from pipeline.errors import ConfigError, InputFileError, UnsupportedFileType

#: a file at the top of an input folder listing glob patterns to leave out
IGNORE_FILE = ".recordsignore"
MANIFEST_NAMES = ("manifest.csv", "manifest.json")

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"II+\x00", "image/tiff"),  # BigTIFF
    (b"MM\x00+", "image/tiff"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)


@dataclass(frozen=True)
class InputFile:
    """A file to ingest and the name it is known by in the batch (for the manifest)."""

    path: Path
    name: str


def sniff(path: Path) -> str:
    """The media type of ``path`` from its first bytes; raises for anything unsupported."""
    try:
        with path.open("rb") as fh:
            head = fh.read(1024)
    except OSError as exc:
        raise InputFileError(f"unreadable file: {exc.strerror or exc}") from exc
    if not head:
        raise InputFileError("empty file (0 bytes)")
    for magic, media_type in _MAGIC:
        if head.startswith(magic):
            return media_type
    if b"%PDF-" in head:  # PDF spec allows junk before the header
        return "application/pdf"
    raise UnsupportedFileType("unsupported file type (not PDF, TIFF, PNG or JPEG)")


def discover(paths: Iterable[Path]) -> list[InputFile]:
    """All files under ``paths`` (recursively), in a stable order.

    Hidden files, manifests and patterns from a ``.recordsignore`` at the top of
    a folder are left out; everything else is an input, good or bad.
    """
    found: list[InputFile] = []
    for root in paths:
        if root.is_dir():
            found.extend(_walk(root, _ignore_patterns(root)))
        else:
            found.append(InputFile(root, root.name))
    return found


def _walk(root: Path, patterns: list[str]) -> list[InputFile]:
    if is_package_dir(root):  # a born-digital package given on its own
        return [InputFile(root, root.name)]
    files: list[InputFile] = []
    packages: list[Path] = []  # a package folder is one input, its files are its parts
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if any(part.startswith(".") for part in path.relative_to(root).parts):
            continue
        if rel in MANIFEST_NAMES or any(path.is_relative_to(p) for p in packages):
            continue
        if any(fnmatch.fnmatch(rel, pat) for pat in patterns):
            continue
        if path.is_dir():
            if is_package_dir(path):
                packages.append(path)
                files.append(InputFile(path, rel))
            continue
        files.append(InputFile(path, rel))
    return files


def _ignore_patterns(root: Path) -> list[str]:
    ignore = root / IGNORE_FILE
    if not ignore.is_file():
        return []
    lines = ignore.read_text(encoding="utf-8").splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]


def find_manifest(paths: Iterable[Path]) -> Path | None:
    """A ``manifest.csv`` or ``manifest.json`` at the top of the first folder that has one."""
    for root in paths:
        for name in MANIFEST_NAMES:
            if root.is_dir() and (root / name).is_file():
                return root / name
    return None


def require_exists(paths: Iterable[Path]) -> list[Path]:
    """The given paths, or a ConfigError naming the first that does not exist."""
    result = []
    for p in paths:
        if not p.exists():
            raise ConfigError(f"no such file or folder: {p}")
        result.append(p)
    return result
