"""Fixtures for the real services: an OpenSearch node and a PostgreSQL server.

The tests take the servers from ``RECORDS_TEST_OPENSEARCH_URL`` and
``RECORDS_TEST_POSTGRES_URL`` (``scripts/dev-services up`` prints both;
``scripts/test`` starts the services and sets them). When a variable is not
set, the tests that need it are skipped with a hint; when it is set but the
server does not answer, they fail: CI always sets them, so a dead service is
an error there, never a silent skip.

Every test gets its own index alias (``records-test-<random>``) and its own
PostgreSQL schema, both removed afterwards, so runs can overlap (pytest-xdist).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
import uuid
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from opensearchpy import OpenSearch
from opensearchpy.exceptions import OpenSearchException
from sqlalchemy import create_engine, make_url, text, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from pipeline.archive import Archive
from pipeline.db.models import Document, Page, StoredFile
from pipeline.settings import Settings

OPENSEARCH_ENV = "RECORDS_TEST_OPENSEARCH_URL"
POSTGRES_ENV = "RECORDS_TEST_POSTGRES_URL"
HINT = 'start the services with `eval "$(scripts/dev-services up)"` (or run scripts/test)'


#: fixtures that reach a service
SERVICE_FIXTURES = frozenset({"opensearch_url", "os_alias", "postgres_url", "database_url"})


@contextmanager
def service_lock(exclusive: bool) -> Iterator[None]:
    """Held shared by each test that uses OpenSearch or PostgreSQL, exclusively while a test
    stops one for real (``test_service_failures`` under CI), so that no test of another
    xdist worker finds the service down. One lock file per test run."""
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID", f"pid{os.getpid()}")
    path = Path(tempfile.gettempdir()) / f"records-test-services-{run}.lock"
    with path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _configured(variable: str) -> str:
    url = os.environ.get(variable, "")
    if not url:
        pytest.skip(f"{variable} is not set: {HINT}")
    return url


@cache
def _opensearch_problem(url: str) -> str:
    try:
        health = OpenSearch(hosts=[url], timeout=10, max_retries=1).cluster.health()
    except OpenSearchException as exc:
        return f"{type(exc).__name__}: {exc}"
    return "" if health.get("status") in ("green", "yellow") else f"cluster is {health}"


@cache
def _postgres_problem(url: str) -> str:
    engine = create_engine(url, connect_args={"connect_timeout": 10})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        return f"{type(exc).__name__}: {exc}"
    finally:
        engine.dispose()
    return ""


def opensearch_server() -> str:
    """The test node's URL; skip when unset, fail when set but down."""
    url = _configured(OPENSEARCH_ENV)
    if problem := _opensearch_problem(url):
        pytest.fail(f"{OPENSEARCH_ENV}={url} does not answer: {problem}", pytrace=False)
    return url


def postgres_server() -> str:
    """The test database's URL; skip when unset, fail when set but down."""
    url = _configured(POSTGRES_ENV)
    if problem := _postgres_problem(url):
        safe = make_url(url).render_as_string(hide_password=True)
        pytest.fail(f"{POSTGRES_ENV}={safe} does not answer: {problem}", pytrace=False)
    return url


def drop_alias_indices(url: str, alias: str) -> None:
    client = OpenSearch(hosts=[url], timeout=30)
    client.indices.delete(index=f"{alias}-*", params={"ignore_unavailable": "true"})
    client.indices.delete_index_template(name=f"{alias}-template", ignore=[404])
    client.close()


@pytest.fixture
def opensearch_url() -> str:
    return opensearch_server()


@contextmanager
def fresh_alias(url: str) -> Iterator[str]:
    """An index alias of its own; its indices and template are dropped afterwards."""
    alias = f"records-test-{uuid.uuid4().hex[:12]}"
    try:
        yield alias
    finally:
        drop_alias_indices(url, alias)


@pytest.fixture
def os_alias(opensearch_url: str) -> Iterator[str]:
    with fresh_alias(opensearch_url) as alias:
        yield alias


def schema_url(url: str, schema: str) -> str:
    """``url`` with every connection's search_path set to ``schema``."""
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options={quote(f'-csearch_path={schema}')}"


@contextmanager
def fresh_schema(server: str) -> Iterator[str]:
    """A URL whose connections use a new, empty schema (dropped afterwards)."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield schema_url(server, schema)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with fresh_schema(postgres_server()) as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """Each database-facing test once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'records.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


# -- a small corpus with known text, for the search contract and the store migration ---------

@dataclass(frozen=True)
class Doc:
    """A document of the test corpus: metadata and the text of each page."""

    key: str
    pages: tuple[str, ...]
    division: str | None = "總務科"
    class_code: str | None = "A01"
    status: str = "archived"
    record_type: str | None = "函"
    confidentiality: str = "internal"
    document_date: date | None = None
    title: str | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)


FILLER = "本案依規定辦理並陳核。"
CORPUS: tuple[Doc, ...] = (
    Doc("letter", ("臺南市政府秘書處函 主旨：檢送檔案銷毀目錄一份，請查照。" + FILLER,
                   "秘書處 Records Management Office annual report on procurement audits."),
        division="檔案科", class_code="A01", record_type="函", document_date=date(2024, 5, 20),
        title="檢送檔案銷毀目錄",
        fields={"doc_number": "府秘檔字第1130098765號", "volumes": 86, "urgent": True}),
    Doc("memo", ("簽於秘書處總務科 主旨：辦理公務車輛保養事宜。" + FILLER * 2,),
        division="總務科", class_code="B02", status="classified", record_type="簽",
        document_date=date(2023, 4, 14), fields={"volumes": 12, "urgent": False}),
    Doc("garage", ("秘書處車輛保養紀錄：第一次保養、第二次保養均已完成。" + FILLER,),
        division="總務科", class_code="B02", record_type="紀錄", document_date=date(2024, 1, 10)),
    Doc("gift", ("秘書處專務科 禮品採購案 機密 Tainan SECRETWORD 說明" + FILLER,),
        division="專務科", class_code="C03", record_type="簽", confidentiality="confidential",
        document_date=date(2024, 3, 1)),
    Doc("budget", ("秘書處公告 The Tainan City Government publishes the Annual Budget Report.",),
        division="檔案科", class_code="C03", status="classified", record_type="公告",
        confidentiality="public", document_date=date(2022, 12, 31)),
    Doc("wrapped", ("秘書處 公文之臺南市政\n府收文 ＡＢＣ１１３年度",),
        division="研考科", class_code="A01", record_type="函", document_date=None),
    Doc("doomed", ("秘書處 即將銷毀之檔案 DISPOSEME 測試",),
        division="總務科", class_code="A01", record_type="函", document_date=date(2020, 7, 7)),
)


def add_document(session: Session, doc: Doc, n: int) -> int:
    """Insert a document, its file row and pages through the ORM; returns its id."""
    sha = hashlib.sha256(f"{doc.key}-{n}".encode()).hexdigest()
    blob = StoredFile(sha256=sha, kind="original", size=len(doc.pages), media_type="image/png",
                      store_path=f"original/{sha}")
    session.add(blob)
    session.flush()
    row = Document(
        sha256=sha, original_file_id=blob.id, original_name=f"{doc.key}.png",
        media_type="image/png", page_count=len(doc.pages), lang="chi_tra+eng",
        title=doc.title, class_code=doc.class_code,
        record_type=doc.record_type, confidentiality=doc.confidentiality,
        division=doc.division, document_date=doc.document_date, fields=dict(doc.fields),
        pages=[Page(number=i, text=t, source="ocr", confidence=90.0, width=100, height=100,
                    dpi=300, words=[]) for i, t in enumerate(doc.pages, start=1)],
    )
    session.add(row)
    session.flush()
    set_status(session, row.id, doc.status)
    return row.id


def set_status(session: Session, document_id: int, status: str) -> None:
    """Write a lifecycle state directly (the ORM only lets ``pipeline.lifecycle`` do it)."""
    session.execute(update(Document).where(Document.id == document_id).values(status=status))
    session.expire_all()


def load_corpus(archive: Archive, docs: tuple[Doc, ...] = CORPUS,
                visible: bool = True) -> dict[str, int]:
    """Insert and index the corpus the way ingest does: stage in the transaction, flush after.

    ``visible``: also refresh a remote index, so that searches see the corpus at once.
    """
    with archive.session() as session:
        ids = {doc.key: add_document(session, doc, n) for n, doc in enumerate(docs)}
        for doc_id in ids.values():
            archive.search.stage_document(session, doc_id)
    archive.search.flush()
    if visible:
        refresh(archive)
    return ids


def refresh(archive: Archive) -> None:
    """Make delivered changes visible (a remote index refreshes about once a second)."""
    archive.search.flush()
    refresh_index = getattr(archive.search, "refresh", None)
    if refresh_index is not None:
        refresh_index()


BACKENDS = [
    pytest.param("embedded", id="embedded"),
    pytest.param("opensearch", id="opensearch", marks=pytest.mark.opensearch),
    pytest.param("opensearch-postgres", id="opensearch-postgres",
                 marks=[pytest.mark.opensearch, pytest.mark.postgres]),
]


@contextmanager
def backend_archive(kind: str, home: Path, **overrides: Any) -> Iterator[Archive]:
    """An empty archive on ``kind``: embedded (SQLite FTS5), OpenSearch on SQLite or on
    PostgreSQL. Its index alias and schema are its own and removed afterwards."""
    with ExitStack() as stack:
        if kind.startswith("opensearch"):
            url = opensearch_server()
            overrides.update(search_url=url, search_index=stack.enter_context(fresh_alias(url)))
        if kind.endswith("postgres"):
            overrides["database_url"] = stack.enter_context(fresh_schema(postgres_server()))
        settings = Settings(**{"home": home, "workers": 2, "database_url": "", "search_url": "",
                               **overrides})
        archive = Archive.open(settings)
        stack.callback(archive.close)
        yield archive
