"""What the scheduled flows (retention sweep, fixity check) share: the archive of a task
run and the ``python -m flows.X --cron "..."`` entry point that serves them (when to
retry: ``flows._retry``)."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from pipeline import logs
from pipeline.archive import Archive
from pipeline.settings import Settings


@contextmanager
def archive_from(settings_json: str) -> Iterator[Archive]:
    """The archive one task run works on, from settings passed as JSON (closed after)."""
    archive = Archive.open(Settings.model_validate_json(settings_json))
    try:
        yield archive
    finally:
        archive.close()


def main(doc: str | None, serve: Callable[[str], None], default_cron: str) -> None:
    """Parse ``--cron`` and serve the flow on it until stopped.

    Prefect's own handlers print the log here; ``RECORDS_LOG_LEVEL`` sets how much of the
    pipeline's they get, and Python warnings join them.
    """
    logging.getLogger("pipeline").setLevel(logs.level_from())
    logging.captureWarnings(True)
    parser = argparse.ArgumentParser(description=doc)
    parser.add_argument("--cron", default=default_cron)
    serve(parser.parse_args().cron)
