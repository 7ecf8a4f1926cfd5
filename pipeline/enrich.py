"""Steps that read a new document's text before it is committed.

They run inside the ingest transaction, so a document becomes visible with
its record type, extracted fields and class already set, or not at all.
Order matters: a born-digital package's tags first (they set the type and the
header fields exactly), then record types, because a type proposes a retention
class that classification weighs.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from pipeline.classify import classify_step
from pipeline.db.models import Document
from pipeline.di.metadata import apply_package
from pipeline.record_types.apply import apply_record_type
from pipeline.settings import Settings
from pipeline.titles import title_step

Enricher = Callable[[Session, Settings, Document], None]


def enrichers() -> list[Enricher]:
    """The enrichment steps, in the order they run."""
    return [apply_package, apply_record_type, title_step, classify_step]


def enrich(session: Session, settings: Settings, doc: Document) -> None:
    for step in enrichers():
        step(session, settings, doc)
