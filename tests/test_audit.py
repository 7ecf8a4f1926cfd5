"""The hash-chained audit log: any change, removal or reordering is found and named."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from pipeline import audit
from pipeline.archive import Archive
from pipeline.audit import audited_session
from pipeline.db.models import AuditEntry
from tests.lifecycle_support import (
    cli,
    config_home,
    fast_hashing,
    lc_archive,
    login,
    make_staff,
    rules_env,
)

__all__ = ["config_home", "fast_hashing", "lc_archive", "rules_env"]


def _fill(archive: Archive, n: int = 6) -> None:
    with audited_session(archive) as s:
        for i in range(n):
            audit.append(s, "tester", "test.event", f"thing:{i}", {"n": i, "名稱": "測試"})


def _verify(archive: Archive) -> audit.Verification:
    with archive.session() as s:
        return audit.verify(s, archive.settings.home / audit.ANCHOR_NAME)


def _sql(archive: Archive, statement: str, **params: object) -> None:
    with archive.session() as s:
        s.execute(text(statement), params)


def test_intact_chain_verifies_and_is_anchored(lc_archive: Archive) -> None:
    _fill(lc_archive)
    result = _verify(lc_archive)
    assert (result.ok, result.entries, result.anchored) == (True, 6, True)
    with lc_archive.session() as s:
        first = s.get(AuditEntry, 1)
        assert first is not None and first.prev_hash == audit.GENESIS
        assert first.hash == audit.entry_hash(first)


def test_changed_entry_is_named(lc_archive: Archive) -> None:
    _fill(lc_archive)
    _sql(lc_archive, "UPDATE audit_log SET details = :d WHERE id = 3",
         d=json.dumps({"n": 99, "名稱": "測試"}))
    result = _verify(lc_archive)
    assert (result.first_bad, result.reason) == (3, "its content does not match its hash (changed)")


def test_changed_actor_or_time_is_named(lc_archive: Archive) -> None:
    _fill(lc_archive)
    _sql(lc_archive, "UPDATE audit_log SET actor = 'someone else' WHERE id = 5")
    assert _verify(lc_archive).first_bad == 5
    with lc_archive.session() as s:
        entry = s.get(AuditEntry, 2)
        assert entry is not None
        entry.at = datetime(2020, 1, 1, tzinfo=UTC)
    assert _verify(lc_archive).first_bad == 2


def test_removed_entry_is_found(lc_archive: Archive) -> None:
    _fill(lc_archive)
    _sql(lc_archive, "DELETE FROM audit_log WHERE id = 4")
    result = _verify(lc_archive)
    assert result.first_bad == 5 and "entry 4 is missing" in (result.reason or "")


def test_swapped_entries_are_found(lc_archive: Archive) -> None:
    _fill(lc_archive)
    with lc_archive.session() as s:
        rows = {r["id"]: r for r in s.execute(text("SELECT * FROM audit_log")).mappings()}
    cols = ("at", "actor", "action", "target", "details", "prev_hash", "hash")
    assign = ", ".join(f"{c} = :{c}" for c in cols)
    _sql(lc_archive, "UPDATE audit_log SET prev_hash = 'parked' WHERE id = 3")  # unique column
    _sql(lc_archive, f"UPDATE audit_log SET {assign} WHERE id = 4", **{c: rows[3][c] for c in cols})
    _sql(lc_archive, f"UPDATE audit_log SET {assign} WHERE id = 3", **{c: rows[4][c] for c in cols})
    result = _verify(lc_archive)
    assert result.first_bad == 3 and "does not follow" in (result.reason or "")


def test_removed_newest_entries_are_found_through_the_anchor(lc_archive: Archive) -> None:
    _fill(lc_archive)
    _sql(lc_archive, "DELETE FROM audit_log WHERE id >= 5")
    result = _verify(lc_archive)
    assert result.first_bad == 5 and "truncated" in (result.reason or "")


def test_rewritten_chain_is_found_through_the_anchor(lc_archive: Archive) -> None:
    """Someone who recomputes every hash after a change still disagrees with the anchor."""
    _fill(lc_archive)
    with lc_archive.session() as s:
        prev = audit.GENESIS
        for entry in s.scalars(select(AuditEntry).order_by(AuditEntry.id)):
            if entry.id == 2:
                entry.details = {"n": 1000}
            entry.prev_hash = f"tmp{entry.id}"
        s.flush()
        for entry in s.scalars(select(AuditEntry).order_by(AuditEntry.id)):
            entry.prev_hash = prev
            entry.hash = audit.entry_hash(entry)
            prev = entry.hash
    result = _verify(lc_archive)
    assert result.first_bad == 6 and "chain head" in (result.reason or "")


def test_two_entries_cannot_share_a_predecessor(lc_archive: Archive) -> None:
    _fill(lc_archive, 2)
    with pytest.raises(IntegrityError), lc_archive.session() as s:
        last = s.get(AuditEntry, 2)
        assert last is not None
        s.add(AuditEntry(id=3, at=datetime.now(UTC), actor="a", action="b", target="c",
                         details={}, prev_hash=last.prev_hash, hash="0" * 64))


def test_cli_verify_fails_naming_the_edited_row(lc_archive: Archive) -> None:
    make_staff(lc_archive)
    login("auditor")
    ok = cli("audit", "verify", "--json")
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["ok"] is True
    _sql(lc_archive, "UPDATE audit_log SET target = 'user:nobody' WHERE id = 2")
    bad = cli("audit", "verify")
    assert bad.exit_code == 10
    assert "audit entry 2" in bad.output
    log = cli("audit", "log", "--json", "--limit", "3")
    ids = [e["id"] for e in json.loads(log.stdout)["entries"]]
    assert len(ids) == 3 and ids == sorted(ids, reverse=True)


def test_cli_log_is_for_auditors_not_clerks(lc_archive: Archive) -> None:
    make_staff(lc_archive)
    login("clerk")
    assert cli("audit", "log").exit_code == 8
