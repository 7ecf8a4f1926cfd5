"""CJK-aware tokenising, query parsing and highlighting."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pipeline.search.embedded import match_expression
from pipeline.text import cjk_tokens, highlight, join_words, query_terms

CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)


def test_cjk_runs_become_bigrams_and_latin_is_folded() -> None:
    assert cjk_tokens("臺南市 Records") == ["臺南", "南市", "records"]


def test_line_break_inside_chinese_is_not_a_word_boundary() -> None:
    assert "南市" in cjk_tokens("臺南\n市政府")


def test_fullwidth_digits_are_normalised() -> None:
    assert cjk_tokens("１１３年") == ["113", "年"]


def test_join_words_spaces_only_between_latin_words() -> None:
    assert join_words(["主旨", ":", "檢送", "113", "年度", "Records", "Office"]) == (
        "主旨:檢送113年度Records Office"
    )


@given(st.text(alphabet=CJK, min_size=2, max_size=40), st.data())
def test_any_chinese_substring_is_a_contiguous_token_run(text: str, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(text) - 2))
    end = data.draw(st.integers(start + 2, len(text)))
    doc, sub = cjk_tokens(text), cjk_tokens(text[start:end])
    assert any(doc[i : i + len(sub)] == sub for i in range(len(doc) - len(sub) + 1))


def test_query_terms_keep_quoted_phrases() -> None:
    assert query_terms('"records management" 檔案') == ["records management", "檔案"]


def test_match_expression_quotes_everything() -> None:
    expr = match_expression('title:* OR "x" NEAR( 檔案')
    assert expr == '"title" AND "or" AND "x" AND "near" AND "檔案"'


def test_match_expression_empty_for_punctuation_only() -> None:
    assert match_expression('*** "" ()') == ""


def test_highlight_marks_every_occurrence_across_line_breaks() -> None:
    text = "本府辦理檔案銷毀作業，\n檔案\n銷毀前再確認。RECORDS office"
    out = highlight(text, ["檔案銷毀", "records"], width=200)
    assert out.count("<mark>") == 3
    assert "<mark>RECORDS</mark>" in out
