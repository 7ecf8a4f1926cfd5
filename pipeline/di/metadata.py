"""Enrichment step for born-digital packages: tags, parts and the sign-off chain.

Runs first among the enrichers (``pipeline.enrich``), inside the ingest transaction. It
reads the DI and SI back from the store (they were preserved and checked when the package
was prepared), so the record holds exactly what the stored parts say.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.db.models import Document, DocumentPart, SignOff, StoredFile
from pipeline.di.model import DiDocument
from pipeline.di.package import PACKAGE_MEDIA_TYPE
from pipeline.di.parse import parse_di, parse_si
from pipeline.di.xmlsafe import read_xml
from pipeline.record_types.apply import raise_confidentiality
from pipeline.record_types.official_document import OfficialDocument
from pipeline.settings import Settings
from pipeline.store import ContentStore

#: a unit name ends in one of these (秘書處專務科 -> 專務科)
_DIVISION = re.compile(r"([^處局府]{1,8}(?:科|室|組|中心))$")


def apply_package(session: Session, settings: Settings, doc: Document) -> None:
    """Enrichment step: metadata from a package's DI/SI tags (other documents untouched)."""
    if doc.media_type != PACKAGE_MEDIA_TYPE:
        return
    store = ContentStore(settings.store_dir)
    original = session.get(StoredFile, doc.original_file_id)
    assert original is not None
    manifest = json.loads(store.path(original.store_path).read_bytes())
    rows = _parts(session, doc, manifest["parts"])
    di = parse_di(read_xml(store.path(_path_of(rows, "di"))))
    set_metadata(doc, di)
    if si := [r for r in rows if r.role == "si"]:
        for s in parse_si(read_xml(store.path(si[-1].file.store_path))):
            session.add(SignOff(document_id=doc.id, seq=s.seq, point=s.point, action=s.action,
                                signer=s.signer, title=s.title, role=s.role, unit=s.unit,
                                agency=s.agency, signed_at=s.signed_at, opinion=s.opinion,
                                signed=s.signed))


def _parts(session: Session, doc: Document, entries: list[dict[str, Any]]) -> list[DocumentPart]:
    rows = []
    for seq, entry in enumerate(entries, 1):
        blob = session.scalars(select(StoredFile).where(
            StoredFile.sha256 == entry["sha256"], StoredFile.kind == "part")).one()
        row = DocumentPart(document_id=doc.id, file_id=blob.id, name=entry["name"],
                           role=entry["role"], seq=seq)
        row.file = blob
        session.add(row)
        rows.append(row)
    return rows


def _path_of(rows: list[DocumentPart], role: str) -> str:
    return next(r.file.store_path for r in rows if r.role == role)


def fields_of(di: DiDocument) -> dict[str, Any]:
    """The official-document fields a DI's tags give (same keys as for scanned letters)."""
    raw = {
        "doc_number": di.doc_number, "doc_date": di.issued, "issuing_agency": di.agency,
        "recipient": "、".join(di.recipients) or None, "subject": di.subject,
        "urgency": di.urgency, "classification": di.classification or None,
        "doc_kind": di.kind, "declassify": di.declassify, "file_number": di.file_number,
        "retention": di.retention,
    }
    model = OfficialDocument.Fields.model_validate(raw)
    dumped: dict[str, Any] = model.model_dump(mode="json", exclude_none=True)
    return dumped


def set_metadata(doc: Document, di: DiDocument) -> None:
    """Title, date, type, fields, confidentiality and division from the tags."""
    fields = fields_of(di)
    rtype = OfficialDocument()
    doc.record_type = rtype.name
    doc.fields = {**(doc.fields or {}), **fields, "source": "di"}
    doc.title = (di.subject or doc.title or "")[:200] or None
    doc.confidentiality = raise_confidentiality(doc.confidentiality or "internal",
                                                rtype.confidentiality_for(fields))
    if doc.document_date is None:  # the scanning manifest, when it has a date, wins
        doc.document_date = di.issued
    if doc.division is None and (m := _DIVISION.search(di.unit or "")):
        doc.division = m.group(1)


def sign_off_dicts(session: Session, document_id: int) -> list[dict[str, Any]]:
    """The sign-off chain of a document, in order (empty for anything but a DI package)."""
    rows = session.scalars(select(SignOff).where(SignOff.document_id == document_id)
                           .order_by(SignOff.seq))
    return [{"seq": r.seq, "point": r.point, "action": r.action, "signer": r.signer,
             "title": r.title, "role": r.role, "unit": r.unit, "agency": r.agency,
             "signed_at": r.signed_at.isoformat(timespec="minutes") if r.signed_at else None,
             "opinion": r.opinion, "signed": r.signed} for r in rows]


def part_dicts(session: Session, document_id: int) -> list[dict[str, Any]]:
    """The parts of a package: name, role, hash and store path."""
    rows = session.scalars(select(DocumentPart).where(DocumentPart.document_id == document_id)
                           .order_by(DocumentPart.seq))
    return [{"name": r.name, "role": r.role, "sha256": r.file.sha256, "size": r.file.size,
             "media_type": r.file.media_type, "store_path": r.file.store_path} for r in rows]
