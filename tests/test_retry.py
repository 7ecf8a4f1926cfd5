"""Which task failures the flows retry: one condition for every flow (``flows._retry``)."""

from __future__ import annotations

import pytest

from flows._retry import ingest_transient, storage_blip
from pipeline.errors import CorruptFile, ExternalProgramError, ExternalProgramTimeout, StorageError


class FinalState:
    """What Prefect hands a retry condition: a state whose ``result()`` re-raises."""

    def __init__(self, error: BaseException | None) -> None:
        self.error = error

    def result(self) -> None:
        if self.error is not None:
            raise self.error


@pytest.mark.parametrize(("error", "scheduled", "ingest"), [
    (StorageError("database is locked"), True, True),
    (ExternalProgramError("tesseract exited 1"), False, True),
    (ExternalProgramTimeout("tesseract ran out of time"), False, False),
    (OSError("stale NFS handle"), False, True),
    (CorruptFile("not a PDF"), False, False),
    (None, False, False),
])
def test_only_transient_failures_are_retried(error: BaseException | None, scheduled: bool,
                                             ingest: bool) -> None:
    state = FinalState(error)
    assert storage_blip(None, None, state) is scheduled
    assert ingest_transient(None, None, state) is ingest
