"""Hostile DI/SI XML: time and peak memory to refuse each case (numbers for docs/born-digital.md).

    .venv/bin/python -m bench.di_hostile

Each case is read in a fresh process so its peak memory is its own. Nothing here asserts
anything about time; tests/test_di.py checks the outcomes.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests import di_support


def cases(folder: Path) -> dict[str, Path]:
    secret = folder / "secret.txt"
    secret.write_text("TOP-SECRET", encoding="utf-8")
    texts = {"billion laughs": di_support.billion_laughs(),
             "external entity (local file)": di_support.external_entity(secret),
             "parameter entity (local file)": di_support.parameter_entity(secret),
             "10,000-deep nesting": di_support.deep_nesting()}
    out = {}
    for i, (name, text) in enumerate(texts.items()):
        out[name] = folder / f"{i}.di"
        out[name].write_text(text, encoding="utf-8")
    utf8 = di_support.generator().di_bytes(di_support.sample("1130023456").di, "utf-8")
    out["wrong declared encoding"] = folder / "wrong.di"
    out["wrong declared encoding"].write_bytes(utf8.replace(b'"UTF-8"', b'"big5"'))
    out["oversized (64 MB)"] = folder / "big.di"
    with out["oversized (64 MB)"].open("wb") as fh:
        fh.write(b"<" + "函".encode() + b">")
        fh.truncate(64 * 1024 * 1024)
    return out


def one(path: Path) -> dict[str, object]:
    """Read one file the way ingest does; report the outcome, seconds and peak RSS."""
    from pipeline.di.xmlsafe import read_xml
    from pipeline.errors import InputFileError

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    try:
        read_xml(path)
        outcome = "parsed"
    except InputFileError as exc:
        outcome = exc.reason
    return {"seconds": round(time.perf_counter() - started, 4), "outcome": outcome,
            "peak_rss_growth_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before}


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        print(json.dumps(one(Path(sys.argv[2])), ensure_ascii=False))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, path in cases(Path(tmp)).items():
            run = subprocess.run([sys.executable, "-m", "bench.di_hostile", "--one", str(path)],
                                 capture_output=True, text=True, check=True)
            result = json.loads(run.stdout)
            growth = result["peak_rss_growth_kb"] / 1024
            print(f"| {name} | {result['seconds']:.3f} s | {growth:.1f} MB | {result['outcome']} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
