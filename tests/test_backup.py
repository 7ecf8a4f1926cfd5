"""Backup and restore of the embedded archive: consistent while ingest runs, verified back."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from pipeline import audit, backup
from pipeline.archive import Archive
from pipeline.auth import Actor, Perm
from pipeline.db.models import Document, StoredFile
from pipeline.errors import AccessDenied, ConfigError, ExitCode, IntegrityFailure
from pipeline.search import SearchQuery
from pipeline.settings import Settings
from tests import imagegen
from tests.conftest import ingest_dir, make_settings
from tests.lifecycle_support import (
    cli,
    config_home,
    fast_hashing,
    lc_archive,
    login,
    make_doc,
    make_staff,
    rules_env,
)

__all__ = ["config_home", "fast_hashing", "lc_archive", "rules_env"]
OWNER = Actor("owner", frozenset({Perm.manage_users}))
WORDS = ["秘書處", "檔案", "公文"]


def write_batch(folder: Path, count: int, tag: str = "") -> Path:
    """``count`` small one-page scans, each with a line of its own."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        lines = [f"秘書處檔案第{i}號{tag}", f"Record {i} {tag} archive"]
        imagegen.save_png(imagegen.page(lines, size=(900, 260)), folder / f"scan{i:02d}.png")
    return folder


def snapshot_of(archive: Archive) -> dict[str, Any]:
    """Documents with their page texts and blob hashes, and what a search finds."""
    with archive.session() as s:
        docs = {
            d.sha256: (
                d.page_count,
                tuple(p.text for p in d.pages),
                d.original.sha256,
                d.archival.sha256 if d.archival else None,
            )
            for d in s.scalars(select(Document))
        }
        blobs = {(f.kind, f.sha256) for f in s.scalars(select(StoredFile))}
        hits = {
            w: {
                (h.document_id, h.page)
                for h in archive.search.search(s, SearchQuery(w, limit=100)).hits
            }
            for w in WORDS
        }
    return {"docs": docs, "blobs": blobs, "hits": hits}


def restored(src: Path, home: Path) -> Archive:
    manifest = backup.restore(src, home)
    arch = Archive.open(make_settings(home))
    backup.verify_restored(arch, backup.read_manifest(src))
    assert manifest["documents"] == len(snapshot_of(arch)["docs"])
    return arch


def _backups_during(archive: Archive, ingest: threading.Thread, dest: Path) -> list[Path]:
    taken: list[Path] = []
    while ingest.is_alive() or not taken:
        target = dest / f"b{len(taken)}"
        backup.backup(archive, target, OWNER)
        taken.append(target)
        time.sleep(0.3)
    return taken


def test_backups_taken_while_ingest_runs_restore_to_consistent_archives(
    settings: Settings, tmp_path: Path
) -> None:
    batch = write_batch(tmp_path / "in", 6)
    writer, reader = Archive.open(settings), Archive.open(settings)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            ingest_dir(writer, batch)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    ingest = threading.Thread(target=run)
    ingest.start()
    taken = _backups_during(reader, ingest, tmp_path / "backups")
    ingest.join()
    assert not errors
    taken.append(tmp_path / "backups" / "final")
    backup.backup(reader, taken[-1], OWNER)
    live = snapshot_of(reader)
    assert len(live["docs"]) == 6
    for i, src in enumerate(taken):
        arch = restored(src, tmp_path / f"home{i}")
        copy = snapshot_of(arch)
        arch.close()
        _assert_prefix_of(copy, live)
    assert snapshot_of(Archive.open(make_settings(tmp_path / f"home{len(taken) - 1}"))) == live
    writer.close()
    reader.close()


def _assert_prefix_of(copy: dict[str, Any], live: dict[str, Any]) -> None:
    """A backup holds complete documents of the live archive, each found as in the live one."""
    assert set(copy["docs"]) <= set(live["docs"])
    for sha, doc in copy["docs"].items():
        assert doc == live["docs"][sha]
    assert copy["blobs"] <= live["blobs"]
    for word, hits in copy["hits"].items():
        assert hits <= live["hits"][word]


def test_cli_round_trip_compares_everything(
    lc_archive: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = [make_doc(lc_archive, title=f"公文{i}", text=f"秘書處 檔案 第{i}號") for i in range(4)]
    dest = tmp_path / "backup"
    result = cli("backup", str(dest), "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["documents"], summary["blobs"]) == (4, 8)
    manifest = json.loads((dest / "manifest.json").read_text(encoding="utf-8"))
    assert len(manifest["blobs"]) == 8 and manifest["database"]["size"] > 0
    before = snapshot_of(lc_archive)
    home = tmp_path / "restored"
    monkeypatch.setenv("RECORDS_HOME", str(home))
    result = cli("restore", str(dest), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["verified"]["documents"] == len(ids)
    arch = Archive.open(make_settings(home))
    assert snapshot_of(arch) == before
    with arch.session() as s:
        assert audit.verify(s, home / audit.ANCHOR_NAME).ok
        # the backup's own entry comes after its snapshot: in the live log only
        assert "backup.create" not in {e.action for e in audit.entries(s)}
    with lc_archive.session() as s:
        assert "backup.create" in {e.action for e in audit.entries(s)}
    arch.close()
    again = cli("restore", str(dest))
    assert again.exit_code == ExitCode.invalid_config and "--force" in again.output
    forced = cli("restore", str(dest), "--force", "--json")
    assert forced.exit_code == 0, forced.output
    assert Path(json.loads(forced.stdout)["moved_aside"]).is_dir()


def test_a_damaged_backup_is_refused_and_leaves_no_half_restore(
    lc_archive: Archive, tmp_path: Path
) -> None:
    make_doc(lc_archive)
    dest = tmp_path / "backup"
    backup.backup(lc_archive, dest, OWNER)
    manifest = backup.read_manifest(dest)
    victim = dest / manifest["blobs"][0]["path"]
    os.chmod(victim, 0o644)
    victim.write_bytes(victim.read_bytes() + b"!")
    home = tmp_path / "home2"
    with pytest.raises(IntegrityFailure, match="expected"):
        backup.restore(dest, home)
    assert not home.exists()
    assert list(tmp_path.glob("home2.partial-*")) == []
    (dest / manifest["blobs"][1]["path"]).unlink()
    with pytest.raises(IntegrityFailure):
        backup.restore(dest, home)


def test_backup_refuses_a_used_destination_a_lower_role_and_a_truncated_log(
    lc_archive: Archive, tmp_path: Path
) -> None:
    make_doc(lc_archive)
    used = tmp_path / "used"
    used.mkdir()
    (used / "x").write_text("keep me")
    with pytest.raises(ConfigError, match="not empty"):
        backup.backup(lc_archive, used, OWNER)
    staff = make_staff(lc_archive)
    with pytest.raises(AccessDenied):
        backup.backup(lc_archive, tmp_path / "b1", staff.auditor)
    login("clerk")
    assert cli("backup", str(tmp_path / "b2")).exit_code == ExitCode.access_denied
    login("admin")
    assert cli("backup", str(tmp_path / "b3")).exit_code == 0
    audit.write_anchor(lc_archive.settings.home / audit.ANCHOR_NAME, 10_000, "f" * 64)
    with pytest.raises(IntegrityFailure, match="audit anchor"):
        backup.backup(lc_archive, tmp_path / "b4", staff.admin)
    assert not (tmp_path / "b4").exists()
