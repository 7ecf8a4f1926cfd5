"""Content-addressed, write-once file store.

A blob lives at ``<root>/<kind>/<aa>/<bb>/<sha256>``. It is written to a
temporary file in the same folder, flushed and fsync'd, then linked into place
so that a crash never leaves a partial blob under its final name, and an
existing blob is never overwritten.
"""

from __future__ import annotations

import errno
import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from pipeline.errors import IntegrityFailure, StorageError

CHUNK = 1 << 20
#: errors that say the disk, not the input, is the problem: the batch stops (exit code 6)
DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS})


@contextmanager
def disk_errors(what: str) -> Iterator[None]:
    """Turn a full, over-quota or read-only disk into StorageError; other errors pass."""
    try:
        yield
    except OSError as exc:
        if exc.errno in DISK_ERRNOS:
            where = f" ({exc.filename})" if exc.filename else ""
            raise StorageError(f"{what}: {exc.strerror}{where}") from exc
        raise


@dataclass(frozen=True)
class Blob:
    """A stored blob: its hash, size and path relative to the store root."""

    sha256: str
    size: int
    relpath: str


def hash_file(path: Path) -> tuple[str, int]:
    """SHA-256 and size of a file, read in chunks."""
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as fh:
        for chunk in _chunks(fh):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _chunks(fh: BinaryIO) -> Iterator[bytes]:
    while chunk := fh.read(CHUNK):
        yield chunk


def fsync_dir(path: Path) -> None:
    """Make a rename or new entry in ``path`` durable (POSIX: fsync the directory)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class ContentStore:
    """Write-once blob store under one root folder."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def relpath(self, kind: str, sha256: str) -> str:
        return f"{kind}/{sha256[:2]}/{sha256[2:4]}/{sha256}"

    def path(self, relpath: str) -> Path:
        return self.root / relpath

    def put(self, source: Path, kind: str) -> Blob:
        """Copy ``source`` into the store (hashing while copying) and return its blob."""
        tmp_dir = self.root / "tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        try:
            fd, tmp_name = tempfile.mkstemp(dir=tmp_dir, prefix="put-")
        except OSError as exc:
            raise StorageError(f"cannot write to the store at {self.root}: {exc}") from exc
        tmp = Path(tmp_name)
        try:
            sha, size = self._copy_hashing(source, fd)
            return self._link_into_place(tmp, kind, sha, size)
        finally:
            tmp.unlink(missing_ok=True)

    def _copy_hashing(self, source: Path, fd: int) -> tuple[str, int]:
        digest, size = hashlib.sha256(), 0
        with os.fdopen(fd, "wb") as out, source.open("rb") as src:
            for chunk in _chunks(src):
                digest.update(chunk)
                size += len(chunk)
                try:
                    out.write(chunk)
                except OSError as exc:
                    raise StorageError(f"cannot write to the store: {exc}") from exc
            try:
                out.flush()
                os.fsync(out.fileno())
            except OSError as exc:
                raise StorageError(f"cannot flush the store: {exc}") from exc
        return digest.hexdigest(), size

    def _link_into_place(self, tmp: Path, kind: str, sha: str, size: int) -> Blob:
        rel = self.relpath(kind, sha)
        final = self.root / rel
        final.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(tmp, final)  # fails if present: never overwrite
        except FileExistsError:
            self._check_existing(final, sha)
            return Blob(sha, size, rel)
        except OSError as exc:
            raise StorageError(f"cannot store blob {sha}: {exc}") from exc
        os.chmod(final, 0o444)
        fsync_dir(final.parent)
        return Blob(sha, size, rel)

    def _check_existing(self, final: Path, sha: str) -> None:
        actual, _ = hash_file(final)
        if actual != sha:
            raise IntegrityFailure(f"stored blob {final} does not match its name (fixity failure)")

    def verify(self, relpath: str, sha256: str) -> bool:
        """True if the blob exists and still hashes to ``sha256``."""
        path = self.root / relpath
        return path.is_file() and hash_file(path)[0] == sha256

    def remove(self, relpath: str) -> None:
        """Remove a blob (only disposal may call this)."""
        path = self.root / relpath
        path.unlink(missing_ok=True)
        fsync_dir(path.parent)
