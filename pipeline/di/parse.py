"""DI and SI XML (文書及檔案管理電腦化作業規範, 104 version) to plain data.

Tag names follow the published DTDs (``104_2_utf8.dtd`` 函, ``104_5_utf8.dtd`` 簽 ...) and
tolerate what vendors add (``便箋`` spelling, 檔號 parts as top-level 年度號/分類號/案次號).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import TypeAlias

from lxml import etree

from pipeline.dates import parse_date
from pipeline.di.model import DiDocument, Item, Section, SignOff
from pipeline.di.xmlsafe import XmlDoc
from pipeline.errors import ConfigError, CorruptFile

Element: TypeAlias = etree._Element

#: root elements of DI files, with the document kind each stands for
ROOT_KINDS = {
    "函": "函", "書函": "書函", "簽": "簽", "便簽": "便簽", "便箋": "便簽", "公告": "公告",
    "開會通知單": "開會通知單", "會勘通知單": "會勘通知單", "令": "令", "呈": "呈", "咨": "咨",
}
SI_ROOT = "線上簽核"
#: labelled elements of meeting notices and similar forms, shown in document order
_EXTRA = ("開會事由", "開會時間", "開會地點", "會勘事由", "會勘時間", "會勘地點", "主持人",
          "聯絡人及電話", "出席者", "列席者", "備註")


def kind_of(root: Element) -> str | None:
    """The document kind of a DI root, or None if the root is no DI."""
    kind = ROOT_KINDS.get(str(root.tag))
    if kind == "函":
        code = _attr(root.find("函類別"), "代碼")
        if code and code != "函":
            return ROOT_KINDS.get(code, code)
    return kind


def parse_di(doc: XmlDoc) -> DiDocument:
    """The tagged content of a DI; CorruptFile when the root is no known document kind."""
    root = doc.root
    kind = kind_of(root)
    if kind is None:
        raise CorruptFile(f"不是電子公文 DI（根元素 {root.tag}）；not a DI document")
    di = DiDocument(kind=kind)
    _header(di, root)
    _body(di, root)
    return di


def _header(di: DiDocument, root: Element) -> None:
    agency = root.find("發文機關")
    if agency is None:
        agency = root.find("機關")
    di.agency = _text(agency.find("全銜")) if agency is not None else None
    di.agency_code = _text(agency.find("機關代碼")) if agency is not None else None
    di.unit = _text(root.find("單位")) or _text(root.find("於"))
    di.address = _text(root.find("地址"))
    di.contacts = [t for e in root.findall("聯絡方式") if (t := _text(e))]
    di.recipients = _names(root.find("受文者"))
    di.issued = _date(root.find("發文日期")) or _date(root)
    number = root.find("發文字號")
    di.doc_number = _doc_number(number if number is not None else root.find("文號"))
    di.urgency = _attr(root.find("速別"), "代碼") or None
    secrecy = root.find("密等及解密條件或保密期限")
    if secrecy is not None:
        di.classification = _attr(secrecy.find("密等"), "代碼") or _text(secrecy.find("密等"))
        di.declassify = _text(secrecy.find("解密條件或保密期限"))
    di.file_number = _file_number(root)
    di.retention = _retention(_text(root.find("保存年限")))


def _body(di: DiDocument, root: Element) -> None:
    attachment = root.find("附件")
    if attachment is None:
        attachment = root.find("附件列表")
    if attachment is not None:
        di.attachment_text = _text(attachment.find("文字"))
        for names in attachment.findall("附件檔名"):
            di.attachment_entities += (_attr(names, "附件名") or "").split()
    di.subject = _text(root.find("主旨")) or _text(root.find("開會事由"))
    di.sections = [_section(s) for s in root.findall("段落")]
    di.originals = _names(root.find("正本"))
    di.copies = _names(root.find("副本"))
    di.signature = " ".join(t for s in root.findall("署名") if (t := _text(s))) or None
    di.extra = [(tag, t) for tag in _EXTRA for e in root.findall(tag) if (t := _text(e))]


def _section(el: Element) -> Section:
    name = (_attr(el, "段名") or "").strip()
    return Section(name, _own_text(el), tuple(_item(i) for i in el.findall("條列")))


def _item(el: Element) -> Item:
    return Item(_attr(el, "序號") or "", _own_text(el), tuple(_item(i) for i in el.findall("條列")))


def _own_text(el: Element) -> str:
    return "".join(_text(t) or "" for t in el.findall("文字"))


def _names(el: Element | None) -> list[str]:
    """Full names (全銜) of a recipients list, else its exchange-list text (如正副本行文單位)."""
    if el is None:
        return []
    names = [t for e in el.iter("全銜") if (t := _text(e))]
    return names or [t for e in el.iter("交換表", "文字") if (t := _text(e))]


def _doc_number(el: Element | None) -> str | None:
    """發文字號 from 字 + 文號 (年度, 流水號, 支號), or as written in 文字."""
    if el is None:
        return None
    if whole := _text(el.find("文字")):
        return whole
    prefix = (_text(el.find("字")) or "").removesuffix("字")
    number = el.find("文號") if el.find("文號") is not None else el
    digits = "".join(_text(number.find(t)) or "" for t in ("年度", "流水號"))
    if branch := _text(number.find("支號")):
        digits += f"-{branch}" if branch not in ("0", "") else ""
    if not digits:
        return None
    return f"{prefix}字第{digits}號" if prefix else digits


def _file_number(root: Element) -> str | None:
    """檔號 as printed on the document (年度號/分類號/案次號)."""
    holder = root.find("檔號")
    source = holder if holder is not None else root
    parts = [_text(source.find(t)) or _text(source.find(t + "號"))
             for t in ("年度", "分類號", "案次")]
    if holder is not None and not any(parts):
        return _text(holder)
    if not all(parts[:2]):
        return None
    return "/".join(p for p in parts if p)


def _retention(value: str | None) -> str | None:
    if not value:
        return None
    value = value.replace(" ", "")
    return f"{value}年" if value.isdigit() else value


def _date(el: Element | None) -> date | None:
    text = _text(el.find("年月日")) if el is not None else None
    if not text:
        return None
    try:
        return parse_date(text)
    except ConfigError:
        return None


def _attr(el: Element | None, name: str) -> str | None:
    if el is None:
        return None
    value = el.get(name)
    return value.strip() if value else None


def _text(el: Element | None) -> str | None:
    """All text inside ``el``, lines joined, whitespace of the XML layout removed."""
    if el is None:
        return None
    text = "".join(_strings(el))
    text = re.sub(r"[ \t\r]*\n[ \t\r]*", "", text).strip()
    return text or None


def _strings(el: Element) -> Iterable[str]:
    return (s for s in el.itertext() if isinstance(s, str))


# ── SI: 線上簽核 ────────────────────────────────────────────────────────────────


def parse_si(doc: XmlDoc) -> list[SignOff]:
    """The sign-off points of an SI, in the order they were signed."""
    root = doc.root
    if root.tag != SI_ROOT:
        raise CorruptFile(f"不是線上簽核 SI（根元素 {root.tag}）；not an SI file")
    flows = {f.get("Id"): f.get("異動別") for f in root.iter("簽核流程")}
    points = list(root.iter("簽核點定義"))
    return [_sign_off(i, p, flows) for i, p in enumerate(points, 1)]


def _sign_off(seq: int, point: Element, flows: dict[str | None, str | None]) -> SignOff:
    change = point.find(".//異動資訊")
    person = change.find("簽核人員") if change is not None else None
    flow = flows.get((point.get("URI") or "").lstrip("#"))
    return SignOff(
        seq=seq,
        point=point.get("Id") or f"sign_{seq}",
        action=_text(change.find("異動別")) if change is not None else flow,
        signer=_text(person.find("姓名")) if person is not None else None,
        title=_text(person.find("職稱")) if person is not None else None,
        role=_text(person.find("角色")) if person is not None else None,
        unit=_text(person.find("單位")) if person is not None else None,
        agency=_text(person.find("機關")) if person is not None else None,
        signed_at=roc_minute(_text(change.find("簽章時間")) if change is not None else None),
        opinion=_text(change.find("簽核意見")) if change is not None else None,
        signed=bool(_text(point.find(".//{*}SignatureValue"))),
    )


def roc_minute(value: str | None) -> datetime | None:
    """An SI time ``yyyMMddHHmm`` (ROC year, 11 digits; 13 with seconds) as a datetime."""
    if not value or not value.isdigit() or len(value) not in (11, 13):
        return None
    try:
        return datetime(int(value[:3]) + 1911, int(value[3:5]), int(value[5:7]),
                        int(value[7:9]), int(value[9:11]), int(value[11:13] or 0))
    except ValueError:
        return None
