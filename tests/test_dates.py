from __future__ import annotations

import calendar
import itertools
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.dates import (
    DateForm,
    add_years,
    find_dates,
    fiscal_year_end,
    parse_date,
    retention_due,
    to_roc,
    to_roc_numeral,
    to_roc_short,
)
from pipeline.errors import ConfigError

ROC_DATES = st.dates(min_value=date(1912, 1, 1), max_value=date(2910, 12, 31))
# From ROC year 10 every short form has a 2-3 digit year without padding.
TEXT_DATES = st.dates(min_value=date(1921, 1, 1), max_value=date(2910, 12, 31))
# Shifted by up to 999 years twice, every date stays inside the years 1..9999.
ANY_DATES = st.dates(min_value=date(1000, 1, 1), max_value=date(7999, 12, 31))
FULL_WIDTH = str.maketrans("0123456789./", "０１２３４５６７８９．／")


@pytest.mark.parametrize(
    ("text", "expected", "form"),
    [
        ("中華民國113年5月20日", date(2024, 5, 20), DateForm.roc_full),
        ("民國113年5月20日", date(2024, 5, 20), DateForm.roc),
        ("113年5月20日", date(2024, 5, 20), DateForm.roc_bare),
        ("113 年 5 月 20 日", date(2024, 5, 20), DateForm.roc_bare),
        ("113.05.20", date(2024, 5, 20), DateForm.roc_dotted),
        ("113/05/20", date(2024, 5, 20), DateForm.roc_slash),
        ("９９．０１．０２", date(2010, 1, 2), DateForm.roc_dotted),
        ("中華民國１１３年５月２０日", date(2024, 5, 20), DateForm.roc_full),
        ("民國元年1月1日", date(1912, 1, 1), DateForm.roc),
        ("一百一十三年五月二十日", date(2024, 5, 20), DateForm.roc_numeral),
        ("中華民國一百十三年十二月卅一日", date(2024, 12, 31), DateForm.roc_numeral),
        ("民國一〇三年五月二日", date(2014, 5, 2), DateForm.roc_numeral),
        ("二〇二四年五月二十日", date(2024, 5, 20), DateForm.gregorian_numeral),
        ("2024-05-20", date(2024, 5, 20), DateForm.gregorian_iso),
        ("2024/5/20", date(2024, 5, 20), DateForm.gregorian_slash),
        ("2024.05.20", date(2024, 5, 20), DateForm.gregorian_dotted),
        ("2024年5月20日", date(2024, 5, 20), DateForm.gregorian_cjk),
        ("西元2024年5月20日", date(2024, 5, 20), DateForm.gregorian_cjk),
    ],
)
def test_forms(text: str, expected: date, form: DateForm) -> None:
    assert parse_date(text) == expected
    [found] = find_dates(f"說明：{text}辦理。")
    assert (found.date, found.form, found.text, found.span) == (
        expected,
        form,
        text,
        (3, 3 + len(text)),
    )


@pytest.mark.parametrize(
    "text",
    ["", "hello", "113年2月30日", "113年13月1日", "2024-02-30", "民國0年1月1日", "113.05.20 x"],
)
def test_parse_date_rejects_garbage_and_impossible_days(text: str) -> None:
    with pytest.raises(ConfigError):
        parse_date(text)


def test_find_dates_skips_impossible_days_instead_of_coercing() -> None:
    found = find_dates("收文113年2月30日，發文113年3月1日")
    assert [f.date for f in found] == [date(2024, 3, 1)]


@pytest.mark.parametrize(
    "text", ["電話06-2991111", "版本3.10.2", "文號1130012345", "分機1234/5678", "比例1.5.6"]
)
def test_numbers_that_are_not_dates(text: str) -> None:
    assert find_dates(text) == []


def test_long_form_wins_over_the_bare_form_inside_it() -> None:
    [found] = find_dates("中華民國113年5月20日")
    assert found.form is DateForm.roc_full


def test_renderings() -> None:
    d = date(2024, 5, 20)
    assert to_roc(d) == "中華民國113年5月20日"
    assert to_roc_short(d) == "113.05.20"
    assert to_roc_short(date(2010, 1, 2)) == "099.01.02"
    assert to_roc_numeral(date(2014, 10, 3)) == "中華民國一百零三年十月三日"
    with pytest.raises(ValueError):
        to_roc(date(1911, 12, 31))


@given(ROC_DATES)
def test_roc_round_trip(d: date) -> None:
    assert parse_date(to_roc(d)) == d
    assert parse_date(to_roc_short(d)) == d
    assert parse_date(to_roc_numeral(d)) == d
    assert parse_date(to_roc(d).translate(FULL_WIDTH)) == d


@given(st.integers(min_value=1, max_value=999))
def test_leap_days(roc_year: int) -> None:
    year = roc_year + 1911
    text = f"民國{roc_year}年2月29日"
    if calendar.isleap(year):
        assert parse_date(text) == date(year, 2, 29)
    else:
        with pytest.raises(ConfigError):
            parse_date(text)
        assert find_dates(text) == []


def test_add_years_on_leap_day_goes_to_feb_28() -> None:
    assert add_years(date(2024, 2, 29), 1) == date(2025, 2, 28)
    assert add_years(date(2024, 2, 29), 4) == date(2028, 2, 29)
    assert add_years(date(2024, 2, 29), -1) == date(2023, 2, 28)


@given(ANY_DATES, ANY_DATES, st.integers(min_value=-999, max_value=999))
def test_add_years_monotonic_in_date(a: date, b: date, n: int) -> None:
    lo, hi = sorted((a, b))
    assert add_years(lo, n) <= add_years(hi, n)


@given(ANY_DATES, st.integers(min_value=-999, max_value=999), st.integers(0, 999))
def test_add_years_monotonic_in_years(d: date, n: int, step: int) -> None:
    shifted = add_years(d, n)
    assert add_years(d, n) <= add_years(d, n + step)
    assert (shifted.year, shifted.month) == (d.year + n, d.month)
    assert shifted.day == d.day or (d.month, d.day, shifted.day) == (2, 29, 28)


@given(ANY_DATES)
def test_fiscal_year_end_is_dec_31_of_the_same_year(d: date) -> None:
    end = fiscal_year_end(d)
    assert end >= d
    assert end == date(d.year, 12, 31)


@given(ANY_DATES, st.integers(min_value=1, max_value=12))
def test_fiscal_year_end_with_other_end_month(d: date, end_month: int) -> None:
    end = fiscal_year_end(d, end_month)
    assert d <= end < d + timedelta(days=366)
    assert end.month == end_month
    assert (end + timedelta(days=1)).day == 1


def test_fiscal_year_end_july_june_year() -> None:
    assert fiscal_year_end(date(1998, 3, 1), 6) == date(1998, 6, 30)
    assert fiscal_year_end(date(1998, 7, 1), 6) == date(1999, 6, 30)
    with pytest.raises(ValueError):
        fiscal_year_end(date(2024, 1, 1), 13)


@pytest.mark.parametrize(
    ("trigger", "years", "due"),
    [
        (date(2024, 5, 20), 10, date(2034, 5, 21)),
        (date(2023, 12, 31), 1, date(2025, 1, 1)),
        # start day Feb 29 with no Feb 29 in the last year: ends Feb 28, due Mar 1
        (date(2024, 2, 28), 1, date(2025, 3, 1)),
        (date(2024, 2, 29), 1, date(2025, 3, 1)),
        # start day Mar 1: kept through Feb 29 of a leap final year
        (date(2023, 2, 28), 1, date(2024, 3, 1)),
        (date(2024, 2, 28), 4, date(2028, 2, 29)),
    ],
)
def test_retention_due_examples(trigger: date, years: int, due: date) -> None:
    assert retention_due(trigger, years) == due


@given(TEXT_DATES, st.sampled_from([1, 3, 5, 10, 15, 20, 25, 30]))
def test_retention_due_runs_full_years(trigger: date, years: int) -> None:
    due = retention_due(trigger, years)
    assert add_years(trigger, years) < due <= add_years(trigger, years) + timedelta(days=2)
    assert retention_due(trigger + timedelta(days=1), years) >= due


def test_retention_due_rejects_non_positive_terms() -> None:
    with pytest.raises(ValueError):
        retention_due(date(2024, 1, 1), 0)


RENDERERS: list[Callable[[date], str]] = [
    to_roc,
    to_roc_short,
    to_roc_numeral,
    lambda d: to_roc(d).translate(FULL_WIDTH),
    lambda d: f"民國{d.year - 1911}年{d.month}月{d.day}日",
    lambda d: f"{d.year - 1911} 年 {d.month} 月 {d.day} 日",
    lambda d: f"{d.year - 1911}/{d.month:02d}/{d.day:02d}",
    lambda d: f"{d.year - 1911}.{d.month}.{d.day}",
    lambda d: d.isoformat(),
    lambda d: f"{d.year}/{d.month}/{d.day}",
    lambda d: f"{d.year}年{d.month}月{d.day}日",
]
# Ordinary Chinese text without digits, numerals or the words that start a date form.
FILLER = st.text(
    alphabet="本府秘書處函請查照辦理檔案應依規定移轉銷毀並會簽相關單位，。：、（）說明主旨 ab",
    max_size=30,
)


@given(TEXT_DATES, st.sampled_from(RENDERERS), FILLER, FILLER)
def test_find_dates_in_surrounding_text(
    d: date, render: Callable[[date], str], before: str, after: str
) -> None:
    rendered = render(d)
    text = before + rendered + after
    found = find_dates(text)
    assert [(f.date, f.start, f.end) for f in found] == [
        (d, len(before), len(before) + len(rendered))
    ]
    assert found[0].text == rendered


@given(
    st.text(
        alphabet=st.sampled_from("0123456789０１２年月日民國中華西元一二三十百〇./- 說"),
        max_size=60,
    )
)
def test_find_dates_on_noise_never_fails_and_spans_are_consistent(text: str) -> None:
    found = find_dates(text)
    for a, b in itertools.pairwise(found):
        assert a.end <= b.start
    for f in found:
        assert text[f.start : f.end] == f.text
        assert parse_date(f.text) == f.date
