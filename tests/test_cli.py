"""The ``records`` command as a clerk uses it, through the real Prefect flow."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from cli import app
from pipeline.errors import ExitCode
from pipeline.settings import Settings
from tests import imagegen

runner = CliRunner()


def test_ingest_search_show_status_through_prefect(settings: Settings, tmp_path: Path) -> None:
    src = tmp_path / "scans"
    src.mkdir()
    imagegen.save_png(
        imagegen.page(["臺南市政府秘書處函", "主旨：請協助辦理消防演練"]), src / "a.png"
    )
    (src / "broken.pdf").write_bytes(b"%PDF-1.4\n garbage")
    result = runner.invoke(app, ["ingest", str(src), "--json"])
    assert result.exit_code == ExitCode.completed_with_quarantine, result.output
    summary = json.loads(result.stdout)
    assert (summary["documents"], summary["pages"], summary["duplicates"]) == (1, 1, 0)
    assert summary["quarantined"][0]["path"] == "broken.pdf"
    assert summary["quarantined"][0]["reason"]

    found = json.loads(runner.invoke(app, ["search", "消防演練", "--json"]).stdout)
    assert found["total"] == 1
    hit = found["hits"][0]
    assert set(hit) >= {"document_id", "page", "score", "snippet"} and hit["page"] == 1

    shown = json.loads(runner.invoke(app, ["show", str(hit["document_id"]), "--json"]).stdout)
    assert shown["page_count"] == 1 and "消防演練" in shown["pages"][0]["text"]

    status = json.loads(runner.invoke(app, ["status", "--json"]).stdout)
    assert (status["documents"], status["quarantined_files"]) == (1, 1)

    again = runner.invoke(app, ["ingest", str(src / "a.png"), "--json"])
    assert again.exit_code == 0 and json.loads(again.stdout)["duplicates"] == 1


def test_errors_become_messages_and_documented_codes(settings: Settings) -> None:
    missing = runner.invoke(app, ["ingest", "/no/such/folder"])
    assert missing.exit_code == ExitCode.invalid_config
    assert "no such file or folder" in missing.output
    unknown = runner.invoke(app, ["show", "999"])
    assert unknown.exit_code == ExitCode.not_found
