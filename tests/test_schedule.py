from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from pipeline.errors import ConfigError, RulesError
from pipeline.retention.schedule import (
    SCHEMA_PATH,
    STANDARD_TERMS,
    RetentionClass,
    Schedule,
    load_rules_dir,
    load_schedule,
    render_json_schema,
)
from pipeline.settings import REPO_RULES_DIR

SECRETARIAT = REPO_RULES_DIR / "secretariat-v1.yaml"
SECRETARIAT_V2 = REPO_RULES_DIR / "secretariat-v2.yaml"
DIVISIONS = {
    "special_affairs",
    "documentation",
    "general_affairs",
    "office_management",
    "procurement_management",
    "archives",
}

BASE = """\
schema_version: 1
schedule_id: test
version: 1
agency: {zh-TW: 測試機關, en: Test agency}
effective_date: 2025-01-01
approved_by: 測試核定文號
divisions:
  archives: {zh-TW: 檔案科, en: Archives}
classes:
  - code: "06"
    level: 類
    title: {zh-TW: 檔案管理, en: Archives}
  - code: "0601"
    level: 綱
    parent: "06"
    title: {zh-TW: 檔案清理, en: Disposal}
  - code: "060101"
    level: 目
    parent: "0601"
    title: {zh-TW: 檔案銷毀, en: Destruction}
    division: archives
    retention: 10
    trigger: latest_document
    disposition: destroy
    confidentiality: internal
    legal_basis: 檔案法第12條
    match:
      keywords: [銷毀, {word: 銷毀目錄, weight: 3}]
      regex: ['銷毀(?:目錄|清冊)']
"""
LEAF = BASE[BASE.index('  - code: "060101"') :]


@pytest.fixture(scope="module")
def secretariat() -> Schedule:
    return load_schedule(SECRETARIAT)


def write(tmp_path: Path, text: str, name: str = "rules.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based number of the line holding the n-th occurrence of ``needle``."""
    lines = [i for i, line in enumerate(text.splitlines(), 1) if needle in line]
    return lines[occurrence - 1]


def refused(tmp_path: Path, text: str) -> RulesError:
    path = write(tmp_path, text)
    with pytest.raises(RulesError) as info:
        load_schedule(path)
    assert info.value.path == str(path)
    return info.value


# --- the Secretariat's schedule ------------------------------------------------------------


def test_secretariat_schedule_loads_with_all_divisions(secretariat: Schedule) -> None:
    assert secretariat.schedule_id == "tainan-secretariat"
    assert len(secretariat.classes) >= 45
    assert len(secretariat.leaf_classes()) >= 45
    assert set(secretariat.divisions) == DIVISIONS
    assert {c.division for c in secretariat.leaf_classes()} == DIVISIONS
    assert {c.level for c in secretariat.classes} == {"類", "綱", "目", "節", "項"}


def test_every_leaf_is_complete_and_headings_are_bare(secretariat: Schedule) -> None:
    for cls in secretariat.classes:
        if secretariat.is_leaf(cls.code):
            assert cls.retention == "permanent" or cls.retention in STANDARD_TERMS
            assert cls.disposition and cls.confidentiality and cls.trigger and cls.legal_basis
        else:
            assert cls.retention is None and cls.match is None


@pytest.mark.parametrize(
    "title",
    [
        "受贈財物",
        "報修",
        "採購稽核",
        "採購契約",
        "臨時人員考核",
        "消防及防災疏散演練",
        "節電",
        "會議紀錄",
        "公告",
        "國際交流",
        "機密文書",
        "檔案銷毀",
        "檔案移轉",
        "出納",
        "薪資",
    ],
)
def test_realistic_classes_present(secretariat: Schedule, title: str) -> None:
    assert any(title in c.title.zh_tw for c in secretariat.leaf_classes())


def test_dispositions_and_accounting_records(secretariat: Schedule) -> None:
    leaves = secretariat.leaf_classes()
    national = [c for c in leaves if c.disposition == "national_archive"]
    assert national and all(c.is_permanent for c in national)
    accounting = [c for c in leaves if c.accounting_record]
    assert accounting and all(isinstance(c.retention, int) for c in accounting)
    assert any(c.confidentiality == "confidential" for c in leaves)
    assert any(c.trigger == "event:contract_end" for c in leaves)
    assert any(c.trigger == "fiscal_year_end" for c in leaves)


def test_lookups(secretariat: Schedule) -> None:
    contract = next(c for c in secretariat.leaf_classes() if "採購契約" in c.title.zh_tw)
    path = [c.code for c in secretariat.ancestors(contract.code)]
    assert path == [contract.code[:n] for n in range(2, len(contract.code), 2)]
    assert contract in secretariat.children(contract.code[:-2])
    assert secretariat.get(contract.code) is contract
    assert secretariat.retention_of(contract.code) == contract.retention
    assert contract.code in secretariat
    with pytest.raises(ValueError, match="heading"):
        secretariat.retention_of("01")
    with pytest.raises(KeyError):
        secretariat.get("9999")
    assert all(c.division == "archives" for c in secretariat.in_division("archives"))


def test_due_dates_follow_the_trigger(secretariat: Schedule) -> None:
    fiscal = next(c for c in secretariat.leaf_classes() if c.trigger == "fiscal_year_end")
    assert fiscal.due_date(date(2024, 5, 20)) == date(2024 + int(fiscal.retention or 0) + 1, 1, 1)
    contract = next(c for c in secretariat.leaf_classes() if c.trigger == "event:contract_end")
    assert contract.due_date(date(2024, 5, 20)) is None  # contract not ended yet
    ended = {"contract_end": date(2025, 6, 30)}
    assert contract.due_date(date(2024, 5, 20), ended) == date(
        2025 + int(contract.retention or 0), 7, 1
    )
    permanent = next(c for c in secretariat.leaf_classes() if c.disposition == "national_archive")
    assert permanent.due_date(date(2024, 5, 20)) is None
    assert permanent.transfer_year(date(2000, 3, 1)) == 2026
    assert contract.transfer_year(date(2000, 3, 1)) is None


def test_schema_json_is_up_to_date() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == render_json_schema(), (
        "run: python -c 'from pipeline.retention.schedule import write_json_schema as w; w()'"
    )


# --- refusing bad files with file, line and field --------------------------------------------


def test_minimal_schedule_loads(tmp_path: Path) -> None:
    schedule = load_schedule(write(tmp_path, BASE))
    assert [c.code for c in schedule.leaf_classes()] == ["060101"]
    assert schedule.get("060101").match is not None


BAD_VARIANTS: list[tuple[str, Callable[[str], str], str, str, str]] = [
    # (name, edit, needle on the reported line, field, words in the message)
    (
        "unknown key",
        lambda t: t.replace(
            "    disposition: destroy\n", "    disposition: destroy\n    colour: red\n"
        ),
        "colour: red",
        "classes[2].colour",
        "Extra inputs",
    ),
    (
        "non-standard term",
        lambda t: t.replace("retention: 10", "retention: 7"),
        "retention: 7",
        "classes[2].retention",
        "not a legal term",
    ),
    (
        "long term without basis",
        lambda t: t.replace("retention: 10", "retention: 40"),
        "retention: 40",
        "classes[2].retention",
        "retention_basis",
    ),
    (
        "bad disposition",
        lambda t: t.replace("disposition: destroy", "disposition: shred"),
        "disposition: shred",
        "classes[2].disposition",
        "national_archive",
    ),
    (
        "permanent to be destroyed",
        lambda t: t.replace("retention: 10", "retention: permanent"),
        "disposition: destroy",
        "classes[2].disposition",
        "permanent classes",
    ),
    (
        "missing parent",
        lambda t: t.replace(t[t.index('  - code: "0601"') : t.index('  - code: "060101"')], ""),
        'parent: "0601"',
        "classes[1].parent",
        "not defined",
    ),
    (
        "parent not the code prefix",
        lambda t: t.replace('parent: "0601"', 'parent: "0602"'),
        'parent: "0602"',
        "classes[2].parent",
        "must be '0601'",
    ),
    (
        "duplicate code",
        lambda t: t + LEAF,
        'code: "060101"',
        "classes[3].code",
        "duplicate code",
    ),
    (
        "bad regex",
        lambda t: t.replace("['銷毀(?:目錄|清冊)']", "['銷毀(目錄']"),
        "regex: ['銷毀(目錄']",
        "classes[2].match.regex[0]",
        "does not compile",
    ),
    (
        "bad trigger",
        lambda t: t.replace("trigger: latest_document", "trigger: when_done"),
        "trigger: when_done",
        "classes[2].trigger",
        "event:<name>",
    ),
    (
        "level does not fit code",
        lambda t: t.replace("    level: 目\n", "    level: 節\n"),
        "level: 節",
        "classes[2].level",
        "is a 目",
    ),
    (
        "unquoted code",
        lambda t: t.replace('  - code: "06"\n', "  - code: 06\n"),
        "code: 06",
        "classes[0].code",
        "quoted",
    ),
    (
        "leaf without retention",
        lambda t: t.replace("    retention: 10\n", ""),
        'code: "060101"',
        "classes[2].retention",
        "needs retention",
    ),
    (
        "heading with retention",
        lambda t: t.replace(
            "    title: {zh-TW: 檔案清理", "    retention: 5\n    title: {zh-TW: 檔案清理"
        ),
        "retention: 5",
        "classes[1].retention",
        "heading",
    ),
    (
        "unknown division",
        lambda t: t.replace("division: archives", "division: finance"),
        "division: finance",
        "classes[2].division",
        "unknown division",
    ),
    (
        "missing title",
        lambda t: t.replace("    title: {zh-TW: 檔案銷毀, en: Destruction}\n", ""),
        'code: "060101"',
        "classes[2].title",
        "required",
    ),
    (
        "duplicate yaml key",
        lambda t: t.replace("    retention: 10\n", "    retention: 10\n    retention: 3\n"),
        "retention: 3",
        "classes[2].retention",
        "duplicate key",
    ),
    (
        "yaml syntax error",
        lambda t: t.replace("    trigger: latest_document", "   trigger: latest_document"),
        "   trigger: latest_document",
        "(yaml syntax)",
        "",
    ),
]


@pytest.mark.parametrize(
    ("edit", "needle", "field", "words"),
    [v[1:] for v in BAD_VARIANTS],
    ids=[v[0] for v in BAD_VARIANTS],
)
def test_bad_file_is_refused_with_line_and_field(
    tmp_path: Path, edit: Callable[[str], str], needle: str, field: str, words: str
) -> None:
    bad = edit(BASE)
    assert bad != BASE
    error = refused(tmp_path, bad)
    occurrence = 2 if "duplicate code" in error.message else 1
    assert (error.line, error.field) == (line_of(bad, needle, occurrence), field)
    assert words in error.message
    assert f":{error.line}: {field}" in str(error)


def test_long_term_with_basis_is_accepted(tmp_path: Path) -> None:
    text = BASE.replace("retention: 10", "retention: 50\n    retention_basis: 經檔案管理局同意延長")
    assert load_schedule(write(tmp_path, text)).retention_of("060101") == 50


def test_effective_date_may_be_written_in_roc(tmp_path: Path) -> None:
    text = BASE.replace("effective_date: 2025-01-01", "effective_date: 中華民國114年1月1日")
    assert load_schedule(write(tmp_path, text)).effective_date == date(2025, 1, 1)


def test_header_error_points_at_header_line(tmp_path: Path) -> None:
    error = refused(tmp_path, BASE.replace("schema_version: 1", "schema_version: 3"))
    assert (error.line, error.field) == (1, "schema_version")


def test_empty_and_non_mapping_documents_are_refused(tmp_path: Path) -> None:
    assert refused(tmp_path, "").field == "(document)"
    assert refused(tmp_path, "- 1\n- 2\n").line == 1


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(RulesError, match="cannot read"):
        load_schedule(tmp_path / "missing.yaml")


# --- a directory of rules files ---------------------------------------------------------------


def versioned(version: int, effective: str, schedule_id: str = "test") -> str:
    return (
        BASE.replace("\nversion: 1\n", f"\nversion: {version}\n")
        .replace("effective_date: 2025-01-01", f"effective_date: {effective}")
        .replace("schedule_id: test", f"schedule_id: {schedule_id}")
    )


def test_rules_dir_newest_version_wins(tmp_path: Path) -> None:
    write(tmp_path, versioned(1, "2024-01-01"), "a-v1.yaml")
    write(tmp_path, versioned(2, "2026-01-01"), "a-v2.yml")
    write(tmp_path, "{}", "schema.json")
    assert load_rules_dir(tmp_path).version == 2
    assert load_rules_dir(tmp_path, as_of=date(2025, 6, 1)).version == 1
    with pytest.raises(ConfigError, match="in force"):
        load_rules_dir(tmp_path, as_of=date(2020, 1, 1))


def test_rules_dir_refuses_the_same_version_twice(tmp_path: Path) -> None:
    write(tmp_path, versioned(1, "2024-01-01"), "a.yaml")
    write(tmp_path, versioned(1, "2025-01-01"), "b.yaml")
    with pytest.raises(RulesError) as info:
        load_rules_dir(tmp_path)
    assert info.value.field == "version" and "a.yaml" in info.value.message


def test_rules_dir_with_several_schedules_needs_a_choice(tmp_path: Path) -> None:
    write(tmp_path, versioned(1, "2024-01-01", "one"), "one.yaml")
    write(tmp_path, versioned(3, "2024-01-01", "two"), "two.yaml")
    with pytest.raises(ConfigError, match="several schedules"):
        load_rules_dir(tmp_path)
    assert load_rules_dir(tmp_path, schedule_id="two").version == 3


def test_rules_dir_without_schedules(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no \*\.yaml"):
        load_rules_dir(tmp_path)
    with pytest.raises(ConfigError, match="does not exist"):
        load_rules_dir(tmp_path / "nope")


def test_repository_rules_dir_loads() -> None:
    assert load_rules_dir(REPO_RULES_DIR).schedule_id == "tainan-secretariat"


# --- schema 2: every leaf cites its basis -------------------------------------------------

BASE_V2 = BASE.replace("schema_version: 1", "schema_version: 2").replace(
    "    legal_basis: 檔案法第12條\n", "    basis: [{reference: 檔案法, item: 第12條}]\n"
)


def test_schema_2_derives_the_shown_basis_from_the_citations(tmp_path: Path) -> None:
    cls = load_schedule(write(tmp_path, BASE_V2)).get("060101")
    assert cls.basis is not None and (cls.basis[0].reference, cls.basis[0].item) == (
        "檔案法", "第12條")
    assert cls.legal_basis == "檔案法第12條"


@pytest.mark.parametrize(
    ("edit", "needle", "field", "words"),
    [
        (lambda t: t.replace("    basis: [{reference: 檔案法, item: 第12條}]\n", ""),
         'code: "060101"', "classes[2].basis", "needs basis"),
        (lambda t: t.replace("[{reference: 檔案法, item: 第12條}]", "[]"),
         "basis: []", "classes[2].basis", "at least 1"),
        (lambda t: t.replace("{reference: 檔案法, item: 第12條}", "{item: 第12條}"),
         "basis: [{item", "classes[2].basis[0].reference", "required"),
        (lambda t: t.replace("    title: {zh-TW: 檔案清理",
                             "    basis: [{reference: 檔案法}]\n    title: {zh-TW: 檔案清理"),
         "basis: [{reference: 檔案法}]", "classes[1].basis", "heading"),
    ],
    ids=["leaf without basis", "empty basis", "citation without reference", "basis on heading"],
)
def test_schema_2_citations_are_checked(
    tmp_path: Path, edit: Callable[[str], str], needle: str, field: str, words: str
) -> None:
    bad = edit(BASE_V2)
    error = refused(tmp_path, bad)
    assert (error.line, error.field) == (line_of(bad, needle), field)
    assert words in error.message


# --- a revision may not shorten what files already filed keep --------------------------------


def revision(text: str, version: int = 2, effective: str = "2026-01-01") -> str:
    return text.replace("\nversion: 1\n", f"\nversion: {version}\n").replace(
        "effective_date: 2025-01-01", f"effective_date: {effective}")


def test_a_longer_term_in_a_revision_is_accepted(tmp_path: Path) -> None:
    write(tmp_path, BASE, "v1.yaml")
    write(tmp_path, revision(BASE_V2.replace("retention: 10", "retention: 15")), "v2.yaml")
    assert load_rules_dir(tmp_path).retention_of("060101") == 15
    assert load_rules_dir(tmp_path, as_of=date(2025, 6, 1)).retention_of("060101") == 10


CHILD = """  - code: "06010101"
    level: 節
    parent: "060101"
    title: {zh-TW: 銷毀目錄, en: Destruction lists}
    division: archives
    retention: 10
    trigger: latest_document
    disposition: destroy
    confidentiality: internal
    basis: [{reference: 檔案法, item: 第12條}]
"""


@pytest.mark.parametrize(
    ("edit", "needle", "field", "words"),
    [
        (lambda t: t.replace("retention: 10", "retention: 5"), 'code: "060101"', "retention",
         "shortened to 5"),
        (lambda t: t.replace("retention: 10", "retention: 5").replace('"060101"', '"060102"'),
         None, "classes", "is missing"),
        (lambda t: t.replace("    retention: 10\n    trigger: latest_document\n"
                             "    disposition: destroy\n    confidentiality: internal\n"
                             "    basis: [{reference: 檔案法, item: 第12條}]\n", "")
         .split("    match:")[0] + CHILD, 'code: "060101"', "classes", "became a heading"),
        (lambda t: t.replace("effective_date: 2026-01-01", "effective_date: 2024-12-31"),
         None, "effective_date", "must take effect after"),
    ],
    ids=["shorter term", "class removed", "leaf became heading", "earlier effective date"],
)
def test_a_revision_that_would_shorten_filed_terms_is_refused(
    tmp_path: Path, edit: Callable[[str], str], needle: str | None, field: str, words: str
) -> None:
    write(tmp_path, BASE, "v1.yaml")
    bad = edit(revision(BASE_V2))
    path = write(tmp_path, bad, "v2.yaml")
    assert load_schedule(path).version == 2  # the file alone is valid
    with pytest.raises(RulesError) as info:
        load_rules_dir(tmp_path)
    error = info.value
    assert (error.path, error.field) == (str(path), field)
    assert error.line == (line_of(bad, needle) if needle else None)
    assert words in error.message


def test_permanent_may_not_become_a_fixed_term(tmp_path: Path) -> None:
    permanent = BASE.replace("retention: 10", "retention: permanent").replace(
        "disposition: destroy", "disposition: agency_permanent")
    write(tmp_path, permanent, "v1.yaml")
    write(tmp_path, revision(BASE_V2.replace("retention: 10", "retention: 30").replace(
        "disposition: destroy", "disposition: appraise")), "v2.yaml")
    with pytest.raises(RulesError, match="shortened to 30"):
        load_rules_dir(tmp_path)


# --- the Secretariat's version 2 ---------------------------------------------------------------


@pytest.fixture(scope="module")
def secretariat_v2() -> Schedule:
    return load_schedule(SECRETARIAT_V2)


def test_version_2_is_in_force_and_keeps_every_term_of_version_1(
    secretariat: Schedule, secretariat_v2: Schedule
) -> None:
    in_force = load_rules_dir(REPO_RULES_DIR)
    assert (in_force.version, in_force.schema_version) == (2, 2)
    def years(cls: RetentionClass) -> int:
        return 1000 if cls.retention == "permanent" else int(cls.retention or 0)

    for old in secretariat.leaf_classes():
        assert secretariat_v2.is_leaf(old.code)
        assert years(secretariat_v2.get(old.code)) >= years(old), old.code


@pytest.mark.parametrize(
    ("code", "years", "cited"),
    [
        ("03030101", 5, "修繕"),  # repairs: 3 -> 5 years
        ("030302", 5, "修繕"),
        ("05010103", 30, "巨額：30年"),  # very large works
        ("05010204", 30, "巨額：30年"),  # very large goods and services
        ("050104", 20, "終止或解除契約"),
        ("05010203", 10, "未達巨額：10年"),  # small purchases: 5 -> 10 years
        ("050103", 10, "未達巨額：10年"),
        ("0801", 5, "第16條第1項"),  # asset declarations: 5 years after leaving office
        ("0902", 10, "第84條第1項"),
        ("1004", 5, "出國報告：5年"),
    ],
)
def test_version_2_terms_follow_their_cited_source(
    secretariat_v2: Schedule, code: str, years: int, cited: str
) -> None:
    cls = secretariat_v2.get(code)
    assert cls.retention == years
    assert cls.basis and any(cited in str(c) for c in cls.basis)


def test_version_2_covers_the_common_areas_with_evidence_for_the_classifier(
    secretariat_v2: Schedule,
) -> None:
    titles = {c.title.zh_tw: c for c in secretariat_v2.leaf_classes()}
    for word in ("任免", "考績", "差勤", "退休", "財產申報", "利益衝突", "會計報告", "內部審核",
                 "施政計畫", "列管", "出國報告", "資通安全", "個人資料保護", "巨額"):
        assert any(word in title for title in titles), word
    assert {"personnel", "ethics", "accounting"} <= set(secretariat_v2.divisions)
    for cls in secretariat_v2.leaf_classes():
        assert cls.basis, cls.code
        if cls.code[:2] in {"07", "08", "09", "10", "11"} and not cls.code.endswith("99"):
            assert cls.scope and cls.match and cls.match.keywords, cls.code
