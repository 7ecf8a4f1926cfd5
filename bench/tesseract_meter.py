"""CPU time of every Tesseract call a run makes, by a metering ``tesseract`` first on PATH.

The meter is a small Python script that runs the real program and appends the child's
CPU seconds and the kind of call (a reading, an orientation check) to a log. It costs a
Python start-up per call, so metered runs are separate from timed ones. Their totals say
how much of a run's CPU Tesseract alone needs: bare Tesseract's total over ours is the
best speed ratio our ingest could reach on that many cores, with no other work at all.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

LOG_VARIABLE = "RECORDS_BENCH_TESSERACT_LOG"

_SCRIPT = """#!{python}
import json, os, resource, subprocess, sys
done = subprocess.run([{real!r}, *sys.argv[1:]])
used = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(os.environ[{var!r}], "a", encoding="utf-8") as log:
    log.write(json.dumps({{"cpu": used.ru_utime + used.ru_stime, "args": sys.argv[1:]}}) + "\\n")
sys.exit(done.returncode)
"""


def metered_env(folder: Path) -> tuple[dict[str, str], Path]:
    """The settings that put the meter first on PATH (over this process's environment),
    and the meter's log file."""
    real = shutil.which("tesseract")
    if real is None:
        raise RuntimeError("tesseract is not on PATH")
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "tesseract"
    script.write_text(_SCRIPT.format(python=sys.executable, real=real, var=LOG_VARIABLE),
                      encoding="utf-8")
    script.chmod(0o755)
    log = folder / "calls.jsonl"
    log.unlink(missing_ok=True)
    return {"PATH": f"{folder}{os.pathsep}{os.environ.get('PATH', '')}",
            LOG_VARIABLE: str(log)}, log


def kind(args: list[str]) -> str:
    """reading, orientation (``--psm 0``) or other (``--version``)."""
    if "--psm" in args and args[args.index("--psm") + 1] == "0":
        return "orientation"
    return "reading" if len(args) >= 2 and not args[0].startswith("-") else "other"


def totals(log: Path) -> dict[str, Any]:
    """CPU seconds in all, and calls and CPU seconds per kind of call."""
    calls: dict[str, dict[str, float]] = {}
    lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    for line in lines:
        entry = json.loads(line)
        mine = calls.setdefault(kind(entry["args"]), {"calls": 0, "cpu_seconds": 0.0})
        mine["calls"] += 1
        mine["cpu_seconds"] += entry["cpu"]
    for mine in calls.values():
        mine["cpu_seconds"] = round(mine["cpu_seconds"], 2)
    return {"cpu_seconds": round(sum(c["cpu_seconds"] for c in calls.values()), 2),
            "by_kind": calls}
