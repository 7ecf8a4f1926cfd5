"""Thin wrappers, one module per external program; they translate failures into our errors.

Every child is started by :func:`run`: its environment is given per call (never by
changing ``os.environ``), a timeout is always set, and its stderr goes to the log at
debug level, so a clerk's ``--verbose`` shows what Tesseract or Poppler complained about.
"""

from __future__ import annotations

import logging
import os
import subprocess
from collections.abc import Mapping, Sequence

from pipeline.errors import ExternalProgramError, ExternalProgramMissing, ExternalProgramTimeout

log = logging.getLogger(__name__)


def child_env(**overrides: str) -> dict[str, str]:
    """This process's environment plus ``overrides``, for one child only."""
    return {**os.environ, **overrides}


def run(
    cmd: Sequence[str],
    what: str,
    timeout: float,
    env: Mapping[str, str] | None = None,
    stdin: bytes | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run ``cmd`` to its end; raise by type on a timeout or a missing program.

    A non-zero exit is returned, not raised: only the caller knows what it means
    (OSD's "too few characters" is an answer, not a failure).
    """
    try:
        proc = subprocess.run(
            list(cmd), input=stdin, capture_output=True, timeout=timeout, env=env, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise ExternalProgramTimeout(f"{what} timed out after {timeout:.0f} s") from exc
    except FileNotFoundError as exc:
        raise ExternalProgramMissing(f"{cmd[0]} is not installed or not on PATH") from exc
    if proc.stderr:
        log.debug("%s (exit %d): %s", what, proc.returncode, proc.stderr.decode(errors="replace"))
    return proc


def failed(what: str, proc: subprocess.CompletedProcess[bytes]) -> ExternalProgramError:
    """The error for a child that exited non-zero, with the last line it wrote."""
    lines = proc.stderr.decode(errors="replace").strip().splitlines()
    detail = lines[-1] if lines else "no message"
    return ExternalProgramError(f"{what} failed (exit {proc.returncode}): {detail}")
