"""Record types: discovery, the interface's checks, extractors on ground-truth text, storage."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from importlib.metadata import EntryPoint, entry_points
from typing import Any, ClassVar

import pytest
from pydantic import BaseModel
from typer.testing import CliRunner

from cli import app
from pipeline.archive import Archive
from pipeline.db.models import Document, Page, StoredFile
from pipeline.errors import ConfigError
from pipeline.record_types import (
    CONFIDENCE_KEY,
    GROUP,
    PROPOSED_CLASS_KEY,
    PageText,
    Period,
    RecordType,
    RecordTypeError,
    Registry,
    TypeMatch,
    Word,
    choose_type,
    installed_types,
    proposed_class,
    registry,
    typed_fields,
)
from pipeline.record_types.apply import apply_match, raise_confidentiality
from pipeline.record_types.page_text import reading_text
from pipeline.record_types.parsing import (
    first_datetime,
    labelled,
    parse_amount,
    strip_noise,
    table_rows,
    tidy,
)
from pipeline.record_types.registry import check_type, load_entry_point
from pipeline.retention.schedule import load_schedule
from pipeline.search import SearchFilters, SearchQuery
from pipeline.settings import REPO_RULES_DIR
from tests.record_types_eval import evaluate, load_truth, truth_pages

BUILT_IN = {"official_document", "gift", "repair", "procurement_audit", "staff_evaluation",
            "safety_drill", "energy_report"}
TRUTH = {e["file"]: e for e in load_truth()}
runner = CliRunner()


def truth_text(file: str) -> str:
    return "\n".join(p["text"] for p in TRUTH[file]["pages"])


# ---------------------------------------------------------------- discovery


def test_built_in_types_are_entry_points_of_this_distribution() -> None:
    registry = installed_types()
    assert set(registry.names()) >= BUILT_IN
    for name in BUILT_IN:
        assert "tainan-records" in registry.sources[name]


def test_proposed_classes_are_leaves_of_the_schedule() -> None:
    schedule = load_schedule(REPO_RULES_DIR / "secretariat-v1.yaml")
    for rtype in installed_types():
        if rtype.proposed_class is not None:
            assert schedule.is_leaf(rtype.proposed_class), (rtype.name, rtype.proposed_class)


def test_records_types_json_lists_types_with_fields() -> None:
    result = runner.invoke(app, ["types", "--json"])
    assert result.exit_code == 0, result.output
    data = {t["name"]: t for t in json.loads(result.output)}
    gift = data["gift"]
    assert gift["labels"] == {"zh-TW": "餽贈及受贈財物", "en": "Gift record"}
    assert gift["exports"] == ["gifts"] and data["repair"]["reports"] == ["repairs"]
    fields = {f["name"]: f for f in gift["fields"]}
    assert fields["gift_date"]["format"] == "date"
    assert fields["estimated_value"]["type"] == "integer"
    assert data["staff_evaluation"]["confidentiality"] == "confidential"
    assert data["official_document"]["fallback"] is True


def test_records_types_prints_a_table_per_type() -> None:
    result = runner.invoke(app, ["types"])
    assert result.exit_code == 0
    assert "報修單" in result.output and "reported_at" in result.output


class _Fields(BaseModel):
    when: date | None = None


class _Good(RecordType):
    name: ClassVar[str] = "good_type"
    labels: ClassVar[dict[str, str]] = {"zh-TW": "好", "en": "Good"}
    Fields: ClassVar[type[BaseModel]] = _Fields

    def recognise(self, text: str) -> float:
        return 0.9 if "GOOD" in text else 0.0

    def extract(self, pages: Sequence[PageText]) -> dict[str, Any]:
        return {"when": "not a date"}


class _Nested(BaseModel):
    items: list[str] = []


class _NestedType(_Good):
    name: ClassVar[str] = "nested_type"
    Fields: ClassVar[type[BaseModel]] = _Nested


class _Overconfident(_Good):
    def recognise(self, text: str) -> float:
        return 2.0


def test_a_plugin_that_cannot_be_imported_is_reported_by_name() -> None:
    ep = EntryPoint("broken", "no_such_module_for_records:Thing", GROUP)
    with pytest.raises(RecordTypeError, match=r"'broken'.*cannot be loaded.*ModuleNotFoundError"):
        load_entry_point(ep)


@pytest.fixture
def broken_plugin_installed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The environment's entry points plus one whose module does not exist."""
    def with_broken(group: str) -> list[EntryPoint]:
        return [*entry_points(group=group),
                EntryPoint("broken", "no_such_module_for_records:X", group)]

    monkeypatch.setattr(registry, "entry_points", with_broken)
    installed_types.cache_clear()
    yield
    installed_types.cache_clear()


@pytest.mark.usefixtures("broken_plugin_installed")
def test_a_broken_plugin_stops_the_command_with_its_name() -> None:
    result = runner.invoke(app, ["types"])
    assert result.exit_code == 5
    message = " ".join(result.output.split())  # rich wraps at the terminal width
    assert "'broken'" in message and "cannot be loaded: ModuleNotFoundError" in message


def test_a_plugin_that_is_not_a_record_type_is_refused() -> None:
    with pytest.raises(RecordTypeError, match="not a RecordType"):
        load_entry_point(EntryPoint("odd", "pipeline.dates:parse_date", GROUP))


def test_a_plugin_name_must_match_its_entry_point() -> None:
    with pytest.raises(RecordTypeError, match="differs from the entry-point name"):
        load_entry_point(EntryPoint("other", "tests.test_record_types:_Good", GROUP))


def test_non_scalar_fields_are_refused() -> None:
    with pytest.raises(RecordTypeError, match="'items' is array: fields must be scalars"):
        check_type(_NestedType(), "test")


def test_invalid_extracted_values_raise_with_the_type_name() -> None:
    with pytest.raises(RecordTypeError, match="'good_type' extracted invalid fields"):
        typed_fields(_Good(), [PageText(1, "GOOD")])


def test_a_recogniser_outside_zero_to_one_is_an_error() -> None:
    with pytest.raises(RecordTypeError, match=r"returned 2\.0"):
        choose_type(Registry((_Overconfident(),)), "GOOD")


# ---------------------------------------------------------------- recognition, extraction


def test_extractors_read_every_ground_truth_field() -> None:
    ev = evaluate((e, truth_pages(e)) for e in TRUTH.values())
    assert ev.type_accuracy() == 1.0, ev.types
    assert ev.misses == []
    assert all(c.fp == 0 for c in ev.measured().values())


def test_a_letter_about_a_gift_is_an_official_document() -> None:
    registry = installed_types()
    letter = choose_type(registry, truth_text("box-0113-01/folder-03/scan-0004.png"))
    register = choose_type(registry, truth_text("box-0113-01/folder-03/scan-0005.jpg"))
    assert letter is not None and letter.rtype.name == "official_document"
    assert register is not None and register.rtype.name == "gift"


@pytest.mark.parametrize("text", ["", "Hello world", "第一條 契約文件及效力"])
def test_text_of_no_known_type_gets_none(text: str) -> None:
    assert choose_type(installed_types(), text) is None


def test_the_gift_register_lists_every_row() -> None:
    gift = installed_types().get("gift")
    entry = TRUTH["box-0113-01/folder-03/scan-0005.jpg"]
    rows = gift.entries(truth_pages(entry))  # type: ignore[attr-defined]
    expected = entry["fields"]["entries"]
    assert [r["gift_date"].isoformat() for r in rows] == [e["gift_date"] for e in expected]
    assert [r["estimated_value"] for r in rows] == [e["estimated_value"] for e in expected]


# ---------------------------------------------------------------- parsing helpers


@pytest.mark.parametrize(("text", "value"), [
    ("設備名稱分離式冷氣機", "分離式冷氣機"),  # OCR glued label and value
    ("設備名稱 : 分離式冷氣機", "分離式冷氣機"),
    ("|設備名稱| 分離式冷氣機 |", "分離式冷氣機"),
    ("設備名般 冷氣機", "冷氣機"),  # one character misread
])
def test_labelled_values_survive_ocr(text: str, value: str) -> None:
    assert labelled(text, "設備名稱") == value


def test_a_damaged_label_is_not_mistaken_for_its_sibling() -> None:
    text = "報修時間113/05/21 09:32\n完修時閒113/05/22 16:10"
    stop = ("報修時間", "完修時間")
    assert labelled(text, "完修時間", stop=stop) == "113/05/22 16:10"
    assert labelled("報修時間113/05/21 09:32", "完修時間", stop=stop) is None


def test_two_cells_on_one_row_are_cut_apart() -> None:
    row = "報修時間 113/05/27 14:20 完修時間 113/05/28 10:05"
    stop = ("報修時間", "完修時間")
    assert labelled(row, "報修時間", anywhere=True, stop=stop) == "113/05/27 14:20"
    assert labelled(row, "完修時間", anywhere=True, stop=stop) == "113/05/28 10:05"


@pytest.mark.parametrize(("text", "expected"), [
    ("113/05/21 09:32", datetime(2024, 5, 21, 9, 32)),
    ("113年5月14日 下午12時20分", datetime(2024, 5, 14, 12, 20)),
    ("113年5月14日 下午3時40分", datetime(2024, 5, 14, 15, 40)),
    ("2024-05-21", datetime(2024, 5, 21)),
    ("no date", None),
])
def test_first_datetime(text: str, expected: datetime | None) -> None:
    assert first_datetime(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("45,000", 45000), ("新臺幣4萬5,000元", 45000), ("1,865萬", 18_650_000),
    ("”「『45,000", 45000), ("計152人", 152), ("無", None),
])
def test_parse_amount(text: str, expected: int | None) -> None:
    assert parse_amount(text) == expected


def test_tidy_restores_full_width_punctuation_and_drops_gaps_in_words() -> None:
    assert tidy("本府同意受贈,並敬表謝忱") == "本府同意受贈，並敬表謝忱"
    assert tidy("財團 法人府城文教基金會") == "財團法人府城文教基金會"
    assert tidy("事務機(多功能影印機)") == "事務機（多功能影印機）"
    assert tidy("日立 RAS-50NK") == "日立 RAS-50NK"


def test_strip_noise_keeps_a_closing_bracket_that_closes_a_pair() -> None:
    assert strip_noise("“|事務機（多功能影印機）。") == "事務機（多功能影印機）"
    assert strip_noise("冷氣機)") == "冷氣機"


def _word(text: str, left: int, top: int, width: int = 60, height: int = 40) -> Word:
    return Word(text, left, top, width, height, 90.0)


def test_reading_text_puts_labels_and_values_back_on_one_line() -> None:
    # Tesseract read the label column as one block, then the values: boxes restore rows
    words = (_word("報修日期:", 100, 500, 200), _word("設備位置:", 100, 600, 200),
             _word("113年5月14日", 700, 502, 300), _word("9樓", 700, 601, 80))
    page = PageText(1, "報修日期:\n設備位置:\n113年5月14日\n9樓", words)
    assert reading_text(page) == "報修日期: 113年5月14日\n設備位置: 9樓"


def test_table_rows_from_word_boxes() -> None:
    header = (_word("日期", 100, 100), _word("品名", 600, 100), _word("估價", 1100, 100))
    row = (_word("112.05.03", 100, 200, 200), _word("劍獅", 600, 200), _word("木雕", 660, 200),
           _word("6,500", 1100, 200))
    end = (_word("說明:", 100, 300), _word("估價以新臺幣計", 200, 300, 700))
    page = PageText(1, "", header + row + end)
    columns = {"date": ("日期",), "item": ("品名",), "value": ("估價",)}
    rows = table_rows(page, columns, lambda cells: bool(cells.get("date")) and
                      cells["date"][0].isdigit())
    assert rows == [{"date": "112.05.03", "item": "劍獅木雕", "value": "6,500"}]


def test_period_from_options() -> None:
    assert Period.from_options(112, None).start == date(2023, 1, 1)
    month = Period.from_options(None, "2024-02")
    assert (month.start, month.end, month.label) == (date(2024, 2, 1), date(2024, 2, 29),
                                                    "2024-02")
    for bad in ((None, None), (2023, "2023-01"), (None, "2024-13")):
        with pytest.raises(ConfigError):
            Period.from_options(*bad)


# ---------------------------------------------------------------- applying a type to a document


def _doc(confidentiality: str = "internal", day: date | None = None) -> Document:
    return Document(confidentiality=confidentiality, document_date=day, fields={})


def _apply(name: str, file: str, doc: Document) -> Document:
    rtype = installed_types().get(name)
    apply_match(doc, TypeMatch(rtype, 0.9), truth_pages(TRUTH[file]))
    return doc


def test_applying_a_type_stores_fields_class_and_confidence() -> None:
    doc = _apply("repair", "box-0113-01/folder-02/scan-0003.png", _doc())
    assert doc.record_type == "repair"
    assert doc.fields["reported_at"] == "2024-05-21T09:32:00"
    assert doc.fields[PROPOSED_CLASS_KEY] == "03030101" == proposed_class(doc)
    assert doc.fields[CONFIDENCE_KEY] == 0.9
    assert doc.document_date == date(2024, 5, 21)  # no manifest date: the report day


def test_a_manifest_date_is_kept() -> None:
    doc = _apply("repair", "box-0113-01/folder-02/scan-0003.png", _doc(day=date(2024, 6, 1)))
    assert doc.document_date == date(2024, 6, 1)


def test_confidentiality_is_raised_never_lowered() -> None:
    staff = _apply("staff_evaluation", "box-0113-02/folder-01/scan-0007.png", _doc())
    energy = _apply("energy_report", "digital/energy-report-106-07.pdf", _doc())
    classified = _apply("official_document", "box-0113-03/folder-02/scan-0023.png", _doc())
    plain = _apply("official_document", "box-0113-02/folder-01/scan-0009.jpg", _doc("public"))
    assert staff.confidentiality == "confidential"
    assert energy.confidentiality == "internal"  # the type's default is public
    assert classified.confidentiality == "restricted"  # 密等: 密 (一般公務機密)
    assert plain.confidentiality == "internal"
    assert raise_confidentiality("secret-x", "public") == "secret-x"


@pytest.mark.parametrize(("printed", "level"), [
    ("密", "restricted"), ("機密", "confidential"), ("極機密", "secret"),
    ("絕對機密", "top_secret"), ("普通", "internal")])
def test_each_printed_secrecy_grade_gives_its_own_level(printed: str, level: str) -> None:
    rtype = installed_types().get("official_document")
    assert rtype.confidentiality_for({"classification": printed}) == level


# ---------------------------------------------------------------- typed-field search filter


def _stored_doc(archive: Archive, sha: str, text: str, fields: dict[str, Any]) -> int:
    with archive.session() as session:
        blob = StoredFile(sha256=sha, kind="original", size=1, media_type="image/png",
                          store_path=f"x/{sha}")
        session.add(blob)
        session.flush()
        doc = Document(sha256=sha, original_file_id=blob.id, original_name=f"{sha}.png",
                       media_type="image/png", page_count=1, lang="", fields=fields,
                       record_type="repair")
        doc.pages = [Page(number=1, text=text, source="ocr", width=1, height=1, dpi=300)]
        session.add(doc)
        session.flush()
        archive.search.stage_document(session, doc.id)
        return doc.id


def test_search_filters_on_typed_fields(archive: Archive) -> None:
    a = _stored_doc(archive, "a" * 64, "冷氣故障報修", {"location": "10樓", "done": True,
                                                      "participants": 86})
    b = _stored_doc(archive, "b" * 64, "冷氣故障報修", {"location": "9樓", "done": False})

    def ids(**fields: str) -> set[int]:
        query = SearchQuery("冷氣", SearchFilters(record_type="repair", fields=fields))
        with archive.session() as session:
            return {h.document_id for h in archive.search.search(session, query).hits}

    assert ids() == {a, b}
    assert ids(location="10樓") == {a}
    assert ids(done="true") == {a} and ids(done="false") == {b}
    assert ids(participants="86") == {a}
    assert ids(location="10樓", done="false") == set()
    assert ids(nothing="x") == set()


def test_a_field_filter_key_must_be_a_plain_name() -> None:
    with pytest.raises(ConfigError, match="not a field name"):
        SearchFilters(fields={"a') OR 1=1 --": "x"})


def test_records_search_field_option(archive: Archive) -> None:
    doc = _stored_doc(archive, "c" * 64, "飲水機漏水報修", {"location": "2樓走廊"})
    args = ["search", "飲水機", "--type", "repair", "--json"]
    hit = runner.invoke(app, [*args, "--field", "location=2樓走廊"])
    miss = runner.invoke(app, [*args, "--field", "location=3樓"])
    bad = runner.invoke(app, [*args, "--field", "location"])
    assert hit.exit_code == 0, hit.output
    assert [h["document_id"] for h in json.loads(hit.output)["hits"]] == [doc]
    assert json.loads(miss.output)["total"] == 0
    assert bad.exit_code == 5 and "KEY=VALUE" in bad.output
