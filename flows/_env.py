"""Prefect's environment for a clerk's terminal: local, quiet, no telemetry.

Must run before ``prefect`` is imported: Prefect reads these once at import.
An operator who sets ``PREFECT_API_URL`` (a Prefect server) keeps it.
"""

from __future__ import annotations

import os

QUIET = {
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_LOGGING_TO_API_ENABLED": "false",
    "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
    "PREFECT_LOGGING_SERVER_LEVEL": "WARNING",
    "PREFECT_UI_ENABLED": "false",
    "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "false",
    "PREFECT_TASKS_REFRESH_CACHE": "false",
    # the local API server starts with the first flow; a busy machine needs more than 20 s
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
}


def configure() -> None:
    for key, value in QUIET.items():
        os.environ.setdefault(key, value)
