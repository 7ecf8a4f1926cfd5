"""Shared fixtures: isolated archives, and the sample batch ingested once per session."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipeline.archive import Archive
from pipeline.batch import page_options, run_direct
from pipeline.intake import discover, find_manifest
from pipeline.manifest import load_manifest
from pipeline.settings import Settings
from tests.services import (  # noqa: F401  (fixtures for OpenSearch and PostgreSQL tests)
    SERVICE_FIXTURES,
    database_url,
    opensearch_url,
    os_alias,
    postgres_url,
    service_lock,
)

# veraPDF after every test batch (a JVM start each) would dominate the suite; the tests of
# archival validation turn it on (tests/test_pdfa.py)
os.environ.setdefault("RECORDS_VALIDATE_ARCHIVAL", "false")
# where they do, the batch waits for the verdict (tests/test_pdfa.py checks the background run)
os.environ.setdefault("RECORDS_VALIDATE_IN_BACKGROUND", "false")
# a new archive files with the starter classifier, a fitted model rebuilt whenever its seeds
# change; the suite's archives file by the rules and the threshold setting, which the tests
# state, and tests/test_starter.py turns the starter on
os.environ.setdefault("RECORDS_STARTER_CLASSIFIER", "false")
# the flows of the suite share one kept Prefect server; it ends soon after the last of them
os.environ.setdefault("RECORDS_PREFECT_IDLE_MINUTES", "5")

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_scans"
#: Pillow's hostile test images, vendored with their licence (tests/data/pillow/README.md)
CORPUS = ROOT / "tests" / "data" / "pillow" / "images"


def _count(truth: Path) -> int:
    return len(json.loads(truth.read_text("utf-8")))


#: documents in sample_scans/: scanned files plus born-digital packages (one document each)
SAMPLE_DOCUMENTS = _count(SAMPLES / "ground_truth.json") + _count(
    SAMPLES / "electronic" / "ground_truth.json")


def make_settings(home: Path, **overrides: Any) -> Settings:
    """Settings for a test archive: embedded unless told, whatever the shell exports."""
    return Settings(
        **{"home": home, "workers": 2, "database_url": "", "search_url": "", **overrides}
    )


@pytest.fixture(autouse=True)
def _services_stay_up(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test that uses a service holds it up against a test that stops it (services.py)."""
    uses = SERVICE_FIXTURES & set(request.fixturenames) or any(
        request.node.get_closest_marker(m) for m in ("opensearch", "postgres"))
    if not uses or request.module.__name__.endswith("test_service_failures"):
        yield
        return
    with service_lock(exclusive=False):
        yield


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings for an empty embedded archive in a temporary RECORDS_HOME."""
    home = tmp_path / "home"
    monkeypatch.setenv("RECORDS_HOME", str(home))
    monkeypatch.delenv("RECORDS_DATABASE_URL", raising=False)
    monkeypatch.delenv("RECORDS_SEARCH_URL", raising=False)
    return make_settings(home)


@pytest.fixture
def archive(settings: Settings) -> Iterator[Archive]:
    arch = Archive.open(settings)
    yield arch
    arch.close()


def ingest_dir(archive: Archive, *paths: Path, force_ocr: bool = False) -> dict[str, Any]:
    """Ingest paths directly (no Prefect) and return the summary dict."""
    manifest_path = find_manifest(paths)
    manifest = load_manifest(manifest_path) if manifest_path else None
    opts = page_options(archive, None, force_ocr)
    summary = run_direct(archive, discover(paths), [str(p) for p in paths], opts, manifest)
    return summary.to_dict()


@pytest.fixture(scope="session")
def sample_home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """RECORDS_HOME with ``sample_scans/`` ingested once per run (read-only for tests).

    The OCR of the batch is the costliest setup of the suite: pytest-xdist workers share
    one copy in the run's common temporary folder; the first to take the lock ingests.
    """
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the folder of this run, common to its workers
    folder, done = root / "samples-shared", root / "samples-shared.json"
    with (root / "samples-shared.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)  # left half-done by a crashed worker
            arch = Archive.open(make_settings(folder / "home"))
            try:
                summary = ingest_dir(arch, SAMPLES)
            finally:
                arch.close()
            done.write_text(json.dumps(summary), encoding="utf-8")
    return folder / "home", json.loads(done.read_text(encoding="utf-8"))


@pytest.fixture
def sample_archive(
    sample_home: tuple[Path, dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Archive]:
    """A private copy of the ingested sample archive, safe to change."""
    home = tmp_path / "home"
    shutil.copytree(sample_home[0], home)
    monkeypatch.setenv("RECORDS_HOME", str(home))
    monkeypatch.delenv("RECORDS_DATABASE_URL", raising=False)
    monkeypatch.delenv("RECORDS_SEARCH_URL", raising=False)
    arch = Archive.open(make_settings(home))
    yield arch
    arch.close()
