"""A local Prefect API server kept running between batches (the embedded default).

Prefect's temporary server, started afresh for each batch, cost 10-13 s of wall time
and 11-17 s of CPU per ``records ingest`` on a 2-core machine (importing the server
app, migrating its database), more than the OCR of a 12-page batch. The first batch
starts this server instead, in its own session; later batches find it on
``127.0.0.1:prefect_port`` and reach their first task about 0.2 s after importing
Prefect. It ends by itself after ``prefect_idle_minutes`` without a request or open
connection. It holds only orchestration state (flow and task runs), never records, so
one server serves every ``RECORDS_HOME`` of the user. An operator's own server
(``PREFECT_API_URL``) is always used as it is.

Run as ``python -m flows.local_server PORT IDLE_SECONDS`` by :func:`ensure`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

import httpx

log = logging.getLogger(__name__)

#: per-user folder of the server's database and log (orchestration state only)
SERVER_HOME = Path(tempfile.gettempdir()) / f"tainan-records-prefect-{os.getuid()}"
#: services for schedules, deployments, workers and automations, which batches never use;
#: running, they kept an idle server at about 7% of a core
IDLE_SERVICES = ("SCHEDULER", "LATE_RUNS", "FOREMAN", "PAUSE_EXPIRATIONS", "REPOSSESSOR",
                 "CANCELLATION_CLEANUP", "TRIGGERS", "CLEANUP_RECONCILER")
#: how long a batch waits for a server it started before running without it
START_TIMEOUT = 120.0


def api_url(port: int) -> str:
    return f"http://127.0.0.1:{port}/api"


def probe(port: int) -> bool | None:
    """True: our server answers; False: something else holds the port; None: nobody."""
    try:
        reply = httpx.get(f"{api_url(port)}/admin/version", timeout=1.0)
    except httpx.TransportError:
        return None
    return reply.status_code == 200 and reply.json() == version("prefect")


def ensure(port: int, idle_minutes: float) -> str | None:
    """The API URL of a running local server, starting one if needed.

    None means "leave it to Prefect": a Prefect API is configured already (the
    operator's ``PREFECT_API_URL``, or the flow run this batch runs in, whose subflow
    must report to the same server), kept servers are turned off (``idle_minutes`` 0),
    the port is held by another program, or the server did not come up; Prefect then
    uses the configured API or starts its temporary server.
    """
    if idle_minutes <= 0 or _configured():
        return None
    found = probe(port)
    if found is None:
        _start(port, idle_minutes * 60)
        found = _wait(port)
    if not found:
        log.warning("no local Prefect server on port %d; a temporary one is used", port)
        return None
    return api_url(port)


def _configured() -> bool:
    from prefect.context import FlowRunContext
    from prefect.settings import PREFECT_API_URL

    set_here = os.environ.get("PREFECT_API_URL") or PREFECT_API_URL.value()
    return bool(set_here) or FlowRunContext.get() is not None


def _start(port: int, idle_seconds: float) -> None:
    SERVER_HOME.mkdir(mode=0o700, parents=True, exist_ok=True)
    env = dict(os.environ, PREFECT_HOME=str(SERVER_HOME))
    with open(SERVER_HOME / "server.log", "ab") as out:
        subprocess.Popen(
            [sys.executable, "-m", "flows.local_server", str(port), str(idle_seconds)],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=Path(__file__).resolve().parent.parent,
            start_new_session=True,
        )


def _wait(port: int) -> bool:
    """Wait for the server; another batch may have started it first (then it answers)."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        found = probe(port)
        if found is not None:
            return found
        time.sleep(0.1)
    return False


class IdleWatch:
    """ASGI wrapper that knows when the server last had a request or an open connection."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.active = 0
        self.last = time.monotonic()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)  # type: ignore[no-any-return]
        self.active += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.active -= 1
            self.last = time.monotonic()

    def idle_for(self) -> float:
        return 0.0 if self.active else time.monotonic() - self.last


def serve(port: int, idle_seconds: float) -> None:
    """Run the server until it has been idle for ``idle_seconds``."""
    os.environ.update({"PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1"})
    for service in IDLE_SERVICES:  # each polls the database every few seconds
        os.environ.setdefault(f"PREFECT_SERVER_SERVICES_{service}_ENABLED", "false")
    from flows import _env

    _env.configure()
    import uvicorn
    from prefect.server.api.server import create_app

    watch = IdleWatch(create_app())
    config = uvicorn.Config(watch, host="127.0.0.1", port=port, log_level="error", lifespan="on")
    server = uvicorn.Server(config)

    def stop_when_idle() -> None:
        while not server.should_exit:
            time.sleep(min(5.0, idle_seconds / 4))
            if watch.idle_for() >= idle_seconds:
                server.should_exit = True

    threading.Thread(target=stop_when_idle, daemon=True).start()
    asyncio.run(server.serve())


if __name__ == "__main__":
    serve(int(sys.argv[1]), float(sys.argv[2]))
