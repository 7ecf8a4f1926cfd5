"""What a DI (文書本文檔) and an SI (簽核電子檔) say, as plain data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True)
class Item:
    """One numbered item (條列) of a section, with its sub-items."""

    number: str
    text: str
    children: tuple[Item, ...] = ()


@dataclass(frozen=True)
class Section:
    """One section (段落) such as 說明：, 擬辦：, 辦法：, 公告事項：."""

    name: str
    text: str
    items: tuple[Item, ...] = ()


@dataclass
class DiDocument:
    """The tagged content of one DI file."""

    kind: str
    agency: str | None = None
    agency_code: str | None = None
    unit: str | None = None
    address: str | None = None
    contacts: list[str] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)
    issued: date | None = None
    doc_number: str | None = None
    urgency: str | None = None
    classification: str | None = None
    declassify: str | None = None
    attachment_text: str | None = None
    #: entity names listed by 附件檔名@附件名, in order
    attachment_entities: list[str] = field(default_factory=list)
    subject: str | None = None
    sections: list[Section] = field(default_factory=list)
    originals: list[str] = field(default_factory=list)
    copies: list[str] = field(default_factory=list)
    signature: str | None = None
    file_number: str | None = None
    retention: str | None = None
    #: other labelled lines (開會時間, 開會地點, 主持人...) in document order
    extra: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class SignOff:
    """One sign-off point (簽核點) of the SI: who did what, when, with what opinion."""

    seq: int
    point: str
    action: str | None
    signer: str | None
    title: str | None
    role: str | None
    unit: str | None
    agency: str | None
    signed_at: datetime | None
    opinion: str | None
    #: an XML signature is present (its certificate chain is not verified here)
    signed: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq, "point": self.point, "action": self.action, "signer": self.signer,
            "title": self.title, "role": self.role, "unit": self.unit, "agency": self.agency,
            "signed_at": self.signed_at.isoformat() if self.signed_at else None,
            "opinion": self.opinion, "signed": self.signed,
        }
