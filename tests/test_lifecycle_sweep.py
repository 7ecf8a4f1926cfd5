"""The retention sweep (library, CLI and Prefect flow) and appraisal decisions."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from pipeline import filing, holds
from pipeline.archive import Archive
from pipeline.audit import audited_session
from pipeline.auth import Actor, Perm, system_actor
from pipeline.db.models import AuditEntry, DisposalItem
from pipeline.errors import AccessDenied, NotPermitted
from pipeline.holds import HoldKind, HoldScope
from pipeline.retention.schedule import Schedule
from pipeline.sweep import Appraisal, SweepReport, appraise, sweep
from tests.lifecycle_support import (
    Staff,
    cli,
    config_home,
    fast_hashing,
    file_doc,
    lc_archive,
    login,
    make_doc,
    make_staff,
    rules_env,
    schedule,
    status_of,
)

__all__ = ["config_home", "fast_hashing", "lc_archive", "rules_env", "schedule"]
FAR = date(2100, 1, 1)


def _sweep(archive: Archive, schedule: Schedule, as_of: date | None = None,
           actor: Actor | None = None) -> SweepReport:
    with audited_session(archive) as s:
        return sweep(s, actor or system_actor("test-sweep", Perm.sweep), schedule, as_of)


def _audit_count(archive: Archive) -> int:
    with archive.session() as s:
        return int(s.scalar(select(func.count(AuditEntry.id))) or 0)


@pytest.fixture
def corpus(lc_archive: Archive, schedule: Schedule) -> dict[str, int]:
    """One document per kind of class, filed, plus one unclassified and one not filed."""
    staff = make_staff(lc_archive)
    docs = {name: make_doc(lc_archive, title=name, when=when) for name, when in (
        ("destroy", date(2010, 1, 5)), ("destroy_recent", date(2025, 6, 1)),
        ("appraise", date(2010, 1, 5)), ("national", date(1990, 1, 5)),
        ("national_young", date(2010, 1, 5)), ("agency", date(1990, 1, 5)),
        ("event", date(2010, 1, 5)), ("unclassified", date(2010, 1, 5)),
        ("not_filed", date(2010, 1, 5)))}
    for name, code in (("destroy", "0101"), ("destroy_recent", "0101"), ("appraise", "0102"),
                       ("national", "0103"), ("national_young", "0103"), ("agency", "0104"),
                       ("event", "0107")):
        file_doc(lc_archive, staff.officer1, schedule, docs[name], code)
    with audited_session(lc_archive) as s:
        filing.classify(s, staff.officer1, schedule, docs["not_filed"], "0101")
    return docs


def _docs(moves: list[object]) -> set[int]:
    return {d for m in moves for d in m.documents}  # type: ignore[attr-defined]


def test_sweep_moves_each_file_where_its_class_sends_it(lc_archive: Archive, schedule: Schedule,
                                                        corpus: dict[str, int]) -> None:
    report = _sweep(lc_archive, schedule)  # today
    assert _docs(report.queued_for_disposal) == {corpus["destroy"]}
    assert _docs(report.appraisal) == {corpus["appraise"]}
    assert not report.preview
    assert _docs(report.flagged_for_transfer) == {corpus["national"]}  # 1990 + 25, next year
    assert _docs(report.awaiting_event) == {corpus["event"]}
    assert report.unclassified == [corpus["unclassified"]]
    assert report.not_filed == [corpus["not_filed"]]
    for name in ("destroy_recent", "national_young", "agency", "event"):
        assert status_of(lc_archive, corpus[name]) == "archived"
    assert status_of(lc_archive, corpus["destroy"]) == "queued_for_disposal"
    assert status_of(lc_archive, corpus["national"]) == "flagged_for_transfer"
    assert status_of(lc_archive, corpus["appraise"]) == "appraisal"


def test_a_sweep_as_of_another_day_is_a_preview_that_writes_nothing(
        lc_archive: Archive, schedule: Schedule, corpus: dict[str, int]) -> None:
    entries = _audit_count(lc_archive)
    ahead = _sweep(lc_archive, schedule, FAR)
    assert ahead.preview and ahead.changed == 5  # what would move in 2100
    assert _docs(ahead.queued_for_disposal) == {corpus["destroy"], corpus["destroy_recent"]}
    assert all(m.disposal_item is None for m in ahead.queued_for_disposal)
    assert _audit_count(lc_archive) == entries
    for name in ("destroy", "destroy_recent", "national", "national_young", "appraise"):
        assert status_of(lc_archive, corpus[name]) == "archived"
    with lc_archive.session() as s:
        assert s.scalar(select(func.count(DisposalItem.id))) == 0
    today = _sweep(lc_archive, schedule)
    assert not today.preview and today.changed == 3  # the future sweep left nothing behind
    assert corpus["destroy_recent"] not in _docs(today.queued_for_disposal)


def test_sweep_twice_changes_nothing_the_second_time(lc_archive: Archive, schedule: Schedule,
                                                     corpus: dict[str, int]) -> None:
    first = _sweep(lc_archive, schedule)
    assert first.changed == 3
    entries = _audit_count(lc_archive)
    second = _sweep(lc_archive, schedule)
    assert second.changed == 0
    assert (second.queued_for_disposal, second.flagged_for_transfer, second.appraisal) == \
        ([], [], [])
    assert _audit_count(lc_archive) == entries
    with lc_archive.session() as s:
        assert s.scalar(select(func.count(DisposalItem.id))) == 1


def test_held_file_stays_archived_and_is_reported(lc_archive: Archive, schedule: Schedule,
                                                  corpus: dict[str, int]) -> None:
    staff_actor = system_actor("test", Perm.hold)
    with audited_session(lc_archive) as s:
        holds.place(s, staff_actor, HoldKind.investigation, HoldScope.document,
                    str(corpus["destroy"]), "under investigation")
    report = _sweep(lc_archive, schedule)
    assert _docs(report.held) == {corpus["destroy"]}
    assert corpus["destroy"] not in _docs(report.queued_for_disposal)
    assert status_of(lc_archive, corpus["destroy"]) == "archived"


def test_sweep_needs_the_sweep_permission(lc_archive: Archive, schedule: Schedule) -> None:
    staff: Staff = make_staff(lc_archive)
    for actor in (staff.clerk, staff.staff, staff.admin):
        with pytest.raises(AccessDenied):
            _sweep(lc_archive, schedule, FAR, actor)


def test_appraisal_decisions(lc_archive: Archive, schedule: Schedule) -> None:
    staff = make_staff(lc_archive)
    files = [file_doc(lc_archive, staff.officer1, schedule,
                      make_doc(lc_archive, when=date(2001 + i, 1, 5)), "0102") for i in range(3)]
    _sweep(lc_archive, schedule)
    with audited_session(lc_archive) as s:
        with pytest.raises(AccessDenied):
            appraise(s, staff.clerk, schedule, files[0], Appraisal.destroy, "no value")
        appraise(s, staff.officer1, schedule, files[0], Appraisal.destroy, "no lasting value")
        appraise(s, staff.officer1, schedule, files[1], Appraisal.transfer, "historic value")
        appraise(s, staff.officer1, schedule, files[2], Appraisal.retain, "still used", 5)
        with pytest.raises(NotPermitted):
            appraise(s, staff.officer1, schedule, files[2], Appraisal.destroy, "again")
    with lc_archive.session() as s:
        items = s.scalars(select(DisposalItem)).all()
        assert [(i.file_id, i.origin) for i in items] == [(files[0], "appraisal")]
        assert filing.get_file(s, files[2]).due_date == date(2013, 1, 6)  # 2008-01-06 + 5
    assert status_of(lc_archive, make_doc_id(lc_archive, files[2])) == "archived"
    assert _sweep(lc_archive, schedule, date(2013, 1, 5)).changed == 0
    assert _docs(_sweep(lc_archive, schedule, date(2013, 1, 6)).appraisal) == {
        make_doc_id(lc_archive, files[2])}


def make_doc_id(archive: Archive, file_id: int) -> int:
    with archive.session() as s:
        return filing.documents_of(s, filing.get_file(s, file_id))[0].id


def test_cli_sweep_json_as_records_officer(lc_archive: Archive, schedule: Schedule,
                                           corpus: dict[str, int]) -> None:
    assert cli("retention", "sweep", "--json").exit_code == 8
    login("officer1")
    result = cli("retention", "sweep", "--as-of", "189.01.01", "--json")  # ROC year 189 = 2100
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {"queued_for_disposal", "flagged_for_transfer", "appraisal"} <= data.keys()
    assert data["as_of"] == "2100-01-01" and data["preview"] is True
    assert {d for m in data["queued_for_disposal"] for d in m["documents"]} == {
        corpus["destroy"], corpus["destroy_recent"]}
    assert status_of(lc_archive, corpus["destroy"]) == "archived"
    today = json.loads(cli("retention", "sweep", "--json").stdout)
    assert today["preview"] is False and today["changed"] == 3
    assert {d for m in today["queued_for_disposal"] for d in m["documents"]} == {
        corpus["destroy"]}
    again = json.loads(cli("retention", "sweep", "--json").stdout)
    assert again["changed"] == 0


def test_prefect_flow_core_sweeps_as_the_system_actor(lc_archive: Archive,
                                                      corpus: dict[str, int]) -> None:
    from flows.retention import SWEEP_ACTOR, run_sweep, sweep_task

    assert SWEEP_ACTOR.perms == {Perm.sweep}
    assert sweep_task.fn(lc_archive.settings.model_dump_json(), FAR)["preview"] is True
    data = sweep_task.fn(lc_archive.settings.model_dump_json(), date.today())
    assert data["changed"] == 3
    assert run_sweep(lc_archive, date.today())["changed"] == 0
    with lc_archive.session() as s:
        actors = set(s.scalars(select(AuditEntry.actor).where(
            AuditEntry.action == "retention.sweep")))
    assert actors == {"system:retention-sweep"}
