"""What a filing clerk reads before choosing a class: the parts of a 公文 and the schedule.

A clerk reads the 主旨 first (it says what the letter is about; 說明 gives background
and often cites other matters), notes what kind of document it is (函, 簽, 公告, 會議紀錄,
a rule, a press release, questions and answers), who sent it, and compares it with the
titles and keywords of the schedule's classes. This module turns a text into those
views (:class:`Views`) and a class into its description (:func:`class_description`), so
that the model can weigh them separately. Pure functions of the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.docheader import mask_form_labels
from pipeline.retention.schedule import RetentionClass, Schedule

#: characters of the body the model reads (a long annex adds noise, not topic)
BODY_CHARS = 3000
#: without a 主旨, the title-like head of the text stands in for it
HEAD_CHARS = 80

#: the 主旨 is one paragraph: it ends at the next label, at the first item of the 說明 (its
#: label lost to OCR: "一、", or "、" with the numeral lost too), at a line break after
#: "。", or at a blank line
_SUBJECT = re.compile(r"(?:^|\n)[\s。、.:;|]{0,3}(?:主\s*旨|旨)\s*[:：]\s*(?P<v>.+?)"
                      r"(?:(?=\n\s*(?:說\s*明|公告事項|擬\s*辦|依\s*據|正本|副本"
                      r"|[一二三四五六七八九十]{1,3}\s*[、，]|、))|(?<=。)(?=[ \t]*\n)"
                      r"|(?=\n\s*\n)|\Z)", re.S)
#: words that name a rule in its title
_RULE_WORDS = r"要點|辦法|規則|須知|規定|作業程序|手冊|準則|細則|注意事項|規範"
#: the first line of the text, when it is short enough to be a title
_TITLE = r"\A\s*(?=[^\n]{0,40}(?:\n|\Z))[^\n]*?"
_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # a law database's page names the law first; the 主旨 of a form annexed to it is not
    # the page's own
    ("規定", re.compile(r"\A\s*法規名稱\s*[:：]")),
    ("會議紀錄", re.compile(r"會議紀錄|會議記錄|開會時間|主\s*席\s*[:：]|決\s*議\s*[:：]")),
    ("簽", re.compile(r"^\s*簽\s*(?:稿\s*)?於|^\s*擬\s*辦\s*[:：]?|敬陳", re.M)),
    ("公告", re.compile(r"^\S{0,24}\s*公告\s*$|公告事項|^\s*公告\s*[:：]|\A\s*\S{0,8}公告[ \t]",
                      re.M)),
    ("函", re.compile(r"^\S{0,24}\s*(?:函|書函)\s*$|受文者\s*[:：]|^\s*主\s*旨\s*[:：]"
                     r"|發文字號\s*[:：]", re.M)),
    # a page of questions and answers, or one whose title is a question
    ("問答", re.compile(r"Q\s*\d|問\s*[:：]|答\s*[:：]|Ans\s*[:：]|常見問題|問與答"
                      r"|\A\s*[^\n]{4,60}[？?][ \t]*\n")),
    # before the rules: a press release often names the rule its news is about; its page
    # says who released it and when
    ("新聞稿", re.compile(r"新聞稿|新聞參考資料|記者|[今昨]\s*[（(]\d{1,2}[)）]\s*日|表示，"
                       r"|(?:發布|發稿)(?:日期|單位|機關)\s*[:：]")),
    # a rule says so in its title, introduces itself (訂定本要點, 以下簡稱本要點, 本要點所稱),
    # or is laid out in articles or chapters; a rule named in passing makes no text one
    ("規定", re.compile(rf"{_TITLE}(?:{_RULE_WORDS})|法規名稱"
                      rf"|(?:訂定|簡稱)本[^\s，。、]{{0,4}}?(?:{_RULE_WORDS})|本(?:{_RULE_WORDS})所稱"
                      r"|^第\s*[0-9一二三四五六七八九十]+\s*[條點章]|^壹\s*、\s*總[則述]",
                      re.M)),
    ("表單", re.compile(r"^(?:\S{1,24}[ \t\u3000])?\S{2,24}(?:單|表|登記簿|紀錄表)\s*$", re.M)),
)


@dataclass(frozen=True)
class Views:
    """The parts of a text the model weighs separately."""

    subject: str
    body: str
    kind: str


def document_kind(text: str) -> str:
    """函 / 簽 / 公告 / 會議紀錄 / 問答 / 規定 / 新聞稿 / 表單, or 其他 (first that fits)."""
    head = text[:600]
    for kind, pattern in _KINDS:
        if pattern.search(head):
            return kind
    return "其他"


#: the 主旨 whose label OCR lost: the first line before the 說明 label that starts with the
#: label's colon and holds a sentence (the label stands in its own column on the form)
_UNLABELLED_SUBJECT = re.compile(r"(?:^|\n)[:：][ \t]*(?P<v>[^\n]*[\u3400-\u9fff][^\n]{7,})"
                                 r"(?=(?:\n[^\n]*){0,8}\n[ \t]*說\s*明\s*[:：])")


#: one article of a law or rule, as law databases show it: its heading (``第 7 條``,
#: ``法規章節：第11條``, ``第16點``) near the top, then its first sentence
_ARTICLE = re.compile(r"(?:^|\n)[ \t]*(?:法規章節\s*[:：]\s*)?"
                      r"第\s*[0-9一二三四五六七八九十百]+\s*[條點][ \t]*\n\s*(?P<v>[^\n。]{8,}。?)")
#: how far from the top an article heading makes the text one article
ARTICLE_HEAD_CHARS = 200


def subject_of(text: str) -> str:
    """The 主旨 paragraph; for one article of a law, that article's first sentence (the
    law's name places it, the article says what it is about); else the head of the text
    (a rule's or notice's title)."""
    if m := _SUBJECT.search(text) or _UNLABELLED_SUBJECT.search(text):
        return " ".join(m["v"].split())[:300]
    if (m := _ARTICLE.search(text)) and m.start() < ARTICLE_HEAD_CHARS:
        return " ".join(m["v"].split())[:HEAD_CHARS * 2]
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return " ".join(lines[:2])[:HEAD_CHARS]


def views(text: str) -> Views:
    """Subject, body (form labels blanked: they are on every letter) and kind."""
    masked = mask_form_labels(text)
    return Views(subject_of(masked), masked[:BODY_CHARS], document_kind(text))


def class_description(schedule: Schedule, cls: RetentionClass) -> Views:
    """A class as text: its titles from the 類 down, its keywords (heavier ones repeated),
    and its scope note if the schedule has one. The evidence for a class with few or no
    confirmed documents."""
    titles = [a.title.zh_tw for a in schedule.ancestors(cls.code)] + [cls.title.zh_tw]
    words: list[str] = []
    if cls.match is not None:
        for k in cls.match.keywords:
            words += [k.word] * max(1, round(k.weight))
    scope = cls.scope.zh_tw if cls.scope is not None else None
    body = "；".join([*titles, *words] + ([scope] if scope else []))
    return Views(cls.title.zh_tw + "；" + "；".join(words[:6]), body, "類目說明")
