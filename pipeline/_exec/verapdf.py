"""veraPDF, the reference PDF/A validator, through our own entry point over its library.

``scripts/setup`` resolves ``org.verapdf:validation-model`` with Maven and compiles
``tools/verapdf/src/.../Validate.java`` into ``tools/verapdf/target``. One JVM start
validates a whole list of files (starting Java and loading the profiles costs seconds;
one file a fraction of that) and prints one JSON object per file.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.errors import ExternalProgramError, ExternalProgramTimeout

MAIN_CLASS = "tw.gov.tainan.records.Validate"
VALIDATOR = "veraPDF"
#: the JDK Debian installs; used when ``java`` is not on PATH (cron, systemd)
DEBIAN_JAVA = Path("/usr/lib/jvm/java-17-openjdk-amd64/bin/java")


@dataclass(frozen=True)
class Verdict:
    """veraPDF's judgement of one file."""

    path: str
    validator: str
    version: str
    profile: str | None
    compliant: bool
    failed_rules: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None


def _java() -> str:
    found = shutil.which("java") or (str(DEBIAN_JAVA) if DEBIAN_JAVA.exists() else None)
    if found is None:
        raise ExternalProgramError("java is not installed (scripts/setup installs it)")
    return found


def _classpath(tool_dir: Path) -> str:
    classes, lib = tool_dir / "classes", tool_dir / "lib"
    if not (classes / "tw").is_dir() or not lib.is_dir():
        raise ExternalProgramError(
            f"veraPDF entry point not built in {tool_dir} (run scripts/setup)"
        )
    return f"{classes}{os.pathsep}{lib / '*'}"


def validate(
    paths: list[Path], tool_dir: Path, timeout: float, flavour: str = "auto"
) -> list[Verdict]:
    """Validate ``paths`` in one run; ``flavour`` "auto" uses what each file declares.

    A file veraPDF cannot parse gets a verdict with ``error`` (not compliant); a failure
    of the run itself raises ExternalProgramError.
    """
    if not paths:
        return []
    cmd = [_java(), "-Xss8m", "-cp", _classpath(tool_dir), MAIN_CLASS, flavour]
    stdin = "".join(f"{p}\n" for p in paths)
    try:
        proc = subprocess.run(
            cmd, input=stdin.encode(), capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise ExternalProgramTimeout(f"veraPDF timed out after {timeout:.0f} s") from exc
    if proc.returncode != 0:
        tail = proc.stderr.decode(errors="replace").strip().splitlines()[-3:]
        raise ExternalProgramError(f"veraPDF failed (exit {proc.returncode}): {' '.join(tail)}")
    verdicts = [_verdict(json.loads(line)) for line in proc.stdout.decode().splitlines() if line]
    if len(verdicts) != len(paths):
        raise ExternalProgramError(f"veraPDF judged {len(verdicts)} of {len(paths)} files")
    return verdicts


def _verdict(row: dict[str, Any]) -> Verdict:
    return Verdict(
        path=row["path"],
        validator=row.get("validator", VALIDATOR),
        version=row.get("version", ""),
        profile=row.get("profile"),
        compliant=bool(row.get("compliant")),
        failed_rules=list(row.get("failed_rules") or []),
        error=row.get("error"),
    )
