"""Run the benchmarks and write docs/benchmarks.md.

    .venv/bin/python -m bench.run            # full mode, by hand: writes docs/benchmarks.md
    .venv/bin/python -m bench.run --quick    # smoke check (< 5 min): bench/out/benchmarks-quick.md
    .venv/bin/python -m bench.run --only real_scans --out bench/out/real-scans.md
                                             # one part alone (here: ../shared/corpus/real_scans)

Every number in the page comes from this one run; raw results go to
``bench/out/results.json``. No measurement asserts anything about time.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench import (
    accuracy,
    born_digital,
    machine,
    memory,
    ocr_throughput,
    orchestration,
    real_scans,
    report,
    search_scale,
)
from bench.common import (
    DEFAULT_WORK,
    FULL,
    QUICK,
    ROOT,
    TINY,
    Context,
    Sizes,
    load_average,
    strip_private,
)

MODULES: dict[str, Callable[[Context], dict[str, Any]]] = {
    "ocr_throughput": ocr_throughput.run,
    "orchestration": orchestration.run,
    "born_digital": born_digital.run,
    "memory": memory.run,
    "accuracy": accuracy.run,
    "real_scans": real_scans.run,
    "search_scale": search_scale.run,
}


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small sizes: a smoke check (< 5 min)")
    p.add_argument("--tiny", action="store_true", help=argparse.SUPPRESS)  # the test suite's
    p.add_argument("--out", type=Path, help="Markdown page to write (default: docs/"
                   "benchmarks.md, or bench/out/benchmarks-quick.md with --quick)")
    p.add_argument("--work", type=Path, default=DEFAULT_WORK, help="cache and scratch folder")
    p.add_argument("--only", help=f"comma-separated subset of: {', '.join(MODULES)}")
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                   help="change one size of the mode, e.g. --set memory_pages=50,200 "
                        "(the page names every change)")
    p.add_argument("--why", default="", help="why sizes were changed (printed on the page)")
    p.add_argument("--render-only", action="store_true",
                   help="write the page again from bench/out/results.json, measure nothing")
    return p.parse_args(argv)


def sizes_for(args: argparse.Namespace) -> Sizes:
    base = TINY if args.tiny else QUICK if args.quick else FULL
    changes = dict(_parse_set(item, base) for item in args.set)
    return dataclasses.replace(base, **changes) if changes else base


def _parse_set(item: str, base: Sizes) -> tuple[str, Any]:
    name, _, text = item.partition("=")
    if name not in {f.name for f in dataclasses.fields(Sizes)} or name == "name":
        raise SystemExit(f"--set: unknown size {name!r}")
    current = getattr(base, name)
    if isinstance(current, bool):
        return name, text.lower() in ("1", "true", "yes")
    if isinstance(current, tuple):
        return name, tuple(int(v) for v in text.split(","))
    if current is None or isinstance(current, int):
        return name, None if text.lower() == "none" else int(text)
    return name, type(current)(text)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    sizes = sizes_for(args)
    out = args.out or (ROOT / "docs" / "benchmarks.md" if sizes.name == "full"
                       else args.work / f"benchmarks-{sizes.name}.md")
    if args.render_only:
        results = json.loads((args.work / "results.json").read_text(encoding="utf-8"))
        report.write(results, out)
        _log(f"wrote {out} from {args.work / 'results.json'}")
        return 0
    names = args.only.split(",") if args.only else list(MODULES)
    unknown = set(names) - set(MODULES)
    if unknown:
        raise SystemExit(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    ctx = Context(sizes, args.work.resolve(), log=_log)
    results = run_all(ctx, names, out, args.why)
    report.write(results, out)
    _log(f"wrote {out} and {ctx.work / 'results.json'}")
    return 0


def run_all(ctx: Context, names: list[str], out: Path, why: str = "") -> dict[str, Any]:
    ctx.work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    results: dict[str, Any] = {"mode": ctx.sizes.name, "sizes": vars(ctx.sizes).copy(),
                               "changed_sizes": changed_sizes(ctx.sizes), "why_changed": why,
                               "machine": machine.describe(), "results": ctx.results,
                               "command": _command(ctx, out)}
    stop_services = _search_service(ctx, results) if "search_scale" in names else False
    try:
        for name in names:
            ctx.results[name] = _run_one(ctx, name)
            _save(ctx, results)
    finally:
        if stop_services:
            subprocess.run([str(ROOT / "scripts" / "dev-services"), "down", "opensearch"],
                           check=False, capture_output=True)
    results["load_average_after"] = load_average()
    results["total_seconds"] = round(time.perf_counter() - started, 1)
    _save(ctx, results)
    return results


def changed_sizes(sizes: Sizes) -> dict[str, list[Any]]:
    """Sizes that differ from the mode's own: name -> [the mode's, this run's]."""
    base = {"full": FULL, "quick": QUICK, "tiny": TINY}[sizes.name]
    return {f.name: [getattr(base, f.name), getattr(sizes, f.name)]
            for f in dataclasses.fields(Sizes) if getattr(base, f.name) != getattr(sizes, f.name)}


def _run_one(ctx: Context, name: str) -> dict[str, Any]:
    ctx.log(f"== {name}")
    before, t = load_average(), time.perf_counter()
    try:
        result = MODULES[name](ctx)
    except Exception as exc:  # one failed measurement must not lose the others
        traceback.print_exc()
        result = {"status": "failed", "reason": f"{type(exc).__name__}: {exc}"}
    result.update(seconds_total=round(time.perf_counter() - t, 1), load_before=before,
                  load_after=load_average())
    return result


def _search_service(ctx: Context, results: dict[str, Any]) -> bool:
    """The OpenSearch node: RECORDS_SEARCH_URL, else (full mode) scripts/dev-services.

    Returns whether this run started the node (and so stops it at the end).
    """
    ctx.search_url = os.environ.get("RECORDS_SEARCH_URL", "")
    started = False
    if not ctx.search_url and ctx.sizes.opensearch:
        started, ctx.search_url = _start_opensearch(ctx)
    if ctx.search_url:
        try:
            results["opensearch"] = machine.opensearch_info(ctx.search_url)
        except Exception as exc:  # reported; the embedded backend is still measured
            ctx.log(f"OpenSearch at {ctx.search_url} does not answer: {exc}")
            ctx.search_url = ""
    return started


def _start_opensearch(ctx: Context) -> tuple[bool, str]:
    script = str(ROOT / "scripts" / "dev-services")
    was_up = subprocess.run([script, "status", "opensearch"], capture_output=True,
                            check=False).returncode == 0
    ctx.log("search: starting OpenSearch with scripts/dev-services" if not was_up else
            "search: using the running dev-services OpenSearch")
    # a million pages want more than the tests' 512 MB heap; an operator's setting wins
    env = {**os.environ, "RECORDS_OPENSEARCH_HEAP": os.environ.get("RECORDS_OPENSEARCH_HEAP",
                                                                   "2g")}
    proc = subprocess.run([script, "up", "opensearch"], capture_output=True, text=True,
                          check=False, env=env)
    for line in proc.stdout.splitlines():
        if line.startswith("export RECORDS_SEARCH_URL="):
            return not was_up, line.split("=", 1)[1].strip().strip("'\"")
    ctx.log(f"search: OpenSearch did not start: {proc.stderr.strip()[-400:]}")
    return False, ""


def _command(ctx: Context, out: Path) -> str:
    flag = {"quick": " --quick", "tiny": " --tiny"}.get(ctx.sizes.name, "")
    sets = "".join(f" --set {k}={_value(v[1])}" for k, v in changed_sizes(ctx.sizes).items())
    return f".venv/bin/python -m bench.run{flag}{sets} --out {_rel(out)}"


def _value(value: Any) -> str:
    return ",".join(map(str, value)) if isinstance(value, tuple) else str(value)


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def _save(ctx: Context, results: dict[str, Any]) -> None:
    text = json.dumps(strip_private(results), ensure_ascii=False, indent=1, default=str)
    (ctx.work / "results.json").write_text(text + "\n", encoding="utf-8")


def _log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
