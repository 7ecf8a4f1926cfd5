"""The search contract: the same assertions against every search backend.

Each test runs on the embedded index (SQLite FTS5), on OpenSearch with SQLite
and on OpenSearch with PostgreSQL (``tests/services.py`` provides the servers
and the corpus). Whatever a clerk can rely on in one must hold in the others.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from pipeline.archive import Archive
from pipeline.db.models import Document
from pipeline.search import SearchFilters, SearchQuery, SearchResult
from pipeline.search.maintenance import rebuild, require_in_step, verify
from pipeline.search.opensearch import OpenSearchBackend
from tests.services import BACKENDS, CORPUS, backend_archive, load_corpus, refresh, set_status

BY_KEY = {doc.key: doc for doc in CORPUS}
INTERNAL = SearchFilters()
EVERYTHING = SearchFilters(clearance="confidential")


@pytest.fixture(scope="module", params=BACKENDS)
def corpus(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Archive, dict[str, int]]]:
    """A read-only archive with the corpus indexed, one per backend and module."""
    home = tmp_path_factory.mktemp(request.param) / "home"
    with backend_archive(request.param, home) as archive:
        yield archive, load_corpus(archive)


@pytest.fixture(params=BACKENDS)
def fresh(request: pytest.FixtureRequest,
          tmp_path: Path) -> Iterator[tuple[Archive, dict[str, int]]]:
    """An archive of its own with the corpus, for tests that change it."""
    with backend_archive(request.param, tmp_path / "home") as archive:
        yield archive, load_corpus(archive)


def run(archive: Archive, q: str, filters: SearchFilters = INTERNAL, **kw: Any) -> SearchResult:
    with archive.session() as session:
        return archive.search.search(session, SearchQuery(q, filters, **kw))


def found(archive: Archive, ids: dict[str, int], q: str,
          filters: SearchFilters = INTERNAL) -> set[tuple[str, int]]:
    """(document key, page) of every matching page."""
    names = {v: k for k, v in ids.items()}
    return {(names[h.document_id], page) for h in run(archive, q, filters, limit=100).hits
            for page in h.pages}


def docs_with(q: str, clearance: tuple[str, ...] = ("public", "internal")) -> set[str]:
    return {d.key for d in CORPUS if any(q in p for p in d.pages)
            and d.confidentiality in clearance}


# -- Chinese, English, phrases --------------------------------------------------------------


def test_two_characters_in_the_middle_of_unspaced_chinese(corpus: Any) -> None:
    archive, ids = corpus
    assert found(archive, ids, "銷毀") == {("letter", 1), ("doomed", 1)}
    assert {k for k, _ in found(archive, ids, "總務")} == {"memo"}


def test_four_characters_in_the_middle_of_unspaced_chinese(corpus: Any) -> None:
    archive, ids = corpus
    assert found(archive, ids, "檔案銷毀") == {("letter", 1)}
    assert found(archive, ids, "車輛保養") == {("memo", 1), ("garage", 1)}
    assert found(archive, ids, "銷毀檔案") == set()  # the same characters, another order


def test_a_line_break_inside_a_chinese_word_is_not_a_boundary(corpus: Any) -> None:
    archive, ids = corpus
    assert found(archive, ids, "市政府") == {("letter", 1), ("wrapped", 1)}


def test_full_width_letters_and_digits_match_ascii(corpus: Any) -> None:
    archive, ids = corpus
    assert found(archive, ids, "abc113") == {("wrapped", 1)}
    assert found(archive, ids, "ＡＢＣ１１３") == {("wrapped", 1)}


@pytest.mark.parametrize("q", ["procurement", "PROCUREMENT", "Procurement", "pRoCuReMeNt"])
def test_english_is_case_insensitive(corpus: Any, q: str) -> None:
    archive, ids = corpus
    assert found(archive, ids, q) == {("letter", 2)}


def test_every_term_is_required(corpus: Any) -> None:
    archive, ids = corpus
    assert found(archive, ids, "annual report") == {("letter", 2), ("budget", 1)}
    assert found(archive, ids, "秘書處 保養") == {("memo", 1), ("garage", 1)}
    assert found(archive, ids, "保養 nonexistentword") == set()


def test_a_quoted_phrase_keeps_its_word_order(corpus: Any) -> None:
    archive, ids = corpus
    assert found(archive, ids, '"annual report"') == {("letter", 2)}
    assert found(archive, ids, '"Tainan City Government"') == {("budget", 1)}
    assert found(archive, ids, '"government city"') == set()


def test_mixed_chinese_and_english_query(corpus: Any) -> None:
    archive, ids = corpus
    assert found(archive, ids, "秘書處 tainan", EVERYTHING) == {("gift", 1), ("budget", 1)}


# -- ranking, highlighting, paging ------------------------------------------------------------


def test_a_page_with_the_term_three_times_outranks_one_with_it_once(corpus: Any) -> None:
    archive, ids = corpus
    hits = run(archive, "保養").hits
    assert [h.document_id for h in hits] == [ids["garage"], ids["memo"]]
    assert hits[0].score > hits[1].score


@pytest.mark.parametrize(("q", "marked"), [("秘書", "<mark>秘書</mark>"),
                                           ("檔案銷毀", "<mark>檔案銷毀</mark>"),
                                           ("PROCUREMENT", "<mark>procurement</mark>")])
def test_snippets_mark_the_match(corpus: Any, q: str, marked: str) -> None:
    archive, _ = corpus
    hits = run(archive, q).hits
    assert hits
    assert all(marked in h.snippet for h in hits), [h.snippet for h in hits]


def test_hits_name_document_page_and_title(corpus: Any) -> None:
    archive, ids = corpus
    [hit] = run(archive, "檔案銷毀").hits
    assert (hit.document_id, hit.page) == (ids["letter"], 1)
    assert hit.title == "檢送檔案銷毀目錄"
    assert hit.original_name == "letter.png"


def test_hits_are_documents_with_their_matching_pages(corpus: Any) -> None:
    archive, ids = corpus
    whole = run(archive, "秘書處", limit=100)
    assert whole.total == len(whole.hits) == 6  # 6 visible documents, the letter once
    assert len({h.document_id for h in whole.hits}) == 6
    [letter] = [h for h in whole.hits if h.document_id == ids["letter"]]
    assert letter.pages == (1, 2) and letter.page in letter.pages
    assert sum(whole.facets["status"].values()) == whole.total  # the same thing counted


def test_pages_of_results_add_up_to_the_total(corpus: Any) -> None:
    archive, _ = corpus
    whole = run(archive, "秘書處", limit=100)
    paged = [h for offset in range(0, 7, 3) for h in run(archive, "秘書處", limit=3,
                                                         offset=offset).hits]
    assert [(h.document_id, h.page) for h in paged] == [(h.document_id, h.page)
                                                         for h in whole.hits]
    assert {run(archive, "秘書處", limit=2, offset=o).total for o in (0, 2, 6, 50)} == {6}
    assert run(archive, "秘書處", limit=5, offset=50).hits == []


def test_sort_by_date_puts_the_newest_first(corpus: Any) -> None:
    archive, ids = corpus
    names = {v: k for k, v in ids.items()}
    keys = [names[h.document_id] for h in run(archive, "秘書處", sort="date", limit=100).hits]
    dated = [d for k in keys if (d := BY_KEY[k].document_date) is not None]
    assert dated == sorted(dated, reverse=True)
    assert keys[-1] == "wrapped"  # undated last


# -- filters and facets -----------------------------------------------------------------------


@pytest.mark.parametrize(("field", "value"), [("division", "總務科"), ("class_code", "B02"),
                                              ("status", "classified"), ("record_type", "函")])
def test_each_filter_narrows_to_matching_documents(corpus: Any, field: str, value: str) -> None:
    archive, ids = corpus
    everything = found(archive, ids, "秘書處")
    kw: dict[str, Any] = {field: value}
    narrowed = found(archive, ids, "秘書處", replace(INTERNAL, **kw))
    expected = {(k, p) for k, p in everything if getattr(BY_KEY[k], field) == value}
    assert narrowed == expected
    assert narrowed and narrowed < everything


def test_filters_combine(corpus: Any) -> None:
    archive, ids = corpus
    both = SearchFilters(division="總務科", class_code="B02")
    assert {k for k, _ in found(archive, ids, "秘書處", both)} == {"memo", "garage"}
    none = SearchFilters(division="總務科", class_code="C03")
    assert run(archive, "秘書處", none).total == 0


def test_date_range_is_inclusive_and_drops_undated(corpus: Any) -> None:
    archive, ids = corpus
    in_2024 = SearchFilters(date_from=date(2024, 1, 10), date_to=date(2024, 5, 20))
    assert {k for k, _ in found(archive, ids, "秘書處", in_2024)} == {"letter", "garage"}
    since = SearchFilters(date_from=date(2023, 1, 1))
    assert {k for k, _ in found(archive, ids, "秘書處", since)} == {"letter", "memo", "garage"}
    until = SearchFilters(date_to=date(2022, 12, 31))
    assert {k for k, _ in found(archive, ids, "秘書處", until)} == {"budget", "doomed"}


def test_facets_count_documents_not_pages(corpus: Any) -> None:
    archive, _ = corpus
    facets = run(archive, "秘書處").facets
    visible = [d for d in CORPUS if d.confidentiality != "confidential"]
    for field in ("division", "class_code", "status", "record_type"):
        expected: dict[str, int] = {}
        for d in visible:
            expected[getattr(d, field)] = expected.get(getattr(d, field), 0) + 1
        assert facets[field] == expected, field


def test_facets_follow_the_filters(corpus: Any) -> None:
    archive, _ = corpus
    facets = run(archive, "秘書處", SearchFilters(division="總務科")).facets
    assert facets["division"] == {"總務科": 3}
    assert facets["class_code"] == {"A01": 1, "B02": 2}


@pytest.mark.parametrize(("fields", "expected"), [
    ({"volumes": "86"}, {"letter"}),
    ({"urgent": "true"}, {"letter"}),
    ({"urgent": "False"}, {"memo"}),
    ({"doc_number": "府秘檔字第1130098765號"}, {"letter"}),
    ({"volumes": "86", "urgent": "false"}, set()),
    ({"volumes": "8"}, set()),
])
def test_typed_fields_filter_by_exact_value(corpus: Any, fields: dict[str, str],
                                            expected: set[str]) -> None:
    archive, ids = corpus
    keys = {k for k, _ in found(archive, ids, "秘書處", SearchFilters(fields=fields))}
    assert keys == expected


# -- confidentiality --------------------------------------------------------------------------


def test_confidential_documents_are_invisible_below_their_clearance(corpus: Any) -> None:
    archive, ids = corpus
    for q in ("禮品採購", "SECRETWORD", "專務科"):
        result = run(archive, q)
        assert (result.total, result.hits) == (0, []), q
        assert all(not counts for counts in result.facets.values()), q
    result = run(archive, "秘書處", limit=100)
    assert ids["gift"] not in {h.document_id for h in result.hits}
    assert "專務科" not in result.facets["division"]
    assert result.facets["class_code"]["C03"] == 1  # the public budget, not the gift


def test_clearance_decides_what_is_visible(corpus: Any) -> None:
    archive, ids = corpus
    assert found(archive, ids, "禮品採購", EVERYTHING) == {("gift", 1)}
    public = {k for k, _ in found(archive, ids, "秘書處", SearchFilters(clearance="public"))}
    assert public == {"budget"}
    assert run(archive, "秘書處", EVERYTHING).facets["division"]["專務科"] == 1


INJECTIONS = ['"', "AND OR NOT", "title:*", "*", "(", "\\", ")", "禮品採購 OR 秘書處",
              "confidentiality:confidential", 'secretword" OR "x', "秘書處 || 禮品採購",
              "{\"match_all\": {}}", "秘書處 -禮品採購", "*:*", "NOT 禮品採購", "秘書處~2",
              "/.*/", "[a TO z]", "秘書處^100", "<script>", "' OR 1=1 --"]


@pytest.mark.parametrize("q", INJECTIONS)
def test_query_syntax_neither_errors_nor_bypasses_filters(corpus: Any, q: str) -> None:
    archive, ids = corpus
    result = run(archive, q, limit=100)
    assert ids["gift"] not in {h.document_id for h in result.hits}
    assert "專務科" not in result.facets.get("division", {})
    narrowed = run(archive, q, SearchFilters(division="檔案科"), limit=100)
    assert {h.document_id for h in narrowed.hits} <= {ids["letter"], ids["budget"]}


# -- changes, removal, drift ------------------------------------------------------------------


def test_a_disposed_document_leaves_the_index(fresh: Any) -> None:
    archive, ids = fresh
    assert found(archive, ids, "DISPOSEME") == {("doomed", 1)}
    with archive.session() as session:  # as pipeline.destruction does it
        archive.search.stage_removal(session, ids["doomed"])
        set_status(session, ids["doomed"], "disposed")
    refresh(archive)
    assert run(archive, "DISPOSEME", EVERYTHING).total == 0
    assert run(archive, "秘書處", EVERYTHING).facets["division"]["總務科"] == 2
    with archive.session() as session:
        assert ids["doomed"] not in archive.search.indexed_document_ids(session)
    require_in_step(verify(archive.search, archive.sessions))


def test_a_reclassified_document_is_found_under_its_new_class(fresh: Any) -> None:
    archive, ids = fresh
    with archive.session() as session:
        doc = session.get(Document, ids["memo"])
        assert doc is not None
        doc.class_code, doc.division = "Z99", "檔案科"
        archive.search.stage_document(session, doc.id)
    refresh(archive)
    assert found(archive, ids, "公務車輛", SearchFilters(class_code="Z99")) == {("memo", 1)}
    assert found(archive, ids, "公務車輛", SearchFilters(class_code="B02")) == set()
    assert run(archive, "公務車輛").facets["division"] == {"檔案科": 1}


def test_a_page_added_to_a_document_becomes_searchable(fresh: Any) -> None:
    archive, ids = fresh
    with archive.session() as session:
        doc = session.get(Document, ids["budget"])
        assert doc is not None
        doc.pages.append(doc.pages[0].__class__(
            number=2, text="附件：年度預算書 appendix", source="ocr", width=1, height=1,
            dpi=300, words=[]))
        doc.page_count = 2
        archive.search.stage_document(session, doc.id)
    refresh(archive)
    assert found(archive, ids, "預算書") == {("budget", 2)}
    require_in_step(verify(archive.search, archive.sessions))


def test_verify_finds_drift_and_reindex_repairs_it(fresh: Any) -> None:
    archive, ids = fresh
    report = verify(archive.search, archive.sessions)
    assert report.in_step and report.database_documents == len(CORPUS)
    _lose_from_index(archive, ids["memo"])
    with archive.session() as session:  # disposed behind the index's back
        set_status(session, ids["doomed"], "disposed")
    drift = verify(archive.search, archive.sessions)
    assert (drift.missing, drift.extra) == ([ids["memo"]], [ids["doomed"]])
    before = found(archive, ids, "秘書處", EVERYTHING)
    rebuild(archive.search, archive.sessions)
    assert verify(archive.search, archive.sessions).in_step
    after = found(archive, ids, "秘書處", EVERYTHING)
    assert after == (before | {("memo", 1)}) - {("doomed", 1)}


def _lose_from_index(archive: Archive, document_id: int) -> None:
    """Take a document out of the index only, as a crash or a bug would."""
    if isinstance(archive.search, OpenSearchBackend):
        archive.search.client.delete(index=archive.search.alias, id=f"{document_id}-1",
                                     params={"refresh": "true"})
        return
    with archive.session() as session:
        session.execute(text("DELETE FROM page_fts WHERE rowid IN "
                             "(SELECT id FROM pages WHERE document_id = :d)"), {"d": document_id})
