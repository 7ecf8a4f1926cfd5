"""An outside record-type package: installed with pip, then found and used, core untouched.

The test writes a one-module distribution to a temporary directory, ``pip install``s it
into a folder of its own (``--target``) that the ``records`` processes get on their path, and
drives the installed ``records`` command in fresh processes (as a clerk would): the new type
is listed, recognises and extracts an OCR'd page at ingest, and its field is searchable. The
shared environment is never changed, so tests running beside it (pytest-xdist) never see
the plugin.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests import imagegen

pytestmark = pytest.mark.slow
DIST = "records-vehicle-log"
RECORDS = Path(sys.executable).with_name("records")

PYPROJECT = """\
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "records-vehicle-log"
version = "0.1.0"
description = "Official vehicle logs for the records system (a test plugin)"
requires-python = ">=3.11"

[project.entry-points."records.record_types"]
vehicle_log = "records_vehicle_log:VehicleLog"

[tool.setuptools]
py-modules = ["records_vehicle_log"]
"""

MODULE = '''\
"""Official vehicle log (公務車行車紀錄): a record type outside the records package."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, ClassVar

from pydantic import BaseModel, Field

from pipeline.record_types import PageText, RecordType, full_text
from pipeline.record_types.parsing import evidence, first_date, labelled, parse_amount


class VehicleLogFields(BaseModel):
    plate: str | None = Field(None, title="車號", description="licence plate")
    trip_date: date | None = Field(None, title="日期", description="date of the trip")
    odometer_km: int | None = Field(None, title="里程", description="odometer, km")


class VehicleLog(RecordType):
    name: ClassVar[str] = "vehicle_log"
    labels: ClassVar[dict[str, str]] = {"zh-TW": "公務車行車紀錄", "en": "Official vehicle log"}
    Fields: ClassVar[type[BaseModel]] = VehicleLogFields
    proposed_class: ClassVar[str | None] = "030201"
    date_field: ClassVar[str | None] = "trip_date"

    def recognise(self, text: str) -> float:
        return evidence(text, [("行車紀錄", 0.6), ("車號", 0.2), ("里程", 0.2)])

    def extract(self, pages: Sequence[PageText]) -> dict[str, Any]:
        text = full_text(pages)
        return {
            "plate": labelled(text, "車號"),
            "trip_date": first_date(labelled(text, "日期")),
            "odometer_km": parse_amount(labelled(text, "里程")),
        }
'''


def pip(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *args],
                   check=True, capture_output=True, text=True)


@pytest.fixture(scope="module")
def plugin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The plugin package written to a temporary directory and installed into another one."""
    src = tmp_path_factory.mktemp("plugin") / DIST
    src.mkdir()
    (src / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (src / "records_vehicle_log.py").write_text(MODULE, encoding="utf-8")
    target = src.parent / "site"
    pip("install", "--no-deps", "--no-build-isolation", "--target", str(target), str(src))
    return target


def records(home: Path, site: Path, *args: str) -> Any:
    """Run the installed ``records`` command in a new process, ``site`` on its path."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("RECORDS_DATABASE_URL", "RECORDS_SEARCH_URL", "RECORDS_TOKEN")}
    env["RECORDS_HOME"] = str(home)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), env.get("PYTHONPATH")]))
    done = subprocess.run([str(RECORDS), *args], env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_plugin_is_listed(plugin: Path, tmp_path: Path) -> None:
    types = {t["name"]: t for t in records(tmp_path / "home", plugin, "types", "--json")}
    log = types["vehicle_log"]
    assert log["labels"]["zh-TW"] == "公務車行車紀錄"
    assert [f["name"] for f in log["fields"]] == ["plate", "trip_date", "odometer_km"]
    assert "records-vehicle-log 0.1.0" in log["source"]
    assert {"official_document", "gift", "repair"} <= set(types)  # built-ins still there


def test_the_plugin_types_an_ingested_page(plugin: Path, tmp_path: Path) -> None:
    scans = tmp_path / "scans"
    scans.mkdir()
    lines = ["公務車行車紀錄", "車號：AB-1234", "日期：113年6月5日", "里程：35,420公里"]
    imagegen.save_png(imagegen.page(lines, size=(1700, 500)), scans / "log.png")
    home = tmp_path / "home"
    summary = records(home, plugin, "ingest", str(scans), "--direct", "--json")
    doc = records(home, plugin, "show", str(summary["document_ids"][0]), "--json")
    assert doc["record_type"] == "vehicle_log"
    fields = doc["fields"]
    assert (fields["plate"], fields["trip_date"], fields["odometer_km"]) == (
        "AB-1234", "2024-06-05", 35420)
    assert fields["proposed_class"] == "030201"
    assert doc["document_date"] == "2024-06-05"
    found = records(home, plugin, "search", "行車", "--type", "vehicle_log", "--field",
                    "plate=AB-1234", "--json")
    assert [h["document_id"] for h in found["hits"]] == [doc["id"]]
