"""Logging: one setup, called at the edges (the ``records`` command, the web server, the
scheduled flows); modules below only ``logging.getLogger(__name__)``.

The level comes from ``--verbose`` (``-v`` info, ``-vv`` debug) or ``RECORDS_LOG_LEVEL``
(``debug``, ``info``, ``warning``, ``error``); the default shows warnings and errors.
Python warnings (deprecations, decompression bombs, ...) are routed into the log so they
are seen once, with the rest. The web server writes JSON lines, one object per record,
for a log collector; the CLI writes short human-readable lines to stderr.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import UTC, datetime
from typing import IO

from pipeline.errors import ConfigError

LEVEL_ENV = "RECORDS_LOG_LEVEL"
LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING,
          "error": logging.ERROR}
#: chatty libraries that stay at warning unless debugging
_QUIET = ("opensearch", "urllib3", "httpx", "httpcore", "alembic", "PIL", "multipart")


class JsonLines(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": datetime.fromtimestamp(record.created, UTC).isoformat(),
                 "level": record.levelname.lower(), "logger": record.name,
                 "message": record.getMessage()}
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time (it is replaced under test runners)."""

    @property
    def stream(self) -> IO[str]:
        return sys.stderr

    @stream.setter
    def stream(self, _value: IO[str]) -> None:
        pass


def level_from(verbose: int = 0, env: str | None = None, default: int = logging.WARNING) -> int:
    """``--verbose`` wins over ``RECORDS_LOG_LEVEL``; ``default`` (warning) otherwise."""
    if verbose:
        return logging.DEBUG if verbose > 1 else logging.INFO
    name = (os.environ.get(LEVEL_ENV, "") if env is None else env).strip().lower()
    if not name:
        return default
    if name not in LEVELS:
        raise ConfigError(f"{LEVEL_ENV} is one of {', '.join(LEVELS)}, got {name!r}")
    return LEVELS[name]


def setup(level: int, json_lines: bool = False) -> None:
    """One stderr handler on the root logger at ``level`` (replacing the one an earlier
    call installed; handlers of others, such as a test runner's, stay)."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _Stderr)]:
        root.removeHandler(old)
    handler = _Stderr()
    handler.setFormatter(JsonLines() if json_lines else
                         logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level)
    for name in _QUIET:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    logging.captureWarnings(True)
