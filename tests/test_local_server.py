"""The local Prefect server kept between batches: found again, and gone when idle."""

from __future__ import annotations

import asyncio
import http.server
import socket
import subprocess
import threading
import time
from collections.abc import Iterator

import pytest

from flows import local_server


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _servers(port: int) -> list[str]:
    found = subprocess.run(["pgrep", "-f", f"flows.local_server {port} "], capture_output=True,
                           text=True, check=False)
    return found.stdout.split()


@pytest.fixture
def no_operator_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PREFECT_API_URL", raising=False)


@pytest.mark.slow
@pytest.mark.usefixtures("no_operator_server")
def test_a_second_batch_finds_the_server_and_an_idle_server_ends() -> None:
    port = _free_port()
    url = local_server.ensure(port, idle_minutes=0.1)
    assert url == f"http://127.0.0.1:{port}/api" and local_server.probe(port) is True
    (pid,) = _servers(port)
    assert local_server.ensure(port, idle_minutes=0.1) == url
    assert _servers(port) == [pid]  # found again, not started twice
    deadline = time.monotonic() + 60
    while _servers(port) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _servers(port) == [] and local_server.probe(port) is None


@pytest.fixture
def other_program() -> Iterator[int]:
    """Something else listening on a port: any HTTP server that is not Prefect."""
    server = http.server.HTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield int(server.server_address[1])
    server.shutdown()


@pytest.mark.usefixtures("no_operator_server")
def test_a_port_held_by_another_program_falls_back_to_a_temporary_server(
    other_program: int,
) -> None:
    assert local_server.probe(other_program) is False
    assert local_server.ensure(other_program, idle_minutes=30) is None
    assert _servers(other_program) == []


def test_an_operators_server_or_no_keeping_is_left_to_prefect(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port = _free_port()
    monkeypatch.setenv("PREFECT_API_URL", "http://prefect.example:4200/api")
    assert local_server.ensure(port, idle_minutes=30) is None
    monkeypatch.delenv("PREFECT_API_URL")
    assert local_server.ensure(port, idle_minutes=0) is None
    assert _servers(port) == []


def test_a_server_is_idle_only_without_open_connections() -> None:
    release = asyncio.Event()

    async def app(scope: dict[str, object], receive: object, send: object) -> None:
        await release.wait()  # a request (or websocket) still open

    watch = local_server.IdleWatch(app)

    async def request_then_wait() -> tuple[float, float]:
        task = asyncio.create_task(watch({"type": "http"}, None, None))
        await asyncio.sleep(0.2)
        during = watch.idle_for()
        release.set()
        await task
        await asyncio.sleep(0.2)
        return during, watch.idle_for()

    during, after = asyncio.run(request_then_wait())
    assert during == 0.0 and after >= 0.15
