"""What the numbers were measured on: machine, versions, date, load."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

from bench.common import ROOT, load_average

PACKAGES = ("tainan-records", "prefect", "pikepdf", "pillow", "numpy", "sqlalchemy",
            "opensearch-py", "ocrmypdf", "img2pdf", "fpdf2", "rapidfuzz", "matplotlib", "psutil")


def _first_line(cmd: list[str]) -> str:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "not installed"
    lines = (proc.stdout or proc.stderr).strip().splitlines()
    return lines[0].strip() if lines else "unknown"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return platform.platform()


def _version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _git() -> str:
    head = _first_line(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    status = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain"],
                            capture_output=True, text=True, check=False).stdout
    return f"{head}{' + uncommitted changes' if status.strip() else ''}"


def describe() -> dict[str, Any]:
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": _cpu_model(),
        "cores": os.cpu_count() or 1,
        "physical_cores": psutil.cpu_count(logical=False),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "os": _os_name(),
        "kernel": platform.release(),
        "python": sys.version.split()[0],
        "commit": _git(),
        "tools": {
            "tesseract": _first_line(["tesseract", "--version"]),
            "poppler": _first_line(["pdftoppm", "-v"]),
            "ghostscript": _first_line(["gs", "--version"]),
            "sqlite": sqlite3.sqlite_version,
        },
        "packages": {name: _version(name) for name in PACKAGES},
        "load_average": load_average(),
    }


def opensearch_info(url: str) -> dict[str, Any]:
    """Version and heap of the node the search benchmark used."""
    from opensearchpy import OpenSearch

    client = OpenSearch(hosts=[url], timeout=30)
    try:
        version = client.info()["version"]["number"]
        nodes = client.nodes.stats(metric="jvm")["nodes"]
        heap = max(n["jvm"]["mem"]["heap_max_in_bytes"] for n in nodes.values())
        return {"version": version, "heap_mb": round(heap / 2**20), "nodes": len(nodes)}
    finally:
        client.close()
