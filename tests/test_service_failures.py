"""Services failing: OpenSearch or PostgreSQL stopped in the middle of an ingest, a sweep or
a disposal, then started again.

How a service is "stopped": with ``RECORDS_TEST_STOP_SERVICES=1`` (the default when
``CI=true``) the real server is stopped and started with ``scripts/dev-services down|up``;
otherwise (a developer's machine, where others' tests share the servers) a TCP switch in
front of the real server drops every connection and refuses new ones, which is what a
client sees of a stopped server. Either way the service is up again when a test ends.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, nullcontext, suppress
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.pool import NullPool

from pipeline import destruction, disposal
from pipeline.archive import Archive
from pipeline.audit import audited_session
from pipeline.auth import Actor, Perm, get_user, system_actor, user_actor
from pipeline.db.models import DestructionCertificate, DisposalItem, Document, IndexOutbox, Page
from pipeline.errors import ExitCode, StorageError
from pipeline.retention.schedule import load_rules_dir
from pipeline.search.maintenance import verify
from pipeline.settings import Settings
from pipeline.sweep import sweep
from tests import imagegen
from tests.archive_checks import check_archive
from tests.conftest import ROOT
from tests.lifecycle_support import (
    AUTHORITY_REF,
    RULES,
    fast_hashing,
    file_doc,
    list_and_approve,
    make_doc,
    make_staff,
)
from tests.services import (
    fresh_alias,
    opensearch_server,
    postgres_server,
    schema_url,
    service_lock,
)

__all__ = ["fast_hashing"]
#: the 監銷人員 of an execution, with their units
SUPERVISORS = ["政風室 王監銷"]
DEV_SERVICES = ROOT / "scripts" / "dev-services"
RECORDS = str(ROOT / ".venv" / "bin" / "records")
REAL_STOP = (
    os.environ.get("RECORDS_TEST_STOP_SERVICES", "1" if os.environ.get("CI") == "true" else "0")
    == "1"
)


class Switch(Protocol):
    url: str

    def stop(self) -> None: ...
    def start(self) -> None: ...


class DevService:
    """The real server, stopped and started through scripts/dev-services."""

    def __init__(self, name: str, url: str) -> None:
        self.name, self.url = name, url

    def _run(self, action: str) -> None:
        subprocess.run(
            [str(DEV_SERVICES), action, self.name],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=300,
        )

    def stop(self) -> None:
        self._run("down")

    def start(self) -> None:
        self._run("up")


class TcpSwitch:
    """A TCP forwarder in front of a real server; ``stop`` drops every connection."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.target = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.port = _free_port()
        netloc = parts.netloc.replace(f"{parts.hostname}:{parts.port}", f"127.0.0.1:{self.port}")
        self.url = urlunsplit(parts._replace(netloc=netloc))
        self.conns: list[socket.socket] = []
        self.server: socket.socket | None = None
        self.lock = threading.Lock()

    def start(self) -> None:
        if self.server is not None:
            return
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", self.port))
        server.listen(64)
        self.server = server
        threading.Thread(target=self._accept, args=(server,), daemon=True).start()

    def stop(self) -> None:
        if self.server is None:
            return
        _close(self.server)  # shutdown wakes the accepting thread; close alone would not
        self.server = None
        with self.lock:
            for conn in self.conns:
                _close(conn)
            self.conns.clear()

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                client, _ = server.accept()
                upstream = socket.create_connection(self.target)
            except OSError:
                return
            with self.lock:
                self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pump, args=(a, b), daemon=True).start()


def _close(conn: socket.socket) -> None:
    with suppress(OSError):
        conn.shutdown(socket.SHUT_RDWR)
    conn.close()


def _pump(src: socket.socket, dst: socket.socket) -> None:
    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
    finally:
        _close(dst)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def switch_for(name: str, url: str) -> Iterator[Switch]:
    """A switch for one service; whatever happens, the service is up again afterwards."""
    switch: Switch = DevService(name, url) if REAL_STOP else TcpSwitch(url)
    # a real stop waits until no other worker's test uses a service, and holds them off
    with service_lock(exclusive=True) if REAL_STOP else nullcontext():
        switch.start()
        try:
            yield switch
        finally:
            switch.start()
            if isinstance(switch, TcpSwitch):
                switch.stop()  # the proxy goes; the real server was never touched


@contextmanager
def fresh_schema(server: str) -> Iterator[str]:
    """A URL on a new, empty schema, dropped afterwards. No pooled admin connection: a
    connection opened before the server restarted would be dead by the time of the drop."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, poolclass=NullPool)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield schema_url(server, schema)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def lifecycle_archive(
    home: Path, database: str = "", search: str = "", alias: str = ""
) -> Iterator[Archive]:
    settings = Settings(
        home=home,
        workers=2,
        rules_dir=RULES,
        database_url=database,
        search_url=search,
        search_index=alias or "records-pages",
        search_timeout=5.0,
        search_replicas=0,
    )
    archive = Archive.open(settings)
    try:
        yield archive
    finally:
        archive.close()


def _officer(archive: Archive, name: str) -> Actor:
    with archive.session() as s:
        return user_actor(get_user(s, name))


def _queue_and_approve(archive: Archive, doc_id: int) -> int:
    """File, sweep today, put on a destruction list the authority approved, confirm by two
    officers; returns the destruction-list item."""
    schedule = load_rules_dir(RULES)
    officer = _officer(archive, "officer1")
    file_doc(archive, officer, schedule, doc_id, "0101")
    with audited_session(archive) as s:
        report = sweep(s, system_actor("t", Perm.sweep), schedule)
    item = next(m.disposal_item for m in report.queued_for_disposal if doc_id in m.documents)
    assert item is not None
    list_and_approve(archive, officer, schedule, [item])
    for name in ("officer1", "officer2"):
        with audited_session(archive) as s:
            disposal.approve(s, _officer(archive, name), schedule, item, "retention over",
                             AUTHORITY_REF)
    return item


def _outbox(archive: Archive) -> int:
    with archive.session() as s:
        return int(s.scalar(select(func.count(IndexOutbox.id))) or 0)


def _write_scans(folder: Path, count: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        lines = [f"秘書處 服務中斷測試 第{i}號", f"outage test {i}"]
        imagegen.save_png(imagegen.page(lines, size=(900, 260)), folder / f"s{i}.png")
    return folder


# -- OpenSearch -------------------------------------------------------------------------------


@pytest.mark.opensearch
def test_opensearch_down_during_ingest_sweep_and_disposal_then_catch_up(
    tmp_path: Path, fast_hashing: None
) -> None:
    server = opensearch_server()
    with ExitStack() as stack:
        alias = stack.enter_context(fresh_alias(server))
        switch = stack.enter_context(switch_for("opensearch", server))
        archive = stack.enter_context(lifecycle_archive(tmp_path / "home", "", switch.url, alias))
        make_staff(archive)
        keep, doomed = make_doc(archive, text="保留 稽催紀錄"), make_doc(archive, text="銷毀 稽催")
        archive.search.flush()
        switch.stop()
        _while_the_index_is_down(archive, tmp_path, doomed)
        assert _outbox(archive) > 0  # everything waits, nothing is lost
        switch.start()
        _wait_for_opensearch(server)
        report = verify(archive.search, archive.sessions)  # delivers the outbox, compares
        assert report.in_step and report.pending == 0, report.summary()
        assert _outbox(archive) == 0
        with archive.session() as s:
            live = set(s.scalars(select(Document.id).where(Document.status != "disposed")))
        assert keep in live and doomed not in live and report.database_documents == len(live)


def _while_the_index_is_down(archive: Archive, tmp_path: Path, doomed: int) -> None:
    from tests.conftest import ingest_dir

    summary = ingest_dir(archive, _write_scans(tmp_path / "in", 2))
    assert summary["documents"] == 2 and summary["quarantined"] == []
    item = _queue_and_approve(archive, doomed)  # a sweep and two approvals
    result = destruction.execute(
        archive, _officer(archive, "officer1"), load_rules_dir(RULES), item, SUPERVISORS
    )
    assert result.documents == [doomed]


def _wait_for_opensearch(url: str, seconds: float = 120.0) -> None:
    from opensearchpy import OpenSearch

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if OpenSearch(hosts=[url], timeout=5).cluster.health()["status"] in ("green", "yellow"):
                return
        except Exception:  # still starting
            time.sleep(1)
    pytest.fail(f"OpenSearch at {url} did not come back")


# -- PostgreSQL -------------------------------------------------------------------------------


def _count(url: str, table: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
    finally:
        engine.dispose()


def _ingest(home: Path, src: Path, database: str, search: str, alias: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "RECORDS_HOME": str(home),
        "RECORDS_DATABASE_URL": database,
        "RECORDS_SEARCH_URL": search,
        "RECORDS_SEARCH_INDEX": alias,
        "RECORDS_SEARCH_REPLICAS": "0",
        "RECORDS_WORKERS": "2",
        "OMP_THREAD_LIMIT": "1",
    }
    return subprocess.Popen(
        [RECORDS, "ingest", "--direct", "--json", str(src)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_documents(url: str, proc: subprocess.Popen[str], at_least: int) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if _count(url, "documents") >= at_least:
                return
        except Exception:  # the schema is still being created
            pass
        time.sleep(0.2)


#: enough scans that work remains after the first commit, when the server is stopped
SCANS = 8


@pytest.mark.postgres
@pytest.mark.opensearch
def test_postgres_down_during_ingest_is_a_clean_storage_error_and_resumes(tmp_path: Path) -> None:
    search = opensearch_server()
    src = _write_scans(tmp_path / "in", SCANS)
    home = tmp_path / "home"
    with ExitStack() as stack:
        direct = stack.enter_context(fresh_schema(postgres_server()))
        alias = stack.enter_context(fresh_alias(search))
        switch = stack.enter_context(switch_for("postgres", direct))
        proc = _ingest(home, src, switch.url, search, alias)
        _wait_for_documents(direct, proc, 1)
        switch.stop()
        out, err = proc.communicate(timeout=300)
        switch.start()
        assert proc.returncode == ExitCode.storage_error, (out, err[-3000:])
        assert "Traceback" not in err and "database" in err
        _assert_complete_records_only(home, direct, search, alias)
        again = _ingest(home, src, direct, search, alias)
        out, err = again.communicate(timeout=600)
        assert again.returncode == 0, err[-3000:]
        summary = json.loads(out)
        assert summary["documents"] + summary["duplicates"] == SCANS
        with lifecycle_archive(home, direct, search, alias) as archive:
            assert check_archive(archive).documents == SCANS
            assert verify(archive.search, archive.sessions).in_step


def _assert_complete_records_only(home: Path, database: str, search: str, alias: str) -> None:
    with lifecycle_archive(home, database, search, alias) as archive:
        state = check_archive(archive)  # every document whole, every blob whole
        with archive.session() as s:
            assert int(s.scalar(select(func.count(Page.id))) or 0) == state.pages


@pytest.mark.postgres
@pytest.mark.opensearch
def test_a_disposal_cut_off_by_the_database_leaves_the_record_intact_and_queued(
    tmp_path: Path, fast_hashing: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    search = opensearch_server()
    with ExitStack() as stack:
        direct = stack.enter_context(fresh_schema(postgres_server()))
        alias = stack.enter_context(fresh_alias(search))
        switch = stack.enter_context(switch_for("postgres", direct))
        archive = stack.enter_context(
            lifecycle_archive(tmp_path / "home", switch.url, search, alias)
        )
        make_staff(archive)
        doc_id = make_doc(archive, text="銷毀 中斷測試")
        item = _queue_and_approve(archive, doc_id)
        officer = _officer(archive, "officer1")
        _cut_database_after_certificate(monkeypatch, switch)
        with pytest.raises(StorageError):
            destruction.execute(archive, officer, load_rules_dir(RULES), item, SUPERVISORS)
        switch.start()
        monkeypatch.undo()
        _assert_untouched(archive, doc_id, item)
        result = destruction.execute(archive, officer, load_rules_dir(RULES), item, SUPERVISORS)
        assert result.documents == [doc_id]
        with archive.session() as s:
            assert s.scalars(select(DestructionCertificate)).one().item_id == item
        assert check_archive(archive).unreferenced == []


def _cut_database_after_certificate(monkeypatch: pytest.MonkeyPatch, switch: Switch) -> None:
    """The database goes away after the certificate blobs are written, before the commit."""
    store_certificate = destruction._store_certificate

    def cut(*args: Any) -> dict[str, str]:
        paths = store_certificate(*args)
        switch.stop()
        return paths

    monkeypatch.setattr(destruction, "_store_certificate", cut)


def _assert_untouched(archive: Archive, doc_id: int, item_id: int) -> None:
    """Nothing half-executed: the record, its pages and blobs are there, the item approved."""
    with archive.session() as s:
        doc = s.get(Document, doc_id)
        assert doc is not None and doc.status == "approved" and len(doc.pages) == 1
        item = s.get(DisposalItem, item_id)
        assert item is not None and item.status == "approved"
        assert s.scalars(select(DestructionCertificate)).all() == []
    state = check_archive(archive)
    assert state.unreferenced == [], "certificate blobs of the failed attempt were left"
