"""What every benchmark shares: sizes per mode, the run context, measured subprocesses."""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_WORK = ROOT / "bench" / "out"
LANG = "chi_tra+eng"


@dataclass(frozen=True)
class Sizes:
    """How much work each measurement does; the three modes differ only here."""

    name: str
    ocr_pages: int
    pages_per_pdf: int
    profile_pages: int
    born_digital_pages: int
    memory_pages: tuple[int, int]
    orchestration_ocr_pages: int
    orchestration_layer_pages: int
    search_checkpoints: tuple[int, ...]
    query_max: int
    query_seconds: float
    accuracy_pages: int | None  # None: every scanned page of sample_scans/
    opensearch: bool  # full mode starts OpenSearch itself when no URL is given
    ocrmypdf_one_pdf: bool  # also OCRmyPDF on all pages as one PDF (its best case)


FULL = Sizes("full", ocr_pages=40, pages_per_pdf=4, profile_pages=4, born_digital_pages=40,
             memory_pages=(50, 500), orchestration_ocr_pages=20, orchestration_layer_pages=200,
             search_checkpoints=(100_000, 1_000_000), query_max=150, query_seconds=10.0,
             accuracy_pages=None, opensearch=True, ocrmypdf_one_pdf=True)
QUICK = Sizes("quick", ocr_pages=6, pages_per_pdf=3, profile_pages=2, born_digital_pages=6,
              memory_pages=(4, 12), orchestration_ocr_pages=2, orchestration_layer_pages=16,
              search_checkpoints=(10_000,), query_max=20, query_seconds=1.5, accuracy_pages=3,
              opensearch=False, ocrmypdf_one_pdf=False)
#: the smoke test's mode: every code path once, in seconds
TINY = Sizes("tiny", ocr_pages=1, pages_per_pdf=1, profile_pages=1, born_digital_pages=2,
             memory_pages=(1, 2), orchestration_ocr_pages=1, orchestration_layer_pages=2,
             search_checkpoints=(300,), query_max=3, query_seconds=0.5, accuracy_pages=1,
             opensearch=False, ocrmypdf_one_pdf=True)


@dataclass
class Context:
    """One benchmark run: its sizes, work folder, cores and services."""

    sizes: Sizes
    work: Path
    cores: int = field(default_factory=lambda: os.cpu_count() or 1)
    search_url: str = ""
    log: Callable[[str], None] = field(default=lambda msg: print(msg, file=sys.stderr))
    #: results of the modules run so far (later modules may reuse them)
    results: dict[str, Any] = field(default_factory=dict)

    def path(self, *parts: str) -> Path:
        p = self.work.joinpath(*parts)
        p.mkdir(parents=True, exist_ok=True)
        return p

    def fresh(self, name: str) -> Path:
        """An empty folder under ``runs/`` (a RECORDS_HOME, an output folder)."""
        p = self.work / "runs" / name
        shutil.rmtree(p, ignore_errors=True)
        p.mkdir(parents=True)
        return p


def per_minute(count: int, seconds: float) -> float:
    return round(count / seconds * 60.0, 2) if seconds > 0 else 0.0


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a and b else None


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def not_measured(reason: str, **extra: Any) -> dict[str, Any]:
    return {"status": "not measured", "reason": reason, **extra}


# -- subprocesses, with the resident memory of the whole process tree sampled ----------------


@dataclass
class Measured:
    """A finished subprocess: wall time, output and its memory over time."""

    seconds: float
    returncode: int
    stdout: str
    stderr: str
    peak_tree_rss: int = 0
    peak_main_rss: int = 0
    peak_children_rss: int = 0
    #: peak summed RSS of each kind of child process
    peak_roles: dict[str, int] = field(default_factory=dict)
    #: (seconds since start, tree RSS, main RSS) every sample
    samples: list[tuple[float, int, int]] = field(default_factory=list)
    #: CPU seconds of the process and the children it waited for (not a detached server)
    cpu_seconds: float = 0.0

    def check(self, what: str) -> Measured:
        if self.returncode not in (0, 3):  # 3: the batch ran but something was quarantined
            raise RuntimeError(f"{what} exited {self.returncode}: {error_line(self.stderr)}")
        return self


def error_line(stderr: str) -> str:
    """The one message worth reporting from a failed command's stderr."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].startswith("error:"):  # the records CLI's message (rich may wrap it)
            return " ".join(lines[i:])[:400]
    errors = [ln for ln in lines if "Error" in ln.split(":")[0]]
    return (errors[-1] if errors else lines[-1] if lines else "no output")[:400]


def _tree_rss(proc: psutil.Process, roles: dict[str, int]) -> tuple[int, int]:
    """(RSS of the process and all its descendants, RSS of the process alone).

    ``roles`` keeps the peak summed RSS of each kind of child (tesseract, pdftoppm,
    Prefect's server, other).
    """
    try:
        main = proc.memory_info().rss
        kids = proc.children(recursive=True)
    except psutil.Error:
        return 0, 0
    total, now = main, dict[str, int]()
    for kid in kids:
        try:
            rss, role = kid.memory_info().rss, _role(kid)
        except psutil.Error:
            continue
        total += rss
        now[role] = now.get(role, 0) + rss
    for role, rss in now.items():
        roles[role] = max(roles.get(role, 0), rss)
    return total, main


def _role(proc: psutil.Process) -> str:
    name = str(proc.name())
    if name in ("tesseract", "pdftoppm", "gs"):
        return name
    cmd = " ".join(proc.cmdline())
    return "prefect server" if "prefect.server" in cmd or "uvicorn" in cmd else "other"


def run_measured(cmd: list[str], env: dict[str, str] | None = None, cwd: Path | None = None,
                 interval: float = 0.1, timeout: float = 7200.0) -> Measured:
    """Run ``cmd`` to its end, sampling the RSS of its process tree every ``interval``."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        before = _children_cpu()
        start = time.perf_counter()
        proc = psutil.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=err)
        roles: dict[str, int] = {}
        samples = _sample_until_exit(proc, start, interval, timeout, roles)
        seconds = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        m = Measured(seconds, proc.returncode, out.read().decode("utf-8", "replace"),
                     err.read().decode("utf-8", "replace"), peak_roles=roles, samples=samples,
                     cpu_seconds=round(_children_cpu() - before, 2))
    if samples:
        m.peak_tree_rss = max(s[1] for s in samples)
        m.peak_main_rss = max(s[2] for s in samples)
        m.peak_children_rss = max(s[1] - s[2] for s in samples)
    return m


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _sample_until_exit(proc: psutil.Popen, start: float, interval: float, timeout: float,
                       roles: dict[str, int]) -> list[tuple[float, int, int]]:
    samples: list[tuple[float, int, int]] = []
    while proc.poll() is None:
        now = time.perf_counter() - start
        if now > timeout:
            proc.kill()
            proc.wait()
            raise TimeoutError(f"{proc.args} ran longer than {timeout:.0f} s")
        tree, main = _tree_rss(proc, roles)
        if tree:
            samples.append((round(now, 2), tree, main))
        time.sleep(interval)
    return samples


# -- the records command ------------------------------------------------------------------------


def records_command() -> list[str]:
    exe = Path(sys.executable).parent / "records"
    return [str(exe)] if exe.exists() else [sys.executable, str(ROOT / "cli.py")]


def records_env(ctx: Context, home: Path) -> dict[str, str]:
    """The clerk's default setup: embedded index in a fresh archive, one worker per core."""
    env = dict(os.environ)
    for key in ("RECORDS_DATABASE_URL", "RECORDS_SEARCH_URL", "RECORDS_DASK_ADDRESS",
                "PREFECT_API_URL"):
        env.pop(key, None)
    env.update(RECORDS_HOME=str(home), RECORDS_WORKERS=str(ctx.cores), OMP_THREAD_LIMIT="1",
               PREFECT_HOME=str(ctx.path("prefect-home")), PYTHONUNBUFFERED="1")
    # Prefect gives its local API server 20 s to start; a loaded machine can need more
    env.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    return env


def ingest(ctx: Context, name: str, inputs: list[Path], *flags: str,
           env: dict[str, str] | None = None) -> dict[str, Any]:
    """``records ingest INPUTS --json`` in a fresh archive; wall time, memory and summary.
    ``env``: settings over the clerk's default (:func:`records_env`)."""
    home = ctx.fresh(name)
    cmd = [*records_command(), "ingest", *map(str, inputs), "--json", *flags]
    m = run_measured(cmd, env={**records_env(ctx, home), **(env or {})},
                     cwd=ROOT).check(f"records ingest ({name})")
    summary = json.loads(m.stdout)
    if summary["quarantined"]:
        raise RuntimeError(f"{name}: files were quarantined: {summary['quarantined'][:3]}")
    validation = background_seconds(summary)
    return {"seconds": round(m.seconds, 2), "pages": summary["pages"],
            "cpu_seconds": m.cpu_seconds, "background_validation_seconds": validation,
            "documents": summary["documents"], "pages_per_minute": per_minute(summary["pages"],
                                                                              m.seconds),
            "peak_tree_rss": m.peak_tree_rss, "peak_main_rss": m.peak_main_rss,
            "peak_children_rss": m.peak_children_rss, "peak_roles": m.peak_roles,
            "_samples": m.samples}


def background_seconds(summary: dict[str, Any]) -> float | None:
    """Wait for the batch's background PDF/A validation (the clerk does not) and say how long
    it ran on after the batch: left running, it would share the CPU with the next measured run."""
    pid = (summary.get("archival_validation") or {}).get("pid")
    if pid is None:
        return None
    start = time.perf_counter()
    with contextlib.suppress(psutil.NoSuchProcess):
        psutil.Process(pid).wait(timeout=1800)
    return round(time.perf_counter() - start, 2)


def strip_private(data: Any) -> Any:
    """Drop ``_``-prefixed keys (bulky raw series) before a result goes into the report."""
    if isinstance(data, dict):
        return {k: strip_private(v) for k, v in data.items() if not str(k).startswith("_")}
    if isinstance(data, list):
        return [strip_private(v) for v in data]
    return data
