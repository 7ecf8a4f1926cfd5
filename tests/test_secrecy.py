"""Confidentiality levels as the law names them, one ordering, markings, and the archives
authority's letter numbers."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from pipeline import authority, secrecy
from pipeline.archive import Archive
from pipeline.audit import audited_session
from pipeline.auth import get_user, user_actor
from pipeline.db.models import AuditEntry, Document
from pipeline.errors import ConfigError
from pipeline.review import may_see
from pipeline.search.base import CLEARANCE_LEVELS, SearchFilters, clears, stricter
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


def test_the_four_classified_levels_in_one_order() -> None:
    assert [secrecy.label(level) for level in CLEARANCE_LEVELS[2:]] == [
        "密", "機密", "極機密", "絕對機密"]
    assert [secrecy.parse_level(x) for x in ("密", "機密", "極機密", "絕對機密")] == [
        "restricted", "confidential", "secret", "top_secret"]
    assert clears("confidential", "restricted") and not clears("restricted", "confidential")
    assert all(clears("top_secret", level) for level in CLEARANCE_LEVELS)
    assert not clears("top_secret", "unheard-of")  # an unknown level is seen by no one
    assert not clears("unheard-of", "public")
    assert stricter("secret", "restricted") == "secret" and stricter("internal", None) == "internal"
    assert SearchFilters(clearance="confidential").visible_levels() == (
        "public", "internal", "restricted", "confidential")
    with pytest.raises(ConfigError, match="不明的機密等級"):
        secrecy.parse_level("ultra")


def test_classified_means_restricted_and_above() -> None:
    assert [secrecy.is_classified(x) for x in CLEARANCE_LEVELS] == [
        False, False, True, True, True, True]
    assert secrecy.is_classified("unheard-of")  # never destroyed by guess


def test_clearance_compares_levels_for_documents(lc_archive: Archive) -> None:
    staff = make_staff(lc_archive)  # officers hold confidential (機密) clearance
    secret = make_doc(lc_archive, confidentiality="secret")
    restricted = make_doc(lc_archive, confidentiality="restricted")
    with lc_archive.session() as s:
        officer = staff.officer1
        assert may_see(officer, s.get(Document, restricted))  # type: ignore[arg-type]
        assert not may_see(officer, s.get(Document, secret))  # type: ignore[arg-type]
        assert not may_see(staff.staff, s.get(Document, restricted))  # type: ignore[arg-type]


def test_marking_records_condition_dates_and_is_checked(lc_archive: Archive) -> None:
    make_staff(lc_archive)
    doc_id = make_doc(lc_archive, when=date(2024, 5, 20))
    with lc_archive.session() as s:
        officer = user_actor(get_user(s, "officer1"))
    with pytest.raises(ConfigError, match="保密期限或解除機密之條件"), \
            audited_session(lc_archive) as s:
        secrecy.mark(s, officer, doc_id, "機密")
    with pytest.raises(ConfigError, match="不得逾10年"), audited_session(lc_archive) as s:
        secrecy.mark(s, officer, doc_id, "機密", declassify_on=date(2034, 5, 21))
    with audited_session(lc_archive) as s:
        doc = secrecy.mark(s, officer, doc_id, "極機密", condition="本案公布後解密",
                           declassify_on=date(2044, 5, 20), review_on=date(2026, 5, 20))
        assert secrecy.marking_dict(doc) == {
            "level": "secret", "label": "極機密", "condition": "本案公布後解密",
            "declassify_on": date(2044, 5, 20), "review_on": date(2026, 5, 20)}
        secrecy.mark(s, officer, doc_id, "密")  # 一般公務機密 needs no period by law
    with lc_archive.session() as s:
        entries = s.scalars(select(AuditEntry).where(
            AuditEntry.action == "record.mark_secrecy")).all()
        assert [e.details["to"] for e in entries] == ["secret", "restricted"]
        assert [d.id for d in secrecy.reviews_due(s, date(2026, 12, 1))] == [doc_id]


@pytest.mark.parametrize("ref", ["檔綜字第1130012345號", "檔徵字第0960002083號",
                                 "院授發檔（徵）字第1130012345號",
                                 "檔綜字第１１３００１２３４５號"])
def test_real_authority_references_are_accepted(ref: str) -> None:
    assert authority.parse_ref(ref, date(2024, 5, 20)).endswith("號")


@pytest.mark.parametrize("ref", ["abc", "", "檔綜字第113001號", "1130012345", "檔綜字1130012345號",
                                 "檔綜字第1130012345"])
def test_malformed_authority_references_are_refused(ref: str) -> None:
    with pytest.raises(ConfigError, match="格式不符"):
        authority.parse_ref(ref, date(2024, 5, 20))


def test_a_reference_must_fit_its_date() -> None:
    with pytest.raises(ConfigError, match="年度 114"):
        authority.parse_ref("檔綜字第1140012345號", date(2024, 5, 20))  # ROC 113
    with pytest.raises(ConfigError, match="今天之後"):
        authority.parse_ref("檔綜字第1130012345號", date.today() + timedelta(days=1))


def test_cli_mark_and_reviews(lc_archive: Archive) -> None:
    make_staff(lc_archive)
    doc_id = make_doc(lc_archive, when=date(2024, 5, 20))
    login("officer1")
    refused = cli("lifecycle", "mark", str(doc_id), "--level", "絕對機密")
    assert refused.exit_code == 5 and "國家機密保護法第11條" in refused.output
    marked = cli("lifecycle", "mark", str(doc_id), "--level", "機密", "--declassify-on",
                 "123.05.20", "--review-on", "115.05.20")
    assert marked.exit_code == 0, marked.output
    assert json.loads(marked.stdout)["label"] == "機密"
    due = json.loads(cli("lifecycle", "secrecy-reviews", "--on", "2026-06-01").stdout)
    assert [d["id"] for d in due["documents"]] == [doc_id]
    assert json.loads(cli("lifecycle", "secrecy-reviews", "--on", "2026-01-01").stdout) == {
        "documents": []}
