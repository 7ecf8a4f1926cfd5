"""The lifecycle state machine, classification and filing, holds."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from pipeline import filing, holds, lifecycle
from pipeline.archive import Archive
from pipeline.audit import audited_session
from pipeline.auth import Actor, Perm
from pipeline.db.models import AuditEntry, Document, LifecycleEvent
from pipeline.errors import AccessDenied, ConfigError, IllegalTransition, NotPermitted
from pipeline.holds import HoldKind, HoldScope, OnHold
from pipeline.lifecycle import State
from pipeline.retention.schedule import Schedule
from tests.lifecycle_support import (
    config_home,
    fast_hashing,
    file_doc,
    lc_archive,
    make_doc,
    make_staff,
    rules_env,
    schedule,
    status_of,
)

__all__ = ["config_home", "fast_hashing", "lc_archive", "rules_env", "schedule"]


def _move(archive: Archive, actor: Actor, doc_id: int, target: State) -> None:
    with audited_session(archive) as s:
        doc = lifecycle.get_document(s, doc_id)
        lifecycle.transition(s, actor, doc, target, "test")


def test_every_state_is_reachable_from_captured_and_final_states_are_final() -> None:
    reachable, todo = {State.captured}, [State.captured]
    while todo:
        for nxt in lifecycle.targets(todo.pop()):
            if nxt not in reachable:
                reachable.add(nxt)
                todo.append(nxt)
    assert reachable == set(State)
    assert lifecycle.targets(State.disposed) == lifecycle.targets(State.transferred) == []


def test_illegal_transition_raises_and_changes_nothing(lc_archive: Archive) -> None:
    staff = make_staff(lc_archive)
    doc_id = make_doc(lc_archive)
    for target in (State.archived, State.disposed, State.queued_for_disposal, State.approved):
        with pytest.raises(IllegalTransition):
            _move(lc_archive, staff.officer1, doc_id, target)
    assert status_of(lc_archive, doc_id) == "captured"
    with lc_archive.session() as s:
        assert s.scalars(select(LifecycleEvent)).all() == []


def test_status_cannot_be_written_outside_the_machine(lc_archive: Archive) -> None:
    doc_id = make_doc(lc_archive)
    with pytest.raises(IllegalTransition), lc_archive.session() as s:
        doc = s.get(Document, doc_id)
        assert doc is not None
        doc.status = "disposed"
    assert status_of(lc_archive, doc_id) == "captured"


def test_transition_needs_the_permission(lc_archive: Archive, schedule: Schedule) -> None:
    staff = make_staff(lc_archive)
    doc_id = make_doc(lc_archive)
    for actor in (staff.clerk, staff.staff, staff.admin, staff.auditor):
        with pytest.raises(AccessDenied), audited_session(lc_archive) as s:
            filing.classify(s, actor, schedule, doc_id, "0101")
    assert status_of(lc_archive, doc_id) == "captured"


def test_transition_writes_event_and_audit_entry_in_the_same_transaction(
        lc_archive: Archive, schedule: Schedule) -> None:
    staff = make_staff(lc_archive)
    doc_id = make_doc(lc_archive)
    with pytest.raises(RuntimeError), audited_session(lc_archive) as s:
        filing.classify(s, staff.officer1, schedule, doc_id, "0101")
        raise RuntimeError("crash before commit")
    with lc_archive.session() as s:
        assert s.scalars(select(LifecycleEvent)).all() == []
        assert s.scalar(select(AuditEntry).where(AuditEntry.target == f"document:{doc_id}")) \
            is None
    file_doc(lc_archive, staff.officer1, schedule, doc_id, "0101")
    with lc_archive.session() as s:
        events = lifecycle.history(s, doc_id)
        assert [(e.from_state, e.to_state) for e in events] == [
            ("captured", "classified"), ("classified", "archived")]
        entries = [s.get(AuditEntry, e.audit_id) for e in events]
        assert [e.action for e in entries if e] == ["lifecycle.classify", "lifecycle.file"]


def test_classify_checks_the_schedule_and_review_path(lc_archive: Archive,
                                                      schedule: Schedule) -> None:
    staff = make_staff(lc_archive)
    doc_id = make_doc(lc_archive)
    with pytest.raises(ConfigError), audited_session(lc_archive) as s:
        filing.classify(s, staff.officer1, schedule, doc_id, "01")  # a heading
    with pytest.raises(ConfigError), audited_session(lc_archive) as s:
        filing.classify(s, staff.officer1, schedule, doc_id, "9999")
    with audited_session(lc_archive) as s:
        filing.classify(s, staff.officer1, schedule, doc_id, "0101", review=True)
    assert status_of(lc_archive, doc_id) == "needs_review"
    with pytest.raises(NotPermitted), audited_session(lc_archive) as s:
        filing.file_document(s, staff.officer1, schedule, doc_id)
    with audited_session(lc_archive) as s:
        filing.classify(s, staff.officer1, schedule, doc_id, "0106")
        doc = s.get(Document, doc_id)
        assert doc is not None and doc.confidentiality == "confidential"  # from the class
    assert status_of(lc_archive, doc_id) == "classified"


def test_filing_numbers_dates_and_due_date(lc_archive: Archive, schedule: Schedule) -> None:
    staff = make_staff(lc_archive)
    first = make_doc(lc_archive, when=date(2010, 3, 5))
    second = make_doc(lc_archive, when=date(2010, 11, 20))
    file_id = file_doc(lc_archive, staff.officer1, schedule, first, "0101")
    assert file_doc(lc_archive, staff.officer1, schedule, second, "0101") == file_id
    with lc_archive.session() as s:
        data = filing.file_dict(s, filing.get_file(s, file_id))
    assert data["number"] == "099-0101-0001"
    assert [d["item"] for d in data["documents"]] == ["099-0101-0001-001-0001",
                                                      "099-0101-0001-001-0002"]
    assert (data["date_from"], data["date_to"]) == (date(2010, 3, 5), date(2010, 11, 20))
    assert data["retention"] == "3"
    assert data["due_date"] == date(2013, 11, 21)  # kept through 2013-11-20


def test_event_triggered_retention_waits_for_the_event(lc_archive: Archive,
                                                       schedule: Schedule) -> None:
    staff = make_staff(lc_archive)
    file_id = file_doc(lc_archive, staff.officer1, schedule, make_doc(lc_archive), "0107")
    with audited_session(lc_archive) as s:
        assert filing.get_file(s, file_id).due_date is None
        filing.record_event(s, staff.officer1, schedule, file_id, "contract_end",
                            date(2015, 6, 30))
    with lc_archive.session() as s:
        assert filing.get_file(s, file_id).due_date == date(2018, 7, 1)


def test_hold_on_document_file_or_class_blocks_moves_toward_disposal(
        lc_archive: Archive, schedule: Schedule) -> None:
    staff = make_staff(lc_archive)
    doc_id = make_doc(lc_archive)
    file_id = file_doc(lc_archive, staff.officer1, schedule, doc_id, "0101")
    for scope, target in ((HoldScope.document, str(doc_id)), (HoldScope.file, str(file_id)),
                          (HoldScope.class_, "01")):
        with audited_session(lc_archive) as s:
            hold = holds.place(s, staff.auditor, HoldKind.legal, scope, target, "lawsuit")
        with pytest.raises(OnHold):
            _move(lc_archive, staff.officer1, doc_id, State.queued_for_disposal)
        _move(lc_archive, staff.officer1, doc_id, State.appraisal)  # not toward disposal
        _move(lc_archive, staff.officer1, doc_id, State.archived)
        with audited_session(lc_archive) as s:
            holds.release(s, staff.auditor, hold.id, "settled")
    _move(lc_archive, staff.officer1, doc_id, State.queued_for_disposal)
    assert status_of(lc_archive, doc_id) == "queued_for_disposal"


def test_hold_needs_permission_reason_and_a_real_target(lc_archive: Archive) -> None:
    staff = make_staff(lc_archive)
    with pytest.raises(AccessDenied), audited_session(lc_archive) as s:
        holds.place(s, staff.clerk, HoldKind.audit, HoldScope.class_, "01", "audit")
    with pytest.raises(ConfigError), audited_session(lc_archive) as s:
        holds.place(s, staff.officer1, HoldKind.audit, HoldScope.class_, "1", "audit")
    with pytest.raises(ConfigError), audited_session(lc_archive) as s:
        holds.place(s, staff.officer1, HoldKind.audit, HoldScope.class_, "01", " ")
    with pytest.raises(Exception, match="no document"), audited_session(lc_archive) as s:
        holds.place(s, staff.officer1, HoldKind.audit, HoldScope.document, "999", "audit")


def test_docs_list_every_transition_and_permission() -> None:
    doc = (Path(__file__).resolve().parent.parent / "docs" / "lifecycle.md").read_text()
    for t in lifecycle.TRANSITIONS:
        row = f"| {t.source.value} | {t.target.value} | {t.action} | {t.perm.value} |"
        assert row in doc
    for perm in Perm:
        assert f"| {perm.value} " in doc
