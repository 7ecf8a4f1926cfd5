"""Fixity: ``records fixity check`` re-hashes the store and finds changed, missing and orphan
blobs; destruction certificates are checked against the audit trail and their tombstones."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select, update

from pipeline import destruction, disposal, fixity
from pipeline.archive import Archive
from pipeline.audit import audited_session
from pipeline.auth import Actor, Perm, get_user, system_actor, user_actor
from pipeline.db.models import AuditEntry, DestructionCertificate, StoredFile, Tombstone
from pipeline.errors import ExitCode, IntegrityFailure
from pipeline.retention.schedule import Schedule
from pipeline.sweep import sweep
from tests.lifecycle_support import (
    AUTHORITY_REF,
    cli,
    config_home,
    fast_hashing,
    file_doc,
    lc_archive,
    list_and_approve,
    login,
    make_doc,
    make_staff,
    rules_env,
    schedule,
)

__all__ = ["config_home", "fast_hashing", "lc_archive", "rules_env", "schedule"]
CHECKER = system_actor("test-fixity", Perm.audit_read)


def _blobs(archive: Archive) -> list[StoredFile]:
    with archive.session() as s:
        return list(s.scalars(select(StoredFile).order_by(StoredFile.id)))


def flip_byte(path: Path, offset: int = 0) -> None:
    """Change one byte of a read-only blob in place (what bit rot or tampering does)."""
    os.chmod(path, 0o644)
    data = bytearray(path.read_bytes())
    data[offset % len(data)] ^= 0x01
    path.write_bytes(bytes(data))
    os.chmod(path, 0o444)


def test_intact_store_passes_and_the_check_is_audited(lc_archive: Archive) -> None:
    for i in range(3):
        make_doc(lc_archive, title=f"公文{i}")
    report = fixity.run(lc_archive, CHECKER)
    assert report.ok and report.checked == 6 and report.bytes > 0
    result = cli("fixity", "check", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["checked"] == 6
    with lc_archive.session() as s:
        entries = s.scalars(select(AuditEntry).where(AuditEntry.action == "fixity.check")).all()
    assert len(entries) == 2 and entries[0].actor == "system:test-fixity"
    assert entries[0].details["ok"] is True


def test_a_flipped_byte_is_found_and_named(lc_archive: Archive) -> None:
    make_doc(lc_archive)
    victim = _blobs(lc_archive)[1]
    flip_byte(lc_archive.store.path(victim.store_path), offset=7)
    report = fixity.run(lc_archive, CHECKER)
    assert [(p.relpath, p.problem) for p in report.problems] == [(victim.store_path, "mismatch")]
    assert report.problems[0].actual_sha256 not in (None, victim.sha256)
    result = cli("fixity", "check")
    assert result.exit_code == ExitCode.integrity_failure
    assert victim.store_path in result.output and "mismatch" in result.output
    with pytest.raises(IntegrityFailure, match="1 mismatched"):
        fixity.require_intact(report)


def test_a_missing_blob_is_found(lc_archive: Archive) -> None:
    make_doc(lc_archive)
    victim = _blobs(lc_archive)[0]
    lc_archive.store.path(victim.store_path).unlink()
    report = fixity.run(lc_archive, CHECKER)
    assert [(p.relpath, p.problem) for p in report.missing] == [(victim.store_path, "missing")]
    data = json.loads(cli("fixity", "check", "--json").stdout)
    assert data["ok"] is False and data["missing"][0]["relpath"] == victim.store_path


def test_orphans_count_after_the_grace_period_and_temp_files_never(lc_archive: Archive) -> None:
    make_doc(lc_archive)
    sha = "ab" * 32
    stray = lc_archive.store.root / "original" / "ab" / "ab" / sha
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(b"dropped in by hand")
    tmp = lc_archive.store.root / "tmp" / "put-leftover"
    tmp.parent.mkdir(parents=True, exist_ok=True)
    tmp.write_bytes(b"half a copy")
    fresh = fixity.run(lc_archive, CHECKER)
    assert fresh.ok and fresh.recent_unreferenced == [f"original/ab/ab/{sha}"]
    assert fresh.temp_leftovers == ["tmp/put-leftover"]
    late = fixity.run(lc_archive, CHECKER, orphan_grace=0.0)
    assert not late.ok and late.orphans == [f"original/ab/ab/{sha}"]
    old = 1_000_000_000
    os.utime(stray, (old, old))
    result = cli("fixity", "check")
    assert result.exit_code == ExitCode.integrity_failure and "orphan" in result.output


def test_fixity_needs_audit_read_when_users_exist(lc_archive: Archive) -> None:
    make_doc(lc_archive)
    make_staff(lc_archive)
    assert cli("fixity", "check").exit_code == ExitCode.access_denied  # anonymous
    login("clerk")
    assert cli("fixity", "check").exit_code == ExitCode.access_denied
    login("auditor")
    assert cli("fixity", "check").exit_code == 0


def _officer(archive: Archive, name: str) -> Actor:
    with archive.session() as s:
        return user_actor(get_user(s, name))


def _dispose(archive: Archive, schedule: Schedule) -> int:
    """File, queue, list, approve twice and execute one document's disposal (the full
    procedure, as the law has it); returns the item id."""
    staff = make_staff(archive)
    doc_id = make_doc(archive, when=date(2010, 1, 5), text="銷毀測試 稽催紀錄")
    file_doc(archive, staff.officer1, schedule, doc_id, "0101")
    with audited_session(archive) as s:
        report = sweep(s, system_actor("t", Perm.sweep), schedule)
    item = next(m.disposal_item for m in report.queued_for_disposal if doc_id in m.documents)
    assert item is not None
    list_and_approve(archive, staff.officer1, schedule, [item])
    for name in ("officer1", "officer2"):
        with audited_session(archive) as s:
            disposal.approve(s, _officer(archive, name), schedule, item, "retention over",
                             AUTHORITY_REF)
    destruction.execute(archive, _officer(archive, "officer1"), schedule, item,
                        ["政風室 王監銷"])
    return item


def test_disposal_leaves_a_clean_store_and_certificates_verify_against_the_audit_trail(
    lc_archive: Archive, schedule: Schedule
) -> None:
    make_doc(lc_archive, title="保留")
    _dispose(lc_archive, schedule)
    report = fixity.run(lc_archive, CHECKER, orphan_grace=0.0)
    assert report.ok, report.to_dict()
    assert report.checked == 4  # the kept document's two blobs + certificate JSON and HTML
    with lc_archive.session() as s:
        cert = s.scalars(select(DestructionCertificate)).one()
    flip_byte(lc_archive.store.path(cert.json_path or ""), offset=20)
    tampered = fixity.run(lc_archive, CHECKER)
    assert [p.kind for p in tampered.mismatched] == ["certificate"]


def test_a_certificate_that_disagrees_with_the_audit_trail_is_found(
    lc_archive: Archive, schedule: Schedule
) -> None:
    _dispose(lc_archive, schedule)
    with lc_archive.session() as s:
        s.execute(update(DestructionCertificate).values(json_sha256="0" * 64))
    report = fixity.run(lc_archive, CHECKER)
    assert report.certificates == [
        f"destruction certificate 1: differs from audit entry {_execution_entry_id(lc_archive)}"
    ]
    with lc_archive.session() as s:
        s.execute(
            update(AuditEntry)
            .where(AuditEntry.action == "disposal.execute")
            .values(action="disposal.other")
        )
    report = fixity.run(lc_archive, CHECKER)
    assert report.certificates == [
        "destruction certificate 1: no disposal.execute entry in the audit trail"
    ]


def _execution_entry_id(archive: Archive) -> int:
    with archive.session() as s:
        query = select(AuditEntry.id).where(AuditEntry.action == "disposal.execute")
        return int(s.scalars(query).one())


def test_tombstone_blobs_must_match_the_certificate(
    lc_archive: Archive, schedule: Schedule
) -> None:
    _dispose(lc_archive, schedule)
    with lc_archive.session() as s:
        tomb = s.scalars(select(Tombstone)).one()
        tomb.blobs = [{**tomb.blobs[0], "sha256": "f" * 64}, *tomb.blobs[1:]]
    report = fixity.run(lc_archive, CHECKER)
    assert report.certificates == [
        "destruction certificate 1: lists other blobs than its tombstones"
    ]


def test_scheduled_flow_runs_the_check_and_fails_on_damage(lc_archive: Archive) -> None:
    from flows.maintenance import FIXITY_ACTOR, fixity_flow, fixity_task, run_fixity

    make_doc(lc_archive)
    assert FIXITY_ACTOR.perms == {Perm.audit_read}
    assert fixity_flow.name == "fixity-check" and fixity_task.retries == 2
    settings_json = lc_archive.settings.model_dump_json()
    assert fixity_task.fn(settings_json, 3600.0)["ok"] is True
    flip_byte(lc_archive.store.path(_blobs(lc_archive)[0].store_path))
    with pytest.raises(IntegrityFailure):
        run_fixity(lc_archive)
    with pytest.raises(IntegrityFailure):
        fixity_task.fn(settings_json, 3600.0)
