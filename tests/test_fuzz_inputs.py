"""Property-based fuzzing of what clerks and officers hand the system as text: the batch
manifest (CSV, JSON) and the retention rules (YAML). Whatever the input, only ConfigError
(RulesError is one) may come out, quickly, and a manifest never names a path outside the
batch.

Seeded (``derandomize``); ``RECORDS_FUZZ_EXAMPLES`` (default 60) examples per property.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
import time
from pathlib import Path, PurePosixPath
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.errors import ConfigError
from pipeline.manifest import Manifest, load_manifest
from pipeline.retention.schedule import load_schedule
from pipeline.settings import REPO_RULES_DIR
from tests.lifecycle_support import RULES

EXAMPLES = int(os.environ.get("RECORDS_FUZZ_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
#: seconds one parse may take, however hostile the input
TIME_LIMIT = 10.0

PATH_PARTS = st.sampled_from(
    ["..", ".", "a", "b.png", "", "/", "\\", "C:", "~", "..\\..", "%2e%2e", "\x00", "掃描"]
)
PATHS = st.one_of(
    st.lists(PATH_PARTS, min_size=1, max_size=6).map("/".join),
    st.lists(PATH_PARTS, min_size=1, max_size=6).map("\\".join),
    st.text(max_size=80),
)
DATES = st.one_of(
    st.dates().map(str),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.builds(
        "{}年{}月{}日".format, st.integers(-5, 99999), st.integers(-1, 99), st.integers(-1, 99)
    ),
    st.text(max_size=30),
    st.just(""),
)
CELLS = st.one_of(st.text(max_size=200), st.integers().map(str))


def _tmp(name: str, data: bytes) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="fuzz-"))
    path = folder / name
    path.write_bytes(data)
    return path


def parse_manifest(name: str, data: bytes) -> Manifest | None:
    """Only ConfigError may escape, within the time limit; entries stay inside the batch."""
    path = _tmp(name, data)
    started = time.monotonic()
    try:
        manifest = load_manifest(path)
    except ConfigError:
        return None
    finally:
        assert time.monotonic() - started < TIME_LIMIT
    for key in manifest.by_path:
        parts = PurePosixPath(key).parts
        assert parts and not key.startswith("/") and ".." not in parts and ":" not in parts[0]
    return manifest


def _csv(rows: list[dict[str, str]]) -> bytes:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=["file", "box", "folder", "division", "document_date"])
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


ROWS = st.lists(
    st.fixed_dictionaries(
        {"file": PATHS, "box": CELLS, "folder": CELLS, "division": CELLS, "document_date": DATES}
    ),
    max_size=5,
)


@FUZZ
@given(ROWS)
def test_manifest_csv_rows(rows: list[dict[str, str]]) -> None:
    parse_manifest("manifest.csv", _csv(rows))


@FUZZ
@given(ROWS)
def test_manifest_json_rows(rows: list[dict[str, str]]) -> None:
    parse_manifest("manifest.json", json.dumps({"files": rows}).encode())


JSON = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=30,
)


@FUZZ
@given(JSON)
def test_manifest_json_of_any_shape(value: Any) -> None:
    parse_manifest("manifest.json", json.dumps(value).encode())


@FUZZ
@given(st.binary(max_size=3000), st.sampled_from(["manifest.csv", "manifest.json"]))
def test_manifest_raw_bytes(data: bytes, name: str) -> None:
    parse_manifest(name, data)


def test_manifest_classics() -> None:
    """Hand-picked cases the generators above may miss."""
    cases = {
        "manifest.json": [b"[" * 100_000 + b"]" * 100_000, b'[{"file": "C:\\\\w\\\\x.png"}]'],
        "manifest.csv": [
            b"file\n" + b"a" * 200_000 + b"\n",
            b"file,box\na.png,\x00\n",
            b"file\n\xff\xfe\n",
            b"file\n../../etc/passwd\n",
            b"file\n/etc/passwd\n",
        ],
    }
    for name, datas in cases.items():
        for data in datas:
            manifest = parse_manifest(name, data)
            assert manifest is None or all(".." not in k for k in manifest.by_path)


# -- retention rules --------------------------------------------------------------------------

SMALL_RULES = (RULES / "lifecycle-test.yaml").read_text(encoding="utf-8").splitlines()
REAL_RULES = (REPO_RULES_DIR / "secretariat-v1.yaml").read_text(encoding="utf-8").splitlines()

VALUES = st.one_of(
    st.text(max_size=40),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.sampled_from(
        [
            "~",
            "null",
            "[",
            "]",
            "{",
            "&a [x]",
            "*a",
            "*nope",
            "!!python/object:os.system",
            "1e999",
            "9" * 5000,
            "0x7fffffffffffffff",
            "-.inf",
            ".nan",
            "2025-02-30",
            "9999-12-31",
            "0001-01-01",
            "99999-01-01",
            "'01'",
            "01",
            "permanent",
            "'(?:a+)+$'",
            "'(' ",
            "[" * 300,
            "\t",
            "? x",
            "|",
            ">-",
            "'\\u0000'",
        ]
    ),
)


def _mutate(lines: list[str], ops: list[tuple[int, int, str]]) -> str:
    out = list(lines)
    for kind, where, value in ops:
        i = where % max(1, len(out))
        if kind == 0 and out:
            del out[i]
        elif kind == 1 and out:
            out.insert(i, out[i])
        elif kind == 2 and out and ":" in out[i]:
            key = out[i].split(":", 1)[0]
            out[i] = f"{key}: {value}"
        else:
            out.insert(i, value)
    return "\n".join(out) + "\n"


OPS = st.lists(st.tuples(st.integers(0, 3), st.integers(0, 10_000), VALUES), min_size=1, max_size=4)


def parse_rules(text: str) -> None:
    path = _tmp("rules.yaml", text.encode("utf-8", "surrogatepass"))
    started = time.monotonic()
    try:
        load_schedule(path)
    except ConfigError:  # RulesError included
        pass
    finally:
        assert time.monotonic() - started < TIME_LIMIT


@FUZZ
@given(OPS)
def test_rules_loader_on_mutated_schedules(ops: list[tuple[int, int, str]]) -> None:
    parse_rules(_mutate(SMALL_RULES, ops))


@settings(FUZZ, max_examples=max(5, EXAMPLES // 6))
@given(OPS)
def test_rules_loader_on_the_real_schedule_mutated(ops: list[tuple[int, int, str]]) -> None:
    parse_rules(_mutate(REAL_RULES, ops))


@FUZZ
@given(st.text(max_size=2000))
def test_rules_loader_on_any_text(text: str) -> None:
    parse_rules(text)


def test_rules_loader_classics() -> None:
    laughs = "".join(
        f"{a}: &{a} [{', '.join([f'*{b}'] * 9)}]\n"
        for b, a in zip("abcdefg", "bcdefgh", strict=True)
    )
    for text in (
        "a: &a [x, x, x, x, x, x, x, x, x]\n" + laughs,  # billion laughs
        "a: &a [*a]\n",  # a recursive alias
        "a: " + "[" * 5000 + "]" * 5000 + "\n",  # deep nesting
        "schema_version: " + "9" * 10_000 + "\n",  # an integer Python will not convert
        "\n".join(REAL_RULES[:40]) + "\n  - code: !!binary AAAA\n",
    ):
        parse_rules(text)
