"""The lifecycle states of a document (a leaf module: it imports nothing of the project).

``Document.status`` holds one of these; the values are what the database stores, so
they never change. The moves between them are ``pipeline.lifecycle.TRANSITIONS``.
"""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    captured = "captured"
    needs_review = "needs_review"
    classified = "classified"
    archived = "archived"
    flagged_for_transfer = "flagged_for_transfer"
    transferred = "transferred"
    appraisal = "appraisal"
    queued_for_disposal = "queued_for_disposal"
    approved = "approved"
    disposed = "disposed"


#: captured documents not yet classified, and those an officer must look at
REVIEW_STATES = frozenset({State.captured, State.needs_review})
#: states on the way to destruction: a hold forbids entering them
TOWARD_DISPOSAL = frozenset({State.queued_for_disposal, State.approved, State.disposed})
#: nothing leaves these: the record is with the national archives or destroyed
TERMINAL = frozenset({State.transferred, State.disposed})
