"""Dates in Taiwanese documents: ROC (Minguo) and Gregorian forms, and retention arithmetic.

ROC year + 1911 = Gregorian year (民國元年 = 1912). Recognised forms (digits may be
full-width, and OCR spaces between the parts of the CJK forms are tolerated):

==================  ==============================
form                example
==================  ==============================
roc_full            中華民國113年5月20日
roc                 民國113年5月20日
roc_bare            113年5月20日
roc_dotted          113.05.20  (year of 2-3 digits)
roc_slash           113/05/20  (year of 2-3 digits)
roc_numeral         (中華民國)一百一十三年五月二十日
gregorian_iso       2024-05-20
gregorian_slash     2024/5/20
gregorian_dotted    2024.05.20
gregorian_cjk       (西元)2024年5月20日
gregorian_numeral   (西元)二〇二四年五月二十日
==================  ==============================

A Chinese-numeral year without prefix is read as Gregorian when it is >= 1000, else ROC.
``113-05-20`` is deliberately not a date form: telephone and file numbers look the same.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from enum import StrEnum
from typing import NamedTuple

from pipeline.errors import ConfigError

ROC_OFFSET = 1911
#: Taiwan time (UTC+8, no daylight saving)
TAIPEI = timezone(timedelta(hours=8), "Asia/Taipei")

__all__ = [
    "ROC_OFFSET",
    "TAIPEI",
    "DateForm",
    "FoundDate",
    "add_years",
    "find_dates",
    "fiscal_year_end",
    "parse_date",
    "retention_due",
    "to_roc",
    "to_roc_numeral",
    "to_roc_short",
]


class DateForm(StrEnum):
    """How a date was written."""

    roc_full = "roc_full"
    roc = "roc"
    roc_bare = "roc_bare"
    roc_dotted = "roc_dotted"
    roc_slash = "roc_slash"
    roc_numeral = "roc_numeral"
    gregorian_iso = "gregorian_iso"
    gregorian_slash = "gregorian_slash"
    gregorian_dotted = "gregorian_dotted"
    gregorian_cjk = "gregorian_cjk"
    gregorian_numeral = "gregorian_numeral"


@dataclass(frozen=True, slots=True)
class FoundDate:
    """A date found in a text: ``text[start:end]`` is the matched source."""

    date: date
    start: int
    end: int
    text: str
    form: DateForm

    @property
    def span(self) -> tuple[int, int]:
        return self.start, self.end


# Full-width digits and separators map one-to-one, so offsets in the folded text
# are offsets in the original text.
_FOLD = str.maketrans(
    {
        **{chr(0xFF10 + i): str(i) for i in range(10)},
        "．": ".",
        "／": "/",
        "－": "-",
        "\u3000": " ",
    }
)
_SP = r"[ \t]*"
_NUM_DIGITS = "〇零○一二兩三四五六七八九"
_NUM_CHARS = _NUM_DIGITS + "十百千廿卅"
_YMD = rf"{_SP}年{_SP}(?P<m>\d{{1,2}}){_SP}月{_SP}(?P<d>\d{{1,2}}){_SP}日"
_NUM_YMD = (
    rf"(?P<y>[{_NUM_CHARS}元]{{1,6}}){_SP}年{_SP}(?P<m>[{_NUM_CHARS}]{{1,3}}){_SP}月"
    rf"{_SP}(?P<d>[{_NUM_CHARS}]{{1,3}}){_SP}日"
)


class _Spec(NamedTuple):
    form: DateForm
    pattern: re.Pattern[str]


def _spec(form: DateForm, pattern: str) -> _Spec:
    return _Spec(form, re.compile(pattern))


def _separated(year_digits: str, sep: str) -> str:
    """Pattern for Y<sep>M<sep>D not embedded in a longer run of numbers and separators."""
    s = re.escape(sep)
    return rf"(?<![\d{s}])(?P<y>\d{year_digits}){s}(?P<m>\d{{1,2}}){s}(?P<d>\d{{1,2}})(?!{s}?\d)"


_SPECS: tuple[_Spec, ...] = (
    _spec(DateForm.roc_full, rf"中華民國{_SP}(?P<y>\d{{1,3}}|元){_YMD}"),
    _spec(DateForm.roc, rf"民國{_SP}(?P<y>\d{{1,3}}|元){_YMD}"),
    _spec(DateForm.roc_bare, rf"(?<!\d)(?P<y>\d{{1,3}}){_YMD}"),
    _spec(DateForm.gregorian_cjk, rf"(?:(?:西元|公元){_SP})?(?<!\d)(?P<y>\d{{4}}){_YMD}"),
    _spec(DateForm.roc_numeral, rf"(?:(?P<p>中華民國|民國|西元|公元){_SP})?{_NUM_YMD}"),
    _spec(DateForm.roc_dotted, _separated("{2,3}", ".")),
    _spec(DateForm.roc_slash, _separated("{2,3}", "/")),
    _spec(DateForm.gregorian_iso, _separated("{4}", "-")),
    _spec(DateForm.gregorian_slash, _separated("{4}", "/")),
    _spec(DateForm.gregorian_dotted, _separated("{4}", ".")),
)


def _numeral(s: str) -> int:
    """Value of a Chinese numeral: positional (一百一十三) or digit by digit (二〇二四)."""
    s = s.replace("廿", "二十").replace("卅", "三十")
    if s == "元":
        return 1
    if not any(u in s for u in "十百千"):
        return int("".join(str(_digit(c)) for c in s))
    total, current = 0, 0
    for c in s:
        unit = {"十": 10, "百": 100, "千": 1000}.get(c)
        if unit is None:
            current = _digit(c)
        else:
            total += (current or 1) * unit
            current = 0
    return total + current


def _digit(c: str) -> int:
    if c in "〇零○":
        return 0
    if c == "兩":
        return 2
    return "一二三四五六七八九".index(c) + 1


def _numeral_form(prefix: str | None, year: int) -> DateForm:
    if prefix in ("西元", "公元") or (prefix is None and year >= 1000):
        return DateForm.gregorian_numeral
    return DateForm.roc_numeral


def _resolve(spec: _Spec, m: re.Match[str]) -> tuple[DateForm, date]:
    """The form and date of a match; ValueError if the parts name no real day."""
    if spec.form is DateForm.roc_numeral:
        year = _numeral(m["y"])
        form = _numeral_form(m["p"], year)
        month, day = _numeral(m["m"]), _numeral(m["d"])
    else:
        form = spec.form
        year = 1 if m["y"] == "元" else int(m["y"])
        month, day = int(m["m"]), int(m["d"])
    if form.startswith("roc"):
        if year < 1:
            raise ValueError("ROC years start at 1 (民國元年 = 1912)")
        year += ROC_OFFSET
    return form, date(year, month, day)


def _candidates(folded: str, original: str) -> list[FoundDate]:
    found: list[FoundDate] = []
    for spec in _SPECS:
        for m in spec.pattern.finditer(folded):
            try:
                form, d = _resolve(spec, m)
            except ValueError:
                continue  # 113年2月30日 and the like are not dates: skip, do not coerce
            found.append(FoundDate(d, m.start(), m.end(), original[m.start() : m.end()], form))
    return found


def find_dates(text: str) -> list[FoundDate]:
    """All valid dates in ``text``, in order; overlapping matches keep the longest."""
    candidates = sorted(_candidates(text.translate(_FOLD), text), key=lambda f: (f.start, -f.end))
    chosen: list[FoundDate] = []
    for found in candidates:
        if not chosen or found.start >= chosen[-1].end:
            chosen.append(found)
    return chosen


def parse_date(s: str) -> date:
    """Parse one date in any recognised form; ConfigError if it is not exactly one valid date."""
    folded = s.strip().translate(_FOLD)
    for spec in _SPECS:
        m = spec.pattern.fullmatch(folded)
        if m is None:
            continue
        try:
            return _resolve(spec, m)[1]
        except ValueError as exc:
            raise ConfigError(f"invalid date {s!r}: {exc}") from exc
    raise ConfigError(f"not a recognised date: {s!r}")


def _roc_year(d: date) -> int:
    if d.year <= ROC_OFFSET:
        raise ValueError(f"{d.isoformat()} is before ROC year 1 (1912)")
    return d.year - ROC_OFFSET


def to_roc(d: date) -> str:
    """Long ROC form, e.g. ``中華民國113年5月20日``."""
    return f"中華民國{_roc_year(d)}年{d.month}月{d.day}日"


def to_roc_short(d: date) -> str:
    """Short ROC form ``113.05.20``; the year is zero-padded to 3 digits (``099.05.20``),
    as in the 7-digit ROC dates of government systems, so the text sorts and stays fixed-width."""
    return f"{_roc_year(d):03d}.{d.month:02d}.{d.day:02d}"


def _to_numeral(n: int) -> str:
    """Chinese numeral for 1..999 in the usual written form (一百一十三, 一百零三, 十五)."""
    digits = "零一二三四五六七八九"
    hundreds, tens, ones = n // 100, n // 10 % 10, n % 10
    out = f"{digits[hundreds]}百" if hundreds else ""
    if tens:
        out += f"{digits[tens]}十" if hundreds or tens > 1 else "十"
    elif hundreds and ones:
        out += "零"
    return out + (digits[ones] if ones else "")


def to_roc_numeral(d: date) -> str:
    """ROC form in Chinese numerals, e.g. ``中華民國一百一十三年五月二十日`` (certificates)."""
    year = _roc_year(d)
    if year > 999:
        raise ValueError(f"ROC year {year} is beyond the numeral form's range")
    return f"中華民國{_to_numeral(year)}年{_to_numeral(d.month)}月{_to_numeral(d.day)}日"


def today() -> date:
    """The real date (UTC): what changes records is judged against it; no option moves it."""
    return datetime.now(UTC).date()


def add_years(d: date, years: int) -> date:
    """``d`` moved by ``years`` calendar years (``years`` may be negative).

    Feb 29 in a target year without one becomes Feb 28: a period may not run into the
    next month, the rule Civil Code art. 121(2) gives for a missing corresponding day
    ("以其月之末日"). This keeps the function monotonic. ValueError only if the result
    leaves the years 1..9999.
    """
    target = d.year + years
    if d.month == 2 and d.day == 29 and not calendar.isleap(target):
        return d.replace(year=target, day=28)
    return d.replace(year=target)


def fiscal_year_end(d: date, end_month: int = 12) -> date:
    """Last day of the fiscal year containing ``d``.

    Taiwan's government fiscal year is the calendar year (ends Dec 31) since 2001; it ran
    July-June before, so retro-scanned older files may need ``end_month=6``.
    """
    if not 1 <= end_month <= 12:
        raise ValueError(f"end_month must be 1..12, got {end_month}")
    year = d.year if d.month <= end_month else d.year + 1
    return date(year, end_month, calendar.monthrange(year, end_month)[1])


def retention_due(trigger_date: date, years: int) -> date:
    """First day on which a fixed-term retention of ``years`` from ``trigger_date`` is over.

    Periods are counted as in Civil Code arts. 120-121: the trigger day itself is not
    counted, so the period starts the next day (``start``); it ends at the end of the day
    before the day corresponding to ``start`` in the year ``start.year + years``. The record
    must be kept up to and including ``retention_due(...) - 1 day`` and is due (eligible
    for transfer or the disposal queue) from the returned day. Example: trigger
    2024-05-20, 10 years -> kept through 2034-05-20, due 2034-05-21. When ``start`` is Feb 29
    and the final year has none, the period ends on Feb 28 (art. 121(2) proviso) and the
    due day is Mar 1.
    """
    if years < 1:
        raise ValueError(f"a fixed retention term is at least 1 year, got {years}")
    start = trigger_date + timedelta(days=1)
    target = start.year + years
    if start.month == 2 and start.day == 29 and not calendar.isleap(target):
        return date(target, 3, 1)
    return start.replace(year=target)
