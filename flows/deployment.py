"""A deployable ingest flow for Prefect work pools (see docs/operations.md).

A deployment's parameters must be plain JSON, and its settings must come from
the machine that runs it: ``ingest_folder`` takes folder paths, reads the
``RECORDS_*`` settings of the worker's environment (the edge) and runs the
ingest flow, locally or on the Dask cluster of ``RECORDS_DASK_ADDRESS``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow

from flows.ingest import run_ingest
from pipeline.archive import Archive
from pipeline.batch import page_options
from pipeline.intake import discover, find_manifest, require_exists
from pipeline.manifest import load_manifest
from pipeline.settings import Settings


@flow(name="ingest-folder", log_prints=False)
def ingest_folder(paths: list[str], lang: str | None = None,
                  force_ocr: bool = False) -> dict[str, Any]:
    """Ingest scanner output folders, as ``records ingest PATH...`` does."""
    settings = Settings()
    folders = require_exists([Path(p) for p in paths])
    manifest_path = find_manifest(folders)
    manifest = load_manifest(manifest_path) if manifest_path else None
    archive = Archive.open(settings)
    try:
        opts = page_options(archive, lang, force_ocr)
    finally:
        archive.close()
    return run_ingest(settings, discover(folders), [str(p) for p in folders], opts, manifest)
