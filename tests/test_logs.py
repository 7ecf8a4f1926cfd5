"""Logging is set up once at the edges: level from ``--verbose`` or ``RECORDS_LOG_LEVEL``,
JSON lines for the server, Python warnings in the same log."""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from cli import app
from pipeline import logs
from pipeline.errors import ConfigError
from pipeline.settings import Settings

runner = CliRunner()


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """A root logger of our own for the test (earlier tests may have left handlers on
    streams that are closed now, and warnings routed elsewhere)."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    root.handlers[:] = []
    logging.captureWarnings(False)
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.captureWarnings(False)


@pytest.mark.parametrize(("verbose", "env", "expected"), [
    (0, "", logging.WARNING), (1, "", logging.INFO), (2, "", logging.DEBUG),
    (0, "debug", logging.DEBUG), (0, " Error ", logging.ERROR), (1, "error", logging.INFO),
])
def test_verbose_wins_over_the_environment(verbose: int, env: str, expected: int) -> None:
    assert logs.level_from(verbose, env) == expected


def test_an_unknown_level_is_refused() -> None:
    with pytest.raises(ConfigError, match="RECORDS_LOG_LEVEL"):
        logs.level_from(0, "loud")


def test_json_lines_carry_messages_and_warnings(restored_logging: None,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    logs.setup(logging.INFO, json_lines=True)
    logging.getLogger("pipeline.batch").info("掃描檔 %s: stored", "a.png")
    logging.getLogger("pipeline.batch").debug("not at info")
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn("a deprecated option", DeprecationWarning, stacklevel=1)
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [(r["level"], r["logger"]) for r in lines] == [("info", "pipeline.batch"),
                                                          ("warning", "py.warnings")]
    assert lines[0]["message"] == "掃描檔 a.png: stored"
    assert "a deprecated option" in lines[1]["message"]


def test_a_second_setup_replaces_the_first(restored_logging: None) -> None:
    logs.setup(logging.INFO)
    logs.setup(logging.DEBUG)
    ours = [h for h in logging.getLogger().handlers if type(h).__name__ == "_Stderr"]
    assert len(ours) == 1 and logging.getLogger().level == logging.DEBUG


def test_cli_verbose_shows_debug_lines(settings: Settings, restored_logging: None) -> None:
    quiet = runner.invoke(app, ["status", "--json"])
    loud = runner.invoke(app, ["-vv", "status", "--json"])
    assert quiet.exit_code == loud.exit_code == 0
    assert "pipeline.archive" not in quiet.stderr
    assert f"DEBUG pipeline.archive: archive {settings.home}" in loud.stderr


def test_the_setup_survives_prefects_own(restored_logging: None) -> None:
    from prefect.logging.configuration import setup_logging

    import flows  # noqa: F401  (Prefect's quiet local settings, as the CLI has them)

    logs.setup(logging.INFO)
    setup_logging(incremental=False)  # what importing Prefect does
    assert logging.getLogger().level == logging.WARNING
    logs.reinstate()
    root = logging.getLogger()
    assert [type(h).__name__ for h in root.handlers] == ["_Stderr"]
    assert root.level == logging.INFO
