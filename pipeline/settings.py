"""Settings, read once at the edge (CLI, flow entry) and passed down.

Every setting can be given as an environment variable ``RECORDS_<NAME>``;
``docs/settings.md`` lists them. Steps never read the environment themselves.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_RULES_DIR = Path(__file__).resolve().parent.parent / "retention_rules"
REPO_VERAPDF_DIR = Path(__file__).resolve().parent.parent / "tools" / "verapdf" / "target"


def _default_home() -> Path:
    return platformdirs.user_data_path("tainan-records")


class Settings(BaseSettings):
    """All runtime settings of the records system."""

    model_config = SettingsConfigDict(env_prefix="RECORDS_", extra="ignore")

    home: Path = Field(default_factory=_default_home)
    database_url: str = ""
    #: empty: the embedded index in the database; http(s)://...: OpenSearch
    search_url: str = ""
    search_index: str = "records-pages"
    #: OpenSearch user (the password comes from ``search_password_file`` or the URL)
    search_username: str = ""
    #: a file holding only the OpenSearch password (a secret mount, never the config)
    search_password_file: Path | None = None
    #: PEM bundle of the CA that signed the OpenSearch nodes' certificates
    search_ca_certs: Path | None = None
    search_verify_certs: bool = True
    #: seconds before an OpenSearch request gives up
    search_timeout: float = Field(default=30.0, gt=0)
    #: after delivering changes: "false" (visible within ~1 s), "wait_for" or "true"
    search_refresh: Literal["false", "true", "wait_for"] = "false"
    #: shards and replicas of a new OpenSearch index (replicas: 0 on a single node)
    search_shards: int = Field(default=1, ge=1)
    search_replicas: int = Field(default=1, ge=0)
    rules_dir: Path = REPO_RULES_DIR
    lang: str = "chi_tra+eng"
    dpi: int = Field(default=300, ge=72, le=1200)
    max_image_pixels: int = Field(default=150_000_000, ge=1)
    ocr_timeout: float = Field(default=300.0, gt=0)
    raster_timeout: float = Field(default=180.0, gt=0)
    workers: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1)
    #: pages handled by one task; bounds memory and spreads long PDFs over cores
    pages_per_task: int = Field(default=4, ge=1)
    #: a PDF page with at least this many text-layer characters is not OCR'd
    text_layer_min_chars: int = Field(default=20, ge=1)
    dask_address: str = ""
    #: the local Prefect server kept between batches (flows/local_server.py)
    prefect_port: int = Field(default=4290, ge=1, le=65535)
    #: minutes it stays up without a request; 0: a temporary server per batch
    prefect_idle_minutes: float = Field(default=30.0, ge=0)
    #: a classification below this confidence goes to the review queue (needs_review)
    review_threshold: float = Field(default=0.6, ge=0.0, le=1.0)
    #: until the archive has a model of its own, classify with the one trained on real
    #: texts that ships with the code (pipeline/starter.py); false: by the rules alone
    starter_classifier: bool = True
    #: validate archival copies with veraPDF after each batch (docs/preservation.md)
    validate_archival: bool = True
    #: ... in a process of its own that the batch does not wait for (false: the batch waits)
    validate_in_background: bool = True
    #: the built veraPDF entry point (scripts/setup builds it here)
    verapdf_dir: Path = REPO_VERAPDF_DIR
    #: seconds one veraPDF run (a whole batch of files) may take
    verapdf_timeout: float = Field(default=1800.0, gt=0)

    @model_validator(mode="after")
    def _derive(self) -> Settings:
        self.home = self.home.expanduser()
        if not self.database_url:
            self.database_url = f"sqlite:///{self.home / 'records.db'}"
        return self

    @property
    def store_dir(self) -> Path:
        return self.home / "store"

    @property
    def work_dir(self) -> Path:
        return self.home / "work"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
