"""Hot folder: which files has the scanning station finished writing?

A file is ready when its size and modification time have not changed for a
settling period; files a scanner writes under a temporary name (``*.part``,
``*.tmp``, ``~*``) are never ready. Polling, not inotify, because scanning
stations usually write to network shares where change events do not arrive.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import PurePosixPath

from pipeline.intake import InputFile

TEMPORARY_PATTERNS = ("*.part", "*.tmp", "*.crdownload", "~*", "*.filepart")


@dataclass
class _Seen:
    size: int
    mtime: float
    since: float


class StabilityTracker:
    """Hands out each finished file once; a file rewritten later is handed out again."""

    def __init__(self, settle_seconds: float) -> None:
        self.settle = settle_seconds
        self.seen: dict[str, _Seen] = {}
        self.done: set[tuple[str, int, float]] = set()

    def ready(self, items: list[InputFile], now: float) -> list[InputFile]:
        out = []
        for item in items:
            if is_temporary(item.name):
                continue
            try:
                st = item.path.stat()
            except OSError:
                continue  # vanished or unreadable for now; look again next round
            key = (item.name, st.st_size, st.st_mtime)
            if key in self.done or not self._stable(item.name, st.st_size, st.st_mtime, now):
                continue
            self.done.add(key)
            out.append(item)
        return out

    def _stable(self, name: str, size: int, mtime: float, now: float) -> bool:
        seen = self.seen.get(name)
        if seen is None or (seen.size, seen.mtime) != (size, mtime):
            self.seen[name] = _Seen(size, mtime, now)
            return False
        return now - seen.since >= self.settle


def is_temporary(name: str) -> bool:
    base = PurePosixPath(name).name
    return any(fnmatch.fnmatch(base, pat) for pat in TEMPORARY_PATTERNS)
