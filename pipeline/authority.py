"""The archives authority's letters: their number (文號) checked in its real form.

An approval of a destruction list (機關檔案保存年限及銷毀辦法 art. 17 has its number written
onto the list) or of a transfer list comes as a letter numbered like
``檔綜字第1130012345號``: the authority's word (字), ``字第``, ten digits of which the
first three are the ROC year, and ``號``. Older numbers keep a leading zero
(``檔徵字第0960002083號``); full-width digits are read as digits.
"""

from __future__ import annotations

import re
from datetime import date

from pipeline.auth import Actor, Perm
from pipeline.dates import ROC_OFFSET, to_roc_short, today
from pipeline.errors import AccessDenied, ConfigError

_FULL_WIDTH = str.maketrans("０１２３４５６７８９", "0123456789")
_REF = re.compile(r"(?P<word>[\u4e00-\u9fff（）()]{1,16})字第(?P<no>\d{10})號")
EXAMPLE = "檔綜字第1130012345號"


def parse_ref(value: str, dated: date) -> str:
    """The letter number, normalised; ConfigError (in words) unless it is a real one.

    ``dated`` is the letter's date: it may not lie in the future, and the number's year
    may not be later than the letter's year.
    """
    text = re.sub(r"\s+", "", value).translate(_FULL_WIDTH)
    m = _REF.fullmatch(text)
    if m is None:
        raise ConfigError(f"核准文號 {value!r} 格式不符：應如 {EXAMPLE}（機關代字、字第、"
                          "10位數字（前3位為民國年）、號）", code="authority.bad_ref",
                          value=value.strip()[:40], example=EXAMPLE)
    if dated > today():
        raise ConfigError(f"核准日期 {to_roc_short(dated)} 在今天之後：請填函文的實際日期",
                          code="authority.future_date", date=dated)
    year = int(m["no"][:3])
    if not 1 <= year <= dated.year - ROC_OFFSET:
        raise ConfigError(f"核准文號 {text} 的年度 {year} 與函文日期 {to_roc_short(dated)} 不符",
                          code="authority.year_mismatch", ref=text, year=year, date=dated)
    return text


def check_recorder(actor: Actor, perm: Perm) -> None:
    """The authority's letters are recorded by a logged-in officer with ``perm``."""
    actor.require(perm)
    if actor.user_id is None:
        raise AccessDenied("the authority's approval is recorded by a logged-in records officer")
