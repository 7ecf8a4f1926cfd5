"""When a Prefect task is retried: the one retry condition of every flow."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pipeline.errors import ExternalProgramError, ExternalProgramTimeout, StorageError

RetryCondition = Callable[[Any, Any, Any], bool]


def retry_on(*transient: type[BaseException],
             never: tuple[type[BaseException], ...] = ()) -> RetryCondition:
    """A ``retry_condition_fn``: retry a failed run whose exception is one of ``transient``
    (and not one of ``never``); any other failure is a real outcome."""

    def condition(_task: Any, _run: Any, state: Any) -> bool:
        try:
            state.result()
        except never:
            return False
        except transient:
            return True
        except Exception:
            return False
        return False

    return condition


#: a locked or unreachable database (the scheduled flows)
storage_blip = retry_on(StorageError)
#: external-program hiccups and storage blips, never bad input; a hang would hang again
#: (the document is quarantined instead)
ingest_transient = retry_on(ExternalProgramError, StorageError, OSError,
                            never=(ExternalProgramTimeout,))
