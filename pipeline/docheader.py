"""What the head of an official document says: sender, document number (文號) and date.

Taiwanese official documents follow the layout of the 文書處理手冊: a letterhead line
(``臺南市政府 函``), then labelled lines (``發文日期：``, ``發文字號：``, ``密等及解密條件或
保密期限：`` ...), then 主旨/說明. Memos start ``簽 於秘書處總務科``; forms start with the
agency and the form's name (``臺南市政府秘書處 設備報修單``). Everything here is a pure
function of the page text, and every value found says where it came from (``rule``) and
shows its line (``snippet``), so a reviewer can check it.

Dates are read with :func:`pipeline.dates.find_dates` (ROC and Gregorian forms), plus
English month names (``October 28, 2019``) for letters from abroad. The document date is,
in order of preference: the ``發文日期`` line; a date standing alone on its line (memos,
signature blocks, contracts), unless it is a receipt stamp (the line after ``…收文``); the
day a form was filled in (``填表日期``, ``填報日期``); a date after another date label
(``稽核日期``, ``演練日期``, ``日期`` ...); the first date in the text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from pipeline.dates import find_dates

#: lines searched for the letterhead and an unlabelled document number
HEAD_LINES = 12
_AGENCY = (
    r"[\u4e00-\u9fff]{2,24}?(?:政府|處|局|署|部|委員會|會|院|公所|所|科|中心|法院|學校|大學"
    r"|公司|基金會|協會)"
)
#: the 主旨 label as OCR leaves it: a stray mark or two before it, a space inside it
SUBJECT_LABEL = r"[\s。、.:;|“”\"'`]{0,3}主\s*旨"
_SENDER_LABEL = re.compile(r"^\s*(?:發文機關|發文單位|來文機關)\s*[:：]\s*(?P<v>\S.*?)\s*$", re.M)
_LETTERHEAD = re.compile(
    rf"^\s*(?P<v>{_AGENCY})(?:\s*(?:函|書函|公告|令|開會通知單)\s*$|[ \t\u3000]+\S)"
)
_MEMO = re.compile(r"^\s*簽\s*(?:稿\s*)?於\s*(?P<v>[\u4e00-\u9fff]{2,24})\s*$")
_NUMBER = r"[\u4e00-\u9fff]{1,10}字第\s*[0-9０-９]{4,14}\s*號"
_NUMBER_LABEL = re.compile(rf"發文字號\s*[:：]\s*(?P<v>{_NUMBER})")
_NUMBER_ANY = re.compile(rf"(?P<v>{_NUMBER})")
#: the day a form was filled in dates the form (a gift form's 日期 is the gift's day)
_FORM_DATE_LABEL = re.compile(r"(?:填表|填報|製表)\s*日\s*期")
_DATE_LABEL = re.compile(
    r"(?:簽約|訂約|立約|稽核|演練|會議|開會|報修|申請|檢查|會勘|簽收)(?:日期|時間)"
    r"|^\s*日\s*期|\bDate\b",
    re.I,
)
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december")
_ENGLISH_DATE = re.compile(
    r"\b(?P<m>" + "|".join(_MONTHS) + r")\.?\s+(?P<d>\d{1,2}),?\s+(?P<y>(?:19|20)\d\d)\b", re.I
)


@dataclass(frozen=True)
class Found:
    """A value read from the text: which rule found it and the line it stands on."""

    value: str
    rule: str
    snippet: str


@dataclass(frozen=True)
class FoundDay:
    day: date
    rule: str
    text: str
    snippet: str


@dataclass(frozen=True)
class DocHeader:
    sender: Found | None
    doc_number: Found | None
    date: FoundDay | None

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form for the explanation of a classification."""
        out: dict[str, object] = {}
        for name in ("sender", "doc_number"):
            found: Found | None = getattr(self, name)
            if found is not None:
                out[name] = {"value": found.value, "rule": found.rule, "snippet": found.snippet}
        if self.date is not None:
            d = self.date
            out["date"] = {"value": d.day.isoformat(), "rule": d.rule, "text": d.text,
                           "snippet": d.snippet}
        return out


def read_header(text: str) -> DocHeader:
    return DocHeader(find_sender(text), find_doc_number(text), find_document_date(text))


def _line_at(text: str, pos: int) -> str:
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    return text[start : end if end >= 0 else len(text)].strip()


def _head(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()][:HEAD_LINES]


def find_sender(text: str) -> Found | None:
    """The issuing agency: a ``發文機關`` line, the letterhead, or the unit of a memo."""
    if m := _SENDER_LABEL.search(text):
        return Found(m["v"], "發文機關", _line_at(text, m.start("v")))
    for line in _head(text)[:5]:
        for rule, pattern in (("letterhead", _LETTERHEAD), ("memo", _MEMO)):
            if m := pattern.match(line):
                return Found(m["v"], rule, line.strip())
    return None


def find_doc_number(text: str) -> Found | None:
    """The 文號: the ``發文字號`` line, else the first number in the head of the text.

    Only the head is searched without a label: the body cites other documents' numbers
    (``復貴局…字第…號函``).
    """
    if m := _NUMBER_LABEL.search(text):
        return Found(_squeeze(m["v"]), "發文字號", _line_at(text, m.start("v")))
    head = "\n".join(_head(text))
    if m := _NUMBER_ANY.search(head):
        return Found(_squeeze(m["v"]), "first number", _line_at(head, m.start("v")))
    return None


def _squeeze(value: str) -> str:
    return re.sub(r"\s+", "", value)


@dataclass(frozen=True)
class _Candidate:
    day: date
    start: int
    text: str


def _candidates(text: str) -> list[_Candidate]:
    found = [_Candidate(f.date, f.start, f.text) for f in find_dates(text)]
    found += list(_english_dates(text))
    return sorted(found, key=lambda c: c.start)


def _english_dates(text: str) -> Iterator[_Candidate]:
    for m in _ENGLISH_DATE.finditer(text):
        month = _MONTHS.index(m["m"].lower()) + 1
        try:
            yield _Candidate(date(int(m["y"]), month, int(m["d"])), m.start(), m.group())
        except ValueError:
            continue  # "February 30, 2020" is no date: skip it, as pipeline.dates does


def find_document_date(text: str) -> FoundDay | None:
    """The date of the document (see the module docstring for the order of preference)."""
    candidates = _candidates(text)
    for rule in _DATE_RULES:
        for c in candidates:
            if _accepts(rule, text, c):
                return FoundDay(c.day, rule, c.text, _line_at(text, c.start))
    return None


_DATE_RULES = ("發文日期", "date line", "form date", "date label", "first date")


def _accepts(rule: str, text: str, c: _Candidate) -> bool:
    before = _line_before(text, c.start)
    if rule == "發文日期":
        return "發文日期" in before
    if rule == "date line":
        return _stands_alone(text, c) and not _is_receipt(text, c.start)
    if rule == "form date":
        return bool(_FORM_DATE_LABEL.search(before))
    if rule == "date label":
        return bool(_DATE_LABEL.search(before))
    return True


def _line_before(text: str, pos: int) -> str:
    """The part of the line in front of ``pos``."""
    return text[text.rfind("\n", 0, pos) + 1 : pos]


def _stands_alone(text: str, c: _Candidate) -> bool:
    line, found = _line_at(text, c.start), c.text.strip()
    return found in (line, line.removeprefix("中華民國").removeprefix("民國").strip())


def _is_receipt(text: str, pos: int) -> bool:
    """A date stamped under ``…收文`` is when the agency received the document."""
    start = text.rfind("\n", 0, pos)
    previous = text[text.rfind("\n", 0, max(start, 0)) + 1 : max(start, 0)]
    return previous.strip().endswith(("收文", "收文章")) or "收文" in _line_before(text, pos)


_FORM_LABELS = (
    "檔號|保存年限|地址|承辦人|聯絡人|聯絡電話|電話|傳真|電子信箱|電子郵件|受文者|發文日期"
    "|發文字號|速別|附件|正本|副本"
)
_LABEL_LINE = re.compile(rf"^(?P<label>[ \t\u3000]*(?:{_FORM_LABELS})[ \t\u3000]*)(?=[:：])", re.M)
_SECURITY_LINE = re.compile(
    r"^(?P<label>[ \t\u3000]*密等及解密條件(?:或保密期限)?[ \t\u3000]*[:：])(?P<value>[^\n]*)", re.M
)


def mask_form_labels(text: str) -> str:
    """The text with the labels of the letter's form blanked out, offsets kept.

    Every letter carries ``密等及解密條件或保密期限：普通`` and ``保存年限：``; matched as
    words they would vote for the classified-documents and retention-schedule classes.
    The values stay: a letter whose 密等 is 機密 still reads ``密等：機密``.
    """
    text = _LABEL_LINE.sub(lambda m: " " * len(m["label"]), text)
    return _SECURITY_LINE.sub(_mask_security, text)


def _mask_security(m: re.Match[str]) -> str:
    label, value = m["label"], m["value"]
    if value.strip() in ("", "普通"):
        return " " * len(label) + value
    return "密等：" + " " * (len(label) - 3) + value


# ── printed filing values (檔號, 保存年限, 密等, 解密條件) ─────────────────────────────

#: 檔號 年度號/分類號/案次號[/卷次號] as stamped on a letter (``113/060401/1``)
_FILE_NUMBER = re.compile(
    r"檔\s*號\s*[:：]?\s*(?P<year>\d{2,3})\s*[/／-]\s*(?P<code>\d{2,10})\s*[/／-]\s*(?P<case>\d{1,6})"
    r"(?:\s*[/／-]\s*(?P<volume>\d{1,4}))?"
)
#: the colon is optional (OCR drops it); the label must start its line or follow the 檔號
_RETENTION = re.compile(r"保\s*存\s*年\s*限\s*[:：]?\s*(?P<v>永\s*久(?:保\s*存)?|\d{1,2}\s*年)")
#: the 密等 line; the level is its first word, the rest (in brackets or after a comma) the
#: condition of declassification
_SECURITY = re.compile(
    r"^[ \t\u3000]*(?:密等及解密條件(?:或保密期限)?|密\s*等)[ \t\u3000]*[:：]"
    r"[ \t\u3000]*(?P<v>[^\n]*)",
    re.M,
)
SECURITY_LEVELS = ("絕對機密", "極機密", "機密", "密", "普通")
PERMANENT = "permanent"
Years = int | str


@dataclass(frozen=True)
class Printed:
    """What the letter itself says about its filing: the values a clerk reads first.

    ``retention`` is a number of years or ``"permanent"``; ``class_code`` is the middle
    part of the 檔號. Each value keeps the line it was read from.
    """

    file_number: Found | None = None
    class_code: str | None = None
    retention: Years | None = None
    retention_line: str = ""
    confidentiality: Found | None = None
    declassify: Found | None = None

    def to_dict(self) -> dict[str, object]:
        """The stored and shown form (``records show --json`` → ``printed``)."""
        return {
            "file_number": self.file_number.value if self.file_number else None,
            "retention": self.retention,
            "confidentiality": self.confidentiality.value if self.confidentiality else None,
            "declassify": self.declassify.value if self.declassify else None,
        }

    @property
    def empty(self) -> bool:
        return not any(self.to_dict().values())


def read_printed(text: str) -> Printed:
    """檔號, 保存年限, 密等 and 解密條件 from the head of a 公文 (OCR or text layer).

    Only labelled values count: a body sentence "保存年限3年" is no 保存年限 line.
    """
    import unicodedata

    norm = unicodedata.normalize("NFKC", text)  # full-width digits and colons, offsets kept
    number = code = None
    if m := _FILE_NUMBER.search(norm):
        parts = [m["year"], m["code"], m["case"]] + ([m["volume"]] if m["volume"] else [])
        number = Found("/".join(parts), "檔號", _line_at(norm, m.start()))
        code = m["code"]
    retention, line = _printed_retention(norm)
    level, declassify = _printed_security(norm)
    return Printed(number, code, retention, line, level, declassify)


def _printed_retention(text: str) -> tuple[Years | None, str]:
    for m in _RETENTION.finditer(text):
        if _line_before(text, m.start()).strip() and "檔號" not in _line_before(text, m.start()):
            continue  # inside a sentence, not the header's label
        value = re.sub(r"\s+", "", m["v"])
        years: Years = PERMANENT if value.startswith("永久") else int(value.rstrip("年"))
        return years, _line_at(text, m.start())
    return None, ""


def _printed_security(text: str) -> tuple[Found | None, Found | None]:
    m = _SECURITY.search(text)
    if m is None:
        return None, None
    value = re.sub(r"[ \t\u3000]+", "", m["v"])
    level = next((lv for lv in SECURITY_LEVELS if value.startswith(lv)), None)
    if level is None:
        return None, None
    line = _line_at(text, m.start("v"))
    rest = value[len(level):].strip("（）()，,、；;:： ")
    return Found(level, "密等", line), (Found(rest, "解密條件", line) if rest else None)


PRINTED_KEYS = ("file_number", "retention", "confidentiality", "declassify")


def printed_values(stored: dict[str, object] | None) -> dict[str, object]:
    """The four printed values of a document, None where nothing was read."""
    stored = stored or {}
    return {key: stored.get(key) for key in PRINTED_KEYS}


def printed_line(printed: dict[str, object] | None) -> str:
    """``檔號 113/010101/5，保存年限 30年，密（本件於…後解密）`` for tables; "" if none."""
    p = printed_values(printed)
    parts = []
    if p["file_number"]:
        parts.append(f"檔號 {p['file_number']}")
    if p["retention"] is not None:
        parts.append(f"保存年限 {retention_words(p['retention'])}")  # type: ignore[arg-type]
    if p["confidentiality"]:
        parts.append(str(p["confidentiality"]) + (f"（{p['declassify']}）" if p["declassify"]
                                                  else ""))
    return "，".join(parts)


def retention_rank(value: Years | None) -> float:
    """Years as a number to compare; permanent is longer than any term."""
    if value is None:
        return 0.0
    return float("inf") if value == PERMANENT else float(value)


def retention_words(value: Years | None) -> str:
    return "永久" if value == PERMANENT else f"{value}年"
