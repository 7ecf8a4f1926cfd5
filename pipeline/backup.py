"""Backup and restore of the embedded archive (SQLite database + content store).

``backup`` takes a consistent copy while ingest keeps writing:

1. the database through SQLite's online backup API, in one step: a single read
   transaction, so the copy is the database as of one commit (WAL lets writers go on);
2. exactly the blobs that copy references (live ``files`` rows, destruction certificates,
   classifier models): blobs are write-once, so copying them after the snapshot gives the
   bytes the snapshot describes. Every blob is hashed while it is copied and must match;
   blobs of an executed disposal that wait for removal are left out (a backup never brings
   a destroyed record back);
3. the audit chain head of the copy as its anchor, after checking that the live anchor
   (read before the snapshot) is part of the copied chain;
4. ``manifest.json`` listing every file with its SHA-256.

Everything is written into ``DEST.partial-<pid>`` and renamed to ``DEST`` at the end, so a
backup folder either is complete or does not exist.

``restore`` checks every hash of a backup against its manifest while copying it into an
empty RECORDS_HOME (again through a temporary sibling renamed at the end).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from pipeline import audit, fixity
from pipeline.auth import Actor, Perm, has_users
from pipeline.db.models import (
    AuditEntry,
    ClassifierModel,
    Document,
    Page,
    StoredFile,
)
from pipeline.errors import AccessDenied, ConfigError, IntegrityFailure, StorageError
from pipeline.store import CHUNK, fsync_dir

if TYPE_CHECKING:
    from pipeline.archive import Archive

FORMAT = "tainan-records/backup"
VERSION = 1
MANIFEST = "manifest.json"
DB_NAME = "records.db"
STORE = "store"


@dataclass(frozen=True)
class Entry:
    """One file of a backup, relative to its folder."""

    path: str
    sha256: str
    size: int


# -- small file helpers ------------------------------------------------------------------


def copy_hashing(src: Path, dest: Path, expected: str | None = None) -> Entry:
    """Copy ``src`` to ``dest`` (fsync'd), hashing on the way; IntegrityFailure on mismatch."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    try:
        with src.open("rb") as fin, dest.open("xb") as fout:
            while chunk := fin.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                fout.write(chunk)
            fout.flush()
            os.fsync(fout.fileno())
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise StorageError(f"cannot copy {src} to {dest}: {exc}") from exc
    sha = digest.hexdigest()
    if expected is not None and sha != expected:
        dest.unlink()
        raise IntegrityFailure(f"{src} has SHA-256 {sha}, expected {expected} (corrupt)")
    return Entry(str(dest), sha, size)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@contextmanager
def staging(final: Path) -> Iterator[Path]:
    """A temporary sibling of ``final``, renamed to it on success, removed on failure."""
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f"{final.name}.partial-", dir=final.parent))
    try:
        yield tmp
        fsync_dir(tmp)
        os.rename(tmp, final)  # onto a missing or empty folder only
        fsync_dir(final.parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _require_empty(path: Path, what: str) -> None:
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise ConfigError(f"{what} {path} exists and is not empty")


# -- backup ------------------------------------------------------------------------------


def sqlite_path(archive: Archive) -> Path:
    if not archive.settings.is_sqlite or not archive.engine.url.database:
        raise ConfigError(
            "records backup copies the embedded SQLite archive; back up PostgreSQL with "
            "pg_dump and the store folder with your file backup"
        )
    return Path(archive.engine.url.database)


def snapshot_database(source: Path, dest: Path) -> None:
    """One consistent copy of a live SQLite database (online backup API, one step)."""
    try:
        with (
            closing(sqlite3.connect(source, timeout=60)) as src,
            closing(sqlite3.connect(dest)) as out,
        ):
            src.execute("PRAGMA busy_timeout=60000")
            src.backup(out)
            out.execute("PRAGMA journal_mode=DELETE")
            out.commit()
    except sqlite3.Error as exc:
        raise StorageError(f"cannot copy the database {source}: {exc}") from exc


def _check_actor(archive: Archive, actor: Actor) -> None:
    with archive.session() as session:
        if has_users(session) and not actor.can(Perm.manage_users):
            raise AccessDenied(f"{actor.name} may not back up the archive; log in as an admin")


def backup(archive: Archive, dest: Path, actor: Actor, link: bool = False) -> dict[str, Any]:
    """Write a complete, verified backup of the archive to the new folder ``dest``."""
    _check_actor(archive, actor)
    _require_empty(dest, "backup destination")
    source = sqlite_path(archive)
    anchor = audit.read_anchor(archive.settings.home / audit.ANCHOR_NAME)
    started = time.monotonic()
    with staging(dest) as tmp:
        snapshot_database(source, tmp / DB_NAME)
        manifest = _fill(archive, tmp, anchor, link)
        manifest["seconds"] = round(time.monotonic() - started, 3)
        _write_json(tmp / MANIFEST, manifest)
    digest = file_sha256(dest / MANIFEST)
    details = {"dest": str(dest), "manifest_sha256": digest, **manifest["counts"]}
    fixity.append_audit(archive, actor.name, "backup.create", "archive", details)
    return {"dest": str(dest), "manifest_sha256": digest, **_summary(manifest)}


def _fill(
    archive: Archive, tmp: Path, anchor: tuple[int, str] | None, link: bool
) -> dict[str, Any]:
    with _snapshot_session(tmp / DB_NAME) as session:
        head = _chain_head(session, anchor)
        wanted = _wanted_blobs(session)
        models = _models(session)
        counts = _counts(session)
    blobs = [_copy_blob(archive.store.root, tmp / STORE, rel, sha, link) for rel, sha in wanted]
    files = [_copy_model(archive.settings.home, tmp, rel, sha) for rel, sha in models]
    if head is not None:
        audit.write_anchor(tmp / audit.ANCHOR_NAME, head[0], head[1])
    db = Entry(DB_NAME, file_sha256(tmp / DB_NAME), (tmp / DB_NAME).stat().st_size)
    return {
        "format": FORMAT,
        "version": VERSION,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "source_home": str(archive.settings.home),
        "database": _entry_dict(db),
        "audit_head": {"id": head[0], "hash": head[1]} if head else None,
        "counts": counts,
        "blobs": [_entry_dict(b) for b in blobs],
        "files": [_entry_dict(f) for f in files],
    }


@contextmanager
def _snapshot_session(path: Path) -> Iterator[Session]:
    engine = create_engine(f"sqlite:///{path}")
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


def _chain_head(session: Session, anchor: tuple[int, str] | None) -> tuple[int, str] | None:
    """The copy's last audit entry; the live anchor must be inside the copied chain."""
    if anchor is not None:
        row = session.get(AuditEntry, anchor[0])
        if row is None or row.hash != anchor[1]:
            raise IntegrityFailure(
                f"the audit anchor names entry {anchor[0]}, which the database does not hold "
                "as recorded: run `records audit verify` before backing up"
            )
    last = session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))
    return (last.id, last.hash) if last is not None else None


def _wanted_blobs(session: Session) -> list[tuple[str, str]]:
    return [(b.relpath, b.sha256) for b in fixity.expected_blobs(session)]


def _models(session: Session) -> list[tuple[str, str]]:
    return [(m.path, m.sha256) for m in session.scalars(select(ClassifierModel))]


def _counts(session: Session) -> dict[str, int]:
    def count(model: Any) -> int:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)

    return {
        "documents": count(Document),
        "pages": count(Page),
        "files": count(StoredFile),
        "audit_entries": count(AuditEntry),
    }


def _copy_blob(store_root: Path, dest_root: Path, rel: str, sha: str, link: bool) -> Entry:
    src, dest = store_root / rel, dest_root / rel
    try:
        size = _link_verified(src, dest, sha) if link else copy_hashing(src, dest, sha).size
    except FileNotFoundError as exc:
        raise IntegrityFailure(f"blob {rel} is referenced by the database but missing") from exc
    if not link:
        os.chmod(dest, 0o444)
    return Entry(f"{STORE}/{rel}", sha, size)


def _link_verified(src: Path, dest: Path, sha: str) -> int:
    """Hard-link a blob (same file system) after checking its hash; returns its size."""
    if file_sha256(src) != sha:
        raise IntegrityFailure(f"blob {src} does not match its recorded SHA-256 (corrupt)")
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dest)
    except OSError as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise StorageError(f"cannot hard-link {src} into the backup: {exc}") from exc
    return dest.stat().st_size


def _copy_model(home: Path, tmp: Path, rel: str, sha: str) -> Entry:
    try:
        entry = copy_hashing(home / rel, tmp / rel, sha)
    except FileNotFoundError as exc:
        raise IntegrityFailure(f"classifier model {rel} is missing") from exc
    return Entry(rel, entry.sha256, entry.size)


def _entry_dict(e: Entry) -> dict[str, Any]:
    return {"path": e.path, "sha256": e.sha256, "size": e.size}


def _write_json(path: Path, data: dict[str, Any]) -> None:
    with path.open("x", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=1)
        fh.flush()
        os.fsync(fh.fileno())


def _summary(manifest: dict[str, Any]) -> dict[str, Any]:
    return {
        **manifest["counts"],
        "blobs": len(manifest["blobs"]),
        "bytes": sum(b["size"] for b in manifest["blobs"]) + manifest["database"]["size"],
        "audit_head": manifest["audit_head"],
        "seconds": manifest.get("seconds"),
    }


# -- restore -----------------------------------------------------------------------------


def read_manifest(src: Path) -> dict[str, Any]:
    path = src / MANIFEST
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{src} is not a records backup (no readable {MANIFEST}): {exc}") from exc
    if data.get("format") != FORMAT or data.get("version") != VERSION:
        raise ConfigError(f"{path}: not a {FORMAT} version {VERSION} manifest")
    return data


def restore(src: Path, home: Path, force: bool = False) -> dict[str, Any]:
    """Copy a verified backup into ``home`` (empty, or moved aside first with ``force``)."""
    manifest = read_manifest(src)
    moved = _make_room(home, force)
    with staging(home) as tmp:
        for entry in _all_entries(manifest):
            _restore_entry(src, tmp, entry)
        head = manifest.get("audit_head")
        if head:
            audit.write_anchor(tmp / audit.ANCHOR_NAME, int(head["id"]), str(head["hash"]))
    return {"home": str(home), "moved_aside": str(moved) if moved else None, **_summary(manifest)}


def _all_entries(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    return [manifest["database"], *manifest["blobs"], *manifest.get("files", [])]


def _safe_relative(rel: str) -> Path:
    path = Path(rel)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise IntegrityFailure(f"backup manifest names an unsafe path {rel!r}")
    return path


def _restore_entry(src: Path, tmp: Path, entry: dict[str, Any]) -> None:
    rel = _safe_relative(str(entry["path"]))
    try:
        copy_hashing(src / rel, tmp / rel, str(entry["sha256"]))
    except FileNotFoundError as exc:
        raise IntegrityFailure(f"backup {src} lacks {rel} listed in its manifest") from exc
    if rel.parts[0] == STORE:
        os.chmod(tmp / rel, 0o444)


def _make_room(home: Path, force: bool) -> Path | None:
    if not home.exists() or (home.is_dir() and not any(home.iterdir())):
        return None
    if not force:
        raise ConfigError(
            f"RECORDS_HOME {home} is not empty; restore into an empty folder, or use --force "
            "to move the current contents aside first"
        )
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    aside = home.with_name(f"{home.name}.before-restore-{stamp}")
    os.rename(home, aside)
    return aside


def verify_restored(archive: Archive, manifest: dict[str, Any]) -> dict[str, Any]:
    """Audit chain, fixity (no grace for orphans) and counts of a restored archive."""
    with archive.session() as session:
        chain = audit.verify(session, archive.settings.home / audit.ANCHOR_NAME)
        store = fixity.check(session, archive.store, orphan_grace=0.0)
        counts = _counts(session)
    problems = [] if chain.ok else [f"audit entry {chain.first_bad}: {chain.reason}"]
    problems += [] if store.ok else [store.summary()]
    if counts != manifest["counts"]:
        problems.append(f"counts {counts} differ from the manifest {manifest['counts']}")
    if problems:
        raise IntegrityFailure("the restored archive does not verify: " + "; ".join(problems))
    return {"audit_entries": chain.entries, "blobs_verified": store.checked, **counts}
