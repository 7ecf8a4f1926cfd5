"""Reading DI/SI XML safely: bounded size, declared encodings, no entity expansion.

The DTD named in a DI's DOCTYPE is never fetched and no entity is ever expanded. A DI
legitimately declares only unparsed entities (``<!ENTITY ATTCH1 SYSTEM "a.pdf" NDATA _X>``)
naming its attachments; any other entity declaration (the billion-laughs pattern, an
external entity pointing at a local file, parameter entities) is refused before the parser
sees the text. lxml then parses with entity resolution, network and DTD loading off and
its default depth and size limits (no ``huge_tree``), so 10,000-deep nesting fails fast.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from pipeline.errors import CorruptFile, InputFileError

#: DI and SI files are a few hundred kilobytes at most; anything bigger is refused unread
MAX_XML_BYTES = 4 * 1024 * 1024
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))
_DECL = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"'][^>]*\?>")
_DECL_TEXT = re.compile(r"^\s*<\?xml[^>]*\?>")
_SUBSET = re.compile(r"<!DOCTYPE\s+[^\s\[>]+[^\[>]*\[(?P<subset>.*?)\]\s*>", re.S)
_ENTITY = re.compile(r"<!ENTITY\b[^>]*>", re.S)
_UNPARSED = re.compile(
    r"<!ENTITY\s+(?P<name>[^\s%\"'>]+)\s+SYSTEM\s+(?P<q>[\"'])(?P<sys>[^\"'<>&%]*)(?P=q)"
    r"\s+NDATA\s+[^\s>]+\s*>",
    re.S,
)
_BIG5 = {"big5", "big-5", "cp950", "ms950", "big5-hkscs", "big5hkscs", "x-big5"}
_UTF8 = {"utf-8", "utf8"}


class HostileXml(InputFileError):
    """XML built to exhaust memory or read files outside its package; never parsed."""


@dataclass(frozen=True)
class XmlDoc:
    """A parsed DI or SI file: its root element and its unparsed entities (name -> file)."""

    root: etree._Element
    entities: dict[str, str]
    encoding: str


def read_xml(path: Path, limit: int = MAX_XML_BYTES) -> XmlDoc:
    """Parse ``path`` or raise an InputFileError whose reason says why (Chinese first)."""
    size = path.stat().st_size
    if size > limit:
        raise HostileXml(f"XML 檔過大（{size:,} 位元組，上限 {limit:,}）；XML file too large")
    text, encoding = decode(path.read_bytes())
    entities = unparsed_entities(text)
    try:
        root = etree.fromstring(_DECL_TEXT.sub("", text, count=1), _parser())
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(exc) from exc
    return XmlDoc(root, entities, encoding)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def _syntax_error(exc: etree.XMLSyntaxError) -> InputFileError:
    msg = str(exc)
    if "depth" in msg.lower():
        return HostileXml(f"XML 巢狀層次過深，拒絕解析；XML nested too deeply ({msg})")
    if "amplification" in msg.lower() or "entity" in msg.lower():
        return HostileXml(f"XML 實體展開過量，拒絕解析；XML entity expansion refused ({msg})")
    return CorruptFile(f"XML 格式錯誤；malformed XML ({msg})")


def decode(data: bytes) -> tuple[str, str]:
    """The text of an XML file by its BOM or declared encoding (UTF-8 or Big5); CRLF kept."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return _strict(data[len(bom):] if name == "utf-8" else data, name), name
    m = _DECL.match(data)
    declared = m.group(1).decode("ascii").lower() if m else "utf-8"
    if declared in _UTF8:
        return _strict(data, "utf-8"), "utf-8"
    if declared in _BIG5:
        if not data.isascii() and _is_utf8(data):
            raise CorruptFile(
                "宣告為 Big5 但內容是 UTF-8，編碼不符；declared Big5 but the bytes are UTF-8"
            )
        return _strict(data, "cp950"), "big5"
    raise CorruptFile(f"不支援的 XML 編碼「{declared}」；unsupported XML encoding {declared!r}")


def _strict(data: bytes, codec: str) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        raise CorruptFile(
            f"內容不符宣告的編碼 {codec}（第 {exc.start} 位元組）；"
            f"bytes do not match the declared encoding {codec}"
        ) from exc


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def unparsed_entities(text: str) -> dict[str, str]:
    """Attachment entities of the internal DTD subset; refuses every other entity."""
    m = _SUBSET.search(text[:65536])
    if m is None:
        if "<!ENTITY" in text[:65536]:
            raise HostileXml("XML 含無法辨識的實體宣告；unrecognised entity declaration")
        return {}
    found: dict[str, str] = {}
    for decl in _ENTITY.findall(m.group("subset")):
        ok = _UNPARSED.fullmatch(decl.strip())
        if ok is None:
            raise HostileXml(
                "XML 含可展開的實體宣告（實體擴張或外部實體攻擊），拒絕解析；"
                "entity declarations other than attachment names (NDATA) are refused"
            )
        found[ok["name"]] = ok["sys"]
    return found
