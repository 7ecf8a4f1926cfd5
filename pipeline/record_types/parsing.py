"""OCR-tolerant helpers for recognisers and extractors (built-in types and plugins).

Tesseract output of a Chinese form differs from the printed page in predictable ways:
full-width punctuation becomes ASCII (``：`` -> ``:``), spaces between a label and its
value disappear (``設備名稱分離式冷氣機``), stray marks from table rules stick to the
start of a line (``|``, ``。``, ``“``), and a label may lose or change one character.
These helpers absorb that, so extractors stay short.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, time

import regex

from pipeline.dates import find_dates
from pipeline.record_types.page_text import PageText, Word, WordLine, word_lines

#: characters OCR leaves in front of a label or a value (table rules, stray dots, quotes)
NOISE = " \t。、.,:;|!¦「」『』“”\"'‘’`_~-—…·•*°»«[]【】"
_BRACKETS = {"(": ")", "（": "）"}
_COLON = r"[:：]"
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_ASCII_PUNCT_TO_WIDE = {",": "，", ";": "；", ":": "：", "(": "（", ")": "）", "!": "！", "?": "？"}


def lines(text: str) -> list[str]:
    """Non-empty lines, stripped."""
    return [ln.strip() for ln in text.splitlines() if ln.strip()]


def strip_noise(value: str) -> str:
    """``value`` without OCR debris at either end; a bracket that closes a pair is kept."""
    out = value.strip(NOISE)
    while out and _unbalanced_end(out):
        out = out[1:].strip(NOISE) if out[0] in _BRACKETS else out[:-1].strip(NOISE)
    return out


def _unbalanced_end(text: str) -> bool:
    for opening, closing in _BRACKETS.items():
        if text[0] == opening and text.count(closing) < text.count(opening):
            return True
        if text[-1] == closing and text.count(opening) < text.count(closing):
            return True
    return False


def squash(text: str) -> str:
    """NFKC, no whitespace: the form in which two OCR renderings of a value are compared."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def tidy(value: str) -> str:
    """A value as stored: ASCII punctuation between Chinese turned back to full width.

    OCR reads ``，`` as ``,``; the printed document had the full-width form, and a stored
    subject should read like the document. Chinese is written without spaces, so a
    space between two Chinese characters (a wide OCR gap) is dropped.
    """
    def wide(m: re.Match[str]) -> str:
        return _ASCII_PUNCT_TO_WIDE[m.group(0)]

    after_cjk = rf"(?<=[{_CJK}」』）])[,;:!?](?=\S)"
    before_cjk = rf"(?<=\S)[,;:!?](?=[{_CJK}「『（])"
    value = re.sub(f"{after_cjk}|{before_cjk}", wide, value)
    value = re.sub(rf"\((?=[{_CJK}])", "（", value)
    value = re.sub(rf"(?<=[{_CJK}])\)", "）", value)
    value = re.sub(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])", "", value)  # a cell gap inside a word
    return re.sub(r"\s{2,}", " ", value).strip()


def label_pattern(label: str, fuzzy: bool = True) -> str:
    """A label that may have one character changed (4+ characters) or lost (6+)."""
    escaped = regex.escape(label)
    if fuzzy and len(label) >= 6:
        return f"(?:{escaped}){{e<=1}}"
    if fuzzy and len(label) >= 4:
        return f"(?:{escaped}){{s<=1}}"
    return f"(?:{escaped})"


def labelled(text: str, *labels: str, colon: bool = False, anywhere: bool = False,
             stop: Sequence[str] = ()) -> str | None:
    """The value after the first of ``labels`` that starts a line (up to the line's end).

    The separator may be a colon, spaces, a table rule or nothing at all (OCR glues
    label and value together). ``colon=True`` requires a colon: for labels that also
    start ordinary sentences. Exact labels are tried before OCR-damaged ones, and a
    damaged label never matches one of the ``stop`` labels exactly (報修時間 is not a
    damaged 完修時間). ``anywhere=True`` also accepts a label inside a line (two
    label/value pairs on one row). The value is cut where a ``stop`` label begins.
    """
    for start in (True, False) if anywhere else (True,):
        for fuzzy in (False, True):
            value = _labelled(text, labels, colon, fuzzy, start, stop)
            if value is not None:
                return cut_at(value, stop)
    return None


def _labelled(text: str, labels: Sequence[str], colon: bool, fuzzy: bool, start: bool,
              stop: Sequence[str]) -> str | None:
    alts = "|".join(label_pattern(lb, fuzzy) for lb in labels)
    sep = f"\\s*{_COLON}" if colon else f"(?:\\s*{_COLON}|[\\s|]*)"
    head = f"^[{regex.escape(NOISE)}]{{0,3}}" if start else ""
    pattern = regex.compile(f"{head}(?P<lb>{alts}){sep}(?P<v>.*)$", regex.MULTILINE)
    for m in pattern.finditer(text):
        if fuzzy and m["lb"] not in labels and m["lb"] in stop:
            continue  # another form label, not an OCR-damaged one of ours
        value = strip_noise(m["v"])
        if value:
            return value
    return None


def cut_at(value: str, stop: Sequence[str]) -> str | None:
    """``value`` up to the first ``stop`` label: the next cell of a table row.

    A label damaged by OCR is recognised only after a space (a gap between two cells).
    """
    ends = [i for lb in stop if (i := value.find(lb)) > 0]
    if stop:
        damaged = "|".join(label_pattern(lb) for lb in stop if len(lb) >= 4)
        if damaged and (m := regex.search(f"\\s(?:{damaged})", value)):
            ends.append(m.start())
    value = strip_noise(value[: min(ends)]) if ends else value
    return value or None


def first_date(text: str | None) -> date | None:
    """The first ROC or Gregorian date in ``text``."""
    if not text:
        return None
    found = find_dates(text)
    return found[0].date if found else None


_TIME_RE = re.compile(
    r"(?P<ampm>上午|下午|早上|晚上|中午)?\s*(?P<h>\d{1,2})\s*[:：時点點]\s*(?P<m>\d{1,2})?\s*分?"
)


def first_datetime(text: str | None) -> datetime | None:
    """The first date in ``text`` with the time written after it (``13:15``, ``下午3時40分``).

    A date without a time gives midnight: a repair ticket always carries the time, so a
    missing one is better reported as 00:00 than dropped.
    """
    if not text:
        return None
    found = find_dates(text)
    if not found:
        return None
    m = _TIME_RE.search(text, found[0].end)
    if m is None or m.start() - found[0].end > 3:
        return datetime.combine(found[0].date, time())
    hour, minute = int(m["h"]), int(m["m"] or 0)
    if m["ampm"] in ("下午", "晚上") and hour < 12:
        hour += 12
    if hour > 23 or minute > 59:
        return datetime.combine(found[0].date, time())
    return datetime.combine(found[0].date, time(hour, minute))


_AMOUNT_RE = re.compile(r"(?:(?P<wan>\d[\d,]*)\s*萬)?\s*(?P<rest>\d[\d,]*)?")


def parse_amount(text: str | None) -> int | None:
    """The first amount of money or count in ``text``: ``45,000``, ``4萬5,000``, ``1,865萬``."""
    if not text:
        return None
    for m in _AMOUNT_RE.finditer(unicodedata.normalize("NFKC", text)):
        wan, rest = m["wan"], m["rest"]
        if not wan and not rest:
            continue
        value = int(wan.replace(",", "")) * 10_000 if wan else 0
        return value + (int(rest.replace(",", "")) if rest else 0)
    return None


def evidence(text: str, rules: Iterable[tuple[str, float]]) -> float:
    """Sum of the weights of the patterns found in ``text`` (multiline regexes), capped at 1."""
    score = sum(w for pattern, w in rules if regex.search(pattern, text, regex.MULTILINE))
    return max(0.0, min(1.0, score))


#: labels of the official-letter header (函): a specific form rarely has two of them
LETTER_HEADER = ("受文者", "發文字號", "發文日期", "速別", "密等及解密", "正本", "副本")


def letter_header_count(text: str) -> int:
    """How many labels of an official-letter header the text carries."""
    return sum(1 for label in LETTER_HEADER if regex.search(label_pattern(label), text))


# ---------------------------------------------------------------- word boxes: table rows


Columns = Mapping[str, Sequence[str]]
"""Column key -> the header labels that name it (first found wins, longest tried first)."""


def column_lefts(line: WordLine, columns: Columns) -> dict[str, int]:
    """Left x (pixels) of every column whose header label is found on ``line``."""
    joined, owner = _joined(line.words)
    taken = [False] * len(joined)
    found: dict[str, int] = {}
    pairs = sorted(((k, lb) for k, labels in columns.items() for lb in labels),
                   key=lambda kl: -len(kl[1]))
    for key, label in pairs:
        at = _free_find(joined, label, taken) if key not in found else None
        if at is not None:
            taken[at : at + len(label)] = [True] * len(label)
            found[key] = _char_left(owner, at)
    return found


def _joined(words: Sequence[Word]) -> tuple[str, list[Word]]:
    joined, owner = "", []
    for w in words:
        joined += w.text
        owner.extend([w] * len(w.text))
    return joined, owner


def _free_find(text: str, label: str, taken: list[bool]) -> int | None:
    at = text.find(label)
    while at >= 0:
        if not any(taken[at : at + len(label)]):
            return at
        at = text.find(label, at + 1)
    return None


def _char_left(owner: list[Word], at: int) -> int:
    """Approximate left x of character ``at``: its word's left plus its share of the width."""
    w = owner[at]
    first = owner.index(w)
    return w.left + (w.width * (at - first)) // max(1, len(w.text))


def split_columns(line: WordLine, lefts: Mapping[str, int], slack: int = 40) -> dict[str, str]:
    """The line's words distributed over the columns starting at ``lefts`` (pixels)."""
    order = sorted(lefts, key=lambda k: lefts[k])
    cells = dict.fromkeys(order, "")
    for w in line.words:
        key = next((k for k in reversed(order) if w.left + slack >= lefts[k]), order[0])
        cells[key] += w.text
    return {k: strip_noise(v.replace("|", "")) for k, v in cells.items()}


RowTest = Callable[[dict[str, str]], bool]


def table_rows(page: PageText, columns: Columns, is_row: RowTest,
               min_columns: int = 3) -> list[dict[str, str]] | None:
    """Cells of the table under a header naming ``columns``; None if there is no header.

    Read from word boxes when the page has them (OCR glues neighbouring Chinese cells
    together in the text), else from the text's space-separated cells. Rows are the lines
    after the header for which ``is_row(cells)`` holds, up to the first one that fails.
    """
    if page.words:
        return _box_rows(page.words, columns, is_row, min_columns)
    return _text_rows(page.text, columns, is_row, min_columns)


def _box_rows(words: Sequence[Word], columns: Columns, is_row: RowTest,
              min_columns: int) -> list[dict[str, str]] | None:
    all_lines = word_lines(words)
    for i, line in enumerate(all_lines):
        lefts = column_lefts(line, columns)
        if len(lefts) >= min_columns:
            return _take_rows((split_columns(ln, lefts) for ln in all_lines[i + 1 :]), is_row)
    return None


def _text_rows(text: str, columns: Columns, is_row: RowTest,
               min_columns: int) -> list[dict[str, str]] | None:
    all_lines = lines(text)
    for i, line in enumerate(all_lines):
        keys = [_column_of(token, columns) for token in line.split()]
        if sum(k is not None for k in keys) >= min_columns:
            cells = (dict(zip(keys, ln.split(), strict=False)) for ln in all_lines[i + 1 :])
            rows = ({k: v for k, v in c.items() if k is not None} for c in cells)
            return _take_rows(rows, is_row)
    return None


def _column_of(token: str, columns: Columns) -> str | None:
    """The column whose longest label occurs in ``token`` (受贈人 is not 受贈/贈送)."""
    hits = [(len(lb), k) for k, labels in columns.items() for lb in labels if lb in token]
    return max(hits)[1] if hits else None


def _take_rows(rows: Iterable[dict[str, str]], is_row: RowTest) -> list[dict[str, str]]:
    out = []
    for cells in rows:
        if not is_row(cells):
            break
        out.append(cells)
    return out
