"""Recognising born-digital packages by content: a folder holding a DI or SI, or a zip."""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from pipeline.di.parse import ROOT_KINDS, SI_ROOT

ROSTER_ROOT = "交換表單"
ZIP_MAGIC = b"PK\x03\x04"
HEAD_BYTES = 8192
_ENCODINGS = ("utf-8", "cp950")


def _root_patterns() -> dict[str, re.Pattern[bytes]]:
    names = {**{k: "di" for k in ROOT_KINDS}, SI_ROOT: "si", ROSTER_ROOT: "roster"}
    out: dict[str, re.Pattern[bytes]] = {}
    for name, role in names.items():
        alts = b"|".join(re.escape(name.encode(enc)) for enc in _ENCODINGS)
        pattern = rb"<(?:!DOCTYPE\s+)?(?:" + alts + rb")[\s>/\[]"
        out[f"{role}:{name}"] = re.compile(pattern)
    return out


_PATTERNS = _root_patterns()


def xml_role(path: Path) -> str | None:
    """``di``, ``si`` or ``roster`` when the file's first bytes are such XML, else None."""
    try:
        with path.open("rb") as fh:
            head = fh.read(HEAD_BYTES)
    except OSError:
        return None
    head = head.removeprefix(codecs.BOM_UTF8).lstrip()
    if not head.startswith(b"<"):
        return None
    found = [(m.start(), key) for key, p in _PATTERNS.items() if (m := p.search(head))]
    return min(found)[1].split(":")[0] if found else None


def is_package_dir(path: Path) -> bool:
    """A folder is a package when a file directly inside it is a DI or SI."""
    if not path.is_dir():
        return False
    return any(f.is_file() and xml_role(f) in ("di", "si") for f in sorted(path.iterdir())
               if not f.name.startswith("."))


def is_zip(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(4) == ZIP_MAGIC
    except OSError:
        return False


def is_package(path: Path) -> bool:
    """Whether ``path`` goes through the package intake (a package folder or any zip)."""
    return path.is_dir() or is_zip(path)
