"""OCR fan-out on a Dask cluster: the ingest flow on two worker processes stores the same
pages and text as the default (local threads) run."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

import flows  # noqa: F401  (quiet local Prefect settings, before prefect is imported)
from pipeline.archive import Archive
from pipeline.batch import page_options
from pipeline.db.models import Document
from pipeline.intake import discover
from pipeline.settings import Settings
from tests import imagegen
from tests.conftest import make_settings

pytestmark = pytest.mark.slow

PAGES = [["臺南市政府秘書處函", "主旨：檢送檔案銷毀目錄一份"],
         ["簽於秘書處總務科", "主旨：辦理公務車輛保養"],
         ["Records Management Office", "Annual procurement audit 113"]]


@pytest.fixture(scope="module")
def prefect_api() -> Iterator[None]:
    """A throw-away Prefect API for this module's flow runs."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="module")
def scans(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("scans")
    imagegen.save_png(imagegen.page(PAGES[0], skew=1.5), src / "letter.png")
    imagegen.save_pdf([imagegen.page(PAGES[1]), imagegen.page(PAGES[2])], src / "memo.pdf")
    return src


def ingest(settings: Settings, src: Path) -> dict[str, Any]:
    from flows.ingest import run_ingest

    archive = Archive.open(settings)
    opts = page_options(archive, None, False)
    archive.close()
    return run_ingest(settings, discover([src]), [str(src)], opts, None)


DEADLINE = 600.0


def within(seconds: float, fn: Any, *args: Any) -> Any:
    """``fn(*args)``, or a test failure (not a hang) when it takes longer than ``seconds``."""
    outcome: dict[str, Any] = {}

    def call() -> None:
        try:
            outcome["value"] = fn(*args)
        except BaseException as exc:  # handed to the test thread below
            outcome["error"] = exc

    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        pytest.fail(f"the Dask ingest did not finish within {seconds:.0f} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def pages_by_file(settings: Settings) -> dict[str, list[tuple[int, str, str, int]]]:
    archive = Archive.open(settings, migrate=False)
    try:
        with archive.session() as session:
            return {d.original_name: [(p.number, p.source, p.text, p.rotation) for p in d.pages]
                    for d in session.scalars(select(Document))}
    finally:
        archive.close()


def test_ocr_on_a_two_process_dask_cluster_matches_the_default_run(
    prefect_api: None, scans: Path, tmp_path: Path
) -> None:
    from dask import distributed

    dask: Any = distributed  # untyped library
    local = make_settings(tmp_path / "local")
    assert ingest(local, scans)["pages"] == 3
    with dask.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                           dashboard_address=None) as cluster, dask.Client(cluster) as client:
        client.wait_for_workers(2, timeout=120)
        remote = make_settings(tmp_path / "dask", dask_address=cluster.scheduler_address)
        summary = within(DEADLINE, ingest, remote, scans)
        ran = {name: dict(prefix.state_counts)
               for name, prefix in cluster.scheduler.task_prefixes.items()}
    assert (summary["documents"], summary["pages"], summary["quarantined"]) == (2, 3, [])
    assert ran["pages_task"]["memory"] == 2  # the OCR tasks ran on the cluster's workers
    expected = pages_by_file(local)
    assert pages_by_file(remote) == expected
    assert "檔案銷毀" in expected["letter.png"][0][2]
    assert [n for n, *_ in expected["memo.pdf"]] == [1, 2]


def test_the_deployable_flow_ingests_a_folder_with_the_workers_settings(
    prefect_api: None, scans: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.deployment import ingest_folder

    home = tmp_path / "worker"
    for name, value in {"RECORDS_HOME": str(home), "RECORDS_DATABASE_URL": "",
                        "RECORDS_SEARCH_URL": "", "RECORDS_WORKERS": "2"}.items():
        monkeypatch.setenv(name, value)
    summary = ingest_folder([str(scans)])
    assert (summary["documents"], summary["pages"]) == (2, 3)
    assert set(pages_by_file(make_settings(home))) == {"letter.png", "memo.pdf"}
