"""The OpenSearch backend's own guarantees: alias and template, the outbox when the
node is down, the delivery lock, reindex without a gap, the CLI, credentials."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from cli import app
from pipeline.archive import Archive
from pipeline.db.models import Document, IndexOutbox
from pipeline.errors import ConfigError, ExitCode, StorageError
from pipeline.search import SearchFilters, SearchQuery
from pipeline.search.maintenance import verify
from pipeline.search.opensearch import OpenSearchBackend
from pipeline.search.os_index import SCHEMA_VERSION, credentials, parse_hosts
from pipeline.search.outbox import IndexBusy, IndexDeliveryError
from pipeline.settings import Settings
from tests import imagegen
from tests.conftest import ingest_dir
from tests.services import Doc, backend_archive, load_corpus, refresh

pytestmark = pytest.mark.opensearch


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[Archive]:
    """An OpenSearch-backed archive (on SQLite) with an alias of its own."""
    with backend_archive("opensearch", tmp_path / "home") as arch:
        yield arch


def backend(archive: Archive) -> OpenSearchBackend:
    assert isinstance(archive.search, OpenSearchBackend)
    return archive.search


def hits(archive: Archive, q: str, **filters: Any) -> list[tuple[int, int]]:
    with archive.session() as session:
        result = archive.search.search(session, SearchQuery(q, SearchFilters(**filters)))
    return [(h.document_id, h.page) for h in result.hits]


def outbox_rows(archive: Archive) -> list[IndexOutbox]:
    with archive.session() as session:
        return list(session.scalars(select(IndexOutbox).order_by(IndexOutbox.id)))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def unreachable(archive: Archive, url: str = "") -> Archive:
    """The same database with its index at ``url`` (default: a port nobody listens on)."""
    settings = archive.settings.model_copy(
        update={"search_url": url or f"http://127.0.0.1:{free_port()}", "search_timeout": 2.0})
    return Archive.open(settings, migrate=False)


# -- index layout -----------------------------------------------------------------------------


def test_pages_live_in_a_timestamped_index_behind_the_alias(archive: Archive) -> None:
    load_corpus(archive)
    os_ = backend(archive)
    [index] = os_.admin.current()
    assert index.startswith(f"{os_.alias}-2")
    assert os_.client.indices.exists_index_template(name=f"{os_.alias}-template")
    mapping = os_.client.indices.get_mapping(index=index)[index]["mappings"]
    assert mapping["_meta"]["schema_version"] == SCHEMA_VERSION
    assert set(mapping["properties"]["text"]["fields"]) == {"chars", "english"}
    for field in ("class_code", "division", "status", "confidentiality", "record_type"):
        assert mapping["properties"][field]["type"] == "keyword"
    assert mapping["properties"]["document_date"]["type"] == "date"


def test_chinese_is_analysed_into_bigrams(archive: Archive) -> None:
    load_corpus(archive)
    os_ = backend(archive)
    tokens = os_.client.indices.analyze(
        index=os_.alias, body={"analyzer": "records_cjk", "text": "臺南市政府\n秘書處"})
    assert [t["token"] for t in tokens["tokens"]] == ["臺南", "南市", "市政", "政府", "府秘",
                                                      "秘書", "書處"]


MORE = (Doc("numbers", ("府秘檔字第1130098765號函 臺南市政府 函\n地址 sec@mail.tainan.gov.tw",)),
        Doc("english", ("Annual audits of procurement cases were completed.",)))


def test_single_characters_numbers_in_chinese_and_stems_are_found(archive: Archive) -> None:
    ids = load_corpus(archive, MORE)
    numbers, english = ids["numbers"], ids["english"]
    assert hits(archive, "第1130098765號") == [(numbers, 1)]
    assert hits(archive, "函") == [(numbers, 1)]  # also at the end of a run of characters
    assert hits(archive, "tainan") == [(numbers, 1)]
    assert hits(archive, "audit") == [(english, 1)]  # "audits", through the English stem
    with archive.session() as session:
        [hit] = archive.search.search(session, SearchQuery("audit")).hits
    assert "<mark>audits</mark>" in hit.snippet


def test_a_removed_page_leaves_the_index(archive: Archive) -> None:
    ids = load_corpus(archive, (Doc("two", ("第一頁 alpha", "第二頁 beta")),))
    with archive.session() as session:
        doc = session.get(Document, ids["two"])
        assert doc is not None
        doc.pages.pop()
        doc.page_count = 1
        archive.search.stage_document(session, doc.id)
    refresh(archive)
    assert hits(archive, "beta") == []
    assert verify(archive.search, archive.sessions).in_step


# -- the outbox: OpenSearch down ----------------------------------------------------------


def test_flush_while_the_index_is_down_keeps_the_changes(
    archive: Archive, caplog: pytest.LogCaptureFixture
) -> None:
    down = unreachable(archive)
    with caplog.at_level(logging.WARNING, "pipeline.search.opensearch"):
        ids = load_corpus(down, MORE, visible=False)  # stage + flush: must not raise
    assert "kept in the outbox" in caplog.text
    rows = outbox_rows(archive)
    assert {r.document_id for r in rows} == set(ids.values())
    assert all(r.attempts == 1 and r.last_error for r in rows)
    down.search.flush()  # within the back-off: not even tried
    assert {r.attempts for r in outbox_rows(archive)} == {1}
    with pytest.raises(IndexDeliveryError):
        backend(down).sync()
    down.close()
    assert backend(archive).sync() == len(rows)
    assert outbox_rows(archive) == []
    assert verify(archive.search, archive.sessions).in_step
    assert hits(archive, "audit") == [(ids["english"], 1)]


def test_ingest_succeeds_while_opensearch_is_down(archive: Archive, tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    imagegen.save_png(imagegen.page(["臺南市政府秘書處函", "主旨：檢送檔案銷毀目錄"]),
                      src / "a.png")
    imagegen.save_png(imagegen.page(["簽於秘書處總務科", "主旨：辦理公務車輛保養"]),
                      src / "b.png")
    down = unreachable(archive)
    summary = ingest_dir(down, src)
    down.close()
    assert (summary["documents"], summary["quarantined"]) == (2, [])
    assert {r.document_id for r in outbox_rows(archive)} == set(summary["document_ids"])
    result = CliRunner().invoke(app, ["index", "verify", "--json"], env=cli_env(archive))
    assert result.exit_code == 0, result.output
    assert '"in_step": true' in result.output
    assert outbox_rows(archive) == []
    assert len(hits(archive, "公務車輛")) == 1


class Switch:
    """A TCP forwarder in front of the real node, to stop and start "OpenSearch"."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target, self.port = target, free_port()
        self.conns: list[socket.socket] = []
        self.server: socket.socket | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", self.port))
        server.listen()
        self.server = server
        threading.Thread(target=self._accept, args=(server,), daemon=True).start()

    def stop(self) -> None:
        assert self.server is not None
        self.server.shutdown(socket.SHUT_RDWR)
        self.server.close()
        for conn in self.conns:
            conn.close()
        self.conns.clear()

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pump, args=(a, b), daemon=True).start()


def _pump(src: socket.socket, dst: socket.socket) -> None:
    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass  # the switch was turned off: the connection is gone, as when a node dies
    finally:
        dst.close()


LINES = [["臺南市政府秘書處函", f"主旨：第{n}批檔案銷毀目錄"] for n in range(1, 6)]


def test_opensearch_stopped_during_an_ingest_and_started_again_ends_in_step(
    archive: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for n, lines in enumerate(LINES):
        imagegen.save_png(imagegen.page(lines), src / f"{n}.png")
    host, port = archive.settings.search_url.removeprefix("http://").split(":")
    switch = Switch((host, int(port)))
    switch.start()
    proxied = unreachable(archive, switch.url)
    os_ = backend(proxied)
    os_.retry_backoff = 0.0
    flushes: list[int] = []
    real_flush = os_.flush

    def flush() -> None:  # the node dies after the 2nd document, returns before the 5th
        flushes.append(len(outbox_rows(archive)))
        if len(flushes) == 2:
            switch.stop()
        if len(flushes) == 5:
            switch.start()
        real_flush()

    monkeypatch.setattr(os_, "flush", flush)
    summary = ingest_dir(proxied, src)
    proxied.close()
    assert summary["documents"] == 5 and summary["quarantined"] == []
    assert max(flushes) >= 2  # changes did wait in the outbox meanwhile
    assert outbox_rows(archive) == []  # the last flush delivered them all
    report = verify(archive.search, archive.sessions, sync=False)
    assert report.in_step and report.database_documents == 5
    switch.stop()


# -- lock, reindex, CLI -------------------------------------------------------------------


def test_one_delivery_at_a_time(archive: Archive) -> None:
    os_ = backend(archive)
    lock = os_._bound()[1]
    with lock.hold(1.0):
        other = unreachable(archive, archive.settings.search_url)
        with pytest.raises(IndexBusy):
            backend(other).sync(lock_wait=0.2)
        backend(other).lock_wait = 0.2
        load_corpus(other, MORE, visible=False)  # its flush is deferred, not failed
        assert {r.attempts for r in outbox_rows(archive)} == {0}
        other.close()
    assert os_.sync() == 2


def test_reindex_swaps_the_alias_without_a_moment_without_search(archive: Archive) -> None:
    ids = load_corpus(archive)
    os_ = backend(archive)
    expected = hits(archive, "秘書處")
    seen: list[list[tuple[int, int]]] = []
    stop = threading.Event()

    def searcher() -> None:
        while not stop.is_set():
            seen.append(hits(archive, "秘書處"))

    thread = threading.Thread(target=searcher)
    thread.start()
    indices = []
    for _ in range(3):
        report = os_.rebuild()
        indices.append(report.index)
        assert report.documents == len(ids) and report.replaced
    stop.set()
    thread.join()
    assert len(seen) > 3 and all(result == expected for result in seen)
    assert os_.admin.current() == [indices[-1]]
    assert os_.admin.leftovers() == []


def cli_env(archive: Archive) -> dict[str, str]:
    s = archive.settings
    return {"RECORDS_HOME": str(s.home), "RECORDS_DATABASE_URL": s.database_url,
            "RECORDS_SEARCH_URL": s.search_url, "RECORDS_SEARCH_INDEX": s.search_index}


def test_cli_verify_reports_drift_with_exit_code_and_reindex_repairs(archive: Archive) -> None:
    ids = load_corpus(archive)
    runner, env = CliRunner(), cli_env(archive)
    backend(archive).client.delete(index=archive.settings.search_index, id=f"{ids['memo']}-1",
                                   params={"refresh": "true"})
    drift = runner.invoke(app, ["index", "verify", "--json"], env=env)
    assert drift.exit_code == ExitCode.integrity_failure
    assert f'"missing": [\n    {ids["memo"]}\n  ]' in drift.output
    reindex = runner.invoke(app, ["reindex", "--json"], env=env)
    assert reindex.exit_code == 0, reindex.output
    assert runner.invoke(app, ["index", "verify"], env=env).exit_code == 0
    assert runner.invoke(app, ["index", "sync", "--json"], env=env).exit_code == 0


def test_cli_reports_an_unreachable_index_as_a_storage_error(archive: Archive) -> None:
    load_corpus(archive)
    env = {**cli_env(archive), "RECORDS_SEARCH_URL": f"http://127.0.0.1:{free_port()}",
           "RECORDS_SEARCH_TIMEOUT": "2"}
    for args in (["index", "verify"], ["search", "秘書處"], ["index", "sync"]):
        assert CliRunner().invoke(app, args, env=env).exit_code == ExitCode.storage_error, args
    down = unreachable(archive)
    with down.session() as session, pytest.raises(StorageError):
        down.search.search(session, SearchQuery("秘書處"))
    down.close()


# -- connection settings ---------------------------------------------------------------------


def test_credentials_come_from_the_url_or_a_password_file(tmp_path: Path) -> None:
    hosts, auth = parse_hosts("https://ops:p%40ss@search-1:9200, https://search-2:9200/")
    assert hosts == ["https://search-1:9200", "https://search-2:9200/"]
    assert auth == ("ops", "p@ss")
    secret = tmp_path / "password"
    secret.write_text("from-the-file\n")
    settings = Settings(home=tmp_path, search_url="https://search-1:9200",
                        search_username="records", search_password_file=secret)
    assert credentials(settings, auth) == ("records", "from-the-file")
    assert credentials(Settings(home=tmp_path), None) is None
    with pytest.raises(ConfigError, match="no OpenSearch password"):
        credentials(Settings(home=tmp_path, search_username="records"), None)
    with pytest.raises(ConfigError, match="no such file"):
        credentials(Settings(home=tmp_path, search_username="x",
                             search_password_file=tmp_path / "missing"), None)
    with pytest.raises(ConfigError, match="not an http"):
        parse_hosts("search-1:9200")


def test_a_password_never_reaches_the_host_list(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    settings = Settings(home=tmp_path, search_url="https://ops:secret@search-1:9200",
                        search_ca_certs=ca)
    client = OpenSearchBackend.from_settings(settings).client
    assert "secret" not in repr(client.transport.hosts)
    assert client.transport.kwargs["http_auth"] == ("ops", "secret")
    with pytest.raises(ConfigError, match="RECORDS_SEARCH_CA_CERTS"):
        OpenSearchBackend.from_settings(settings.model_copy(
            update={"search_ca_certs": tmp_path / "none.pem"}))


def test_a_lost_index_is_never_recreated_by_a_write_to_the_alias(archive: Archive) -> None:
    ids = load_corpus(archive)
    os_ = backend(archive)
    os_.retry_backoff = 0.0
    os_.admin.delete(os_.admin.current())  # someone deleted the index
    with archive.session() as session:
        archive.search.stage_document(session, ids["memo"])
    archive.search.flush()  # fails (no alias), keeps the row
    assert not os_.client.indices.exists(index=os_.alias)
    assert len(outbox_rows(archive)) == 1
    archive.search.flush()  # recreates index and alias from the template, delivers
    refresh(archive)
    drift = verify(archive.search, archive.sessions)
    assert drift.indexed_documents == 1 and len(drift.missing) == len(ids) - 1
    os_.rebuild()
    assert verify(archive.search, archive.sessions).in_step
