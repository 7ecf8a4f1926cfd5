"""``records rules check``: a bad rules file is refused with file, line and field (exit 5),
and checking never touches the archive."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from pipeline.settings import REPO_RULES_DIR

SCHEDULE = REPO_RULES_DIR / "secretariat-v1.yaml"
REVISION = REPO_RULES_DIR / "secretariat-v2.yaml"
runner = CliRunner()


@pytest.fixture
def rules_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A rules directory holding a copy of the schedule; RECORDS_HOME points nowhere yet."""
    folder = tmp_path / "rules"
    folder.mkdir()
    shutil.copy(SCHEDULE, folder / SCHEDULE.name)
    monkeypatch.setenv("RECORDS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("RECORDS_RULES_DIR", str(folder))
    return folder


def _break(path: Path, old: str, new: str) -> int:
    """Replace the first ``old`` by ``new``; returns its 1-based line number."""
    text = path.read_text(encoding="utf-8")
    at = text.index(old)
    path.write_text(text[:at] + new + text[at + len(old):], encoding="utf-8")
    return text.count("\n", 0, at) + 1


def test_the_schedule_in_the_repository_is_valid(rules_copy: Path) -> None:
    result = runner.invoke(app, ["rules", "check", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["ok"] is True and data["in_force"]["schedule_id"] == "tainan-secretariat"
    assert data["in_force"]["leaves"] > 50
    assert runner.invoke(app, ["rules", "check", str(SCHEDULE)]).exit_code == 0
    both = json.loads(runner.invoke(app, ["rules", "check", str(REPO_RULES_DIR), "--json"]).stdout)
    assert [f["version"] for f in both["files"]] == [1, 2]
    assert both["in_force"]["version"] == 2 and both["in_force"]["leaves"] > 100


def test_a_revision_that_shortens_a_term_is_refused(rules_copy: Path) -> None:
    revised = rules_copy / REVISION.name
    shutil.copy(REVISION, revised)
    assert runner.invoke(app, ["rules", "check"]).exit_code == 0
    text = revised.read_text(encoding="utf-8")
    at = text.index('  - code: "030401"')  # accounting vouchers: 10 years in version 1
    line = text.count("\n", 0, at) + 1
    revised.write_text(text[:at] + text[at:].replace("retention: 10\n", "retention: 5\n", 1),
                       encoding="utf-8")
    result = runner.invoke(app, ["rules", "check", "--json"])
    assert result.exit_code == 5
    data = json.loads(result.stdout)
    assert (data["file"], data["line"], data["field"]) == (str(revised), line, "retention")
    assert "030401" in data["message"] and "shortened to 5" in data["message"]
    # the file alone is a valid schedule: only the directory knows what is already filed
    assert runner.invoke(app, ["rules", "check", str(revised)]).exit_code == 0


def test_an_illegal_term_is_refused_with_file_line_and_field(rules_copy: Path) -> None:
    bad = rules_copy / SCHEDULE.name
    line = _break(bad, "retention: 30\n", "retention: 7\n")
    result = runner.invoke(app, ["rules", "check", str(bad), "--json"])
    assert result.exit_code == 5
    data = json.loads(result.stdout)
    assert (data["ok"], data["file"], data["line"]) == (False, str(bad), line)
    assert data["field"].endswith(".retention") and "7 years" in data["message"]
    plain = runner.invoke(app, ["rules", "check"])  # the configured directory
    assert plain.exit_code == 5
    message = plain.output.replace("\n", "")  # the console wraps long lines
    assert f"{bad.name}:{line}: classes[" in message and "7 years" in message


def test_a_yaml_syntax_error_names_its_line(rules_copy: Path) -> None:
    bad = rules_copy / SCHEDULE.name
    line = _break(bad, "  - code: \"0101\"\n", "  - code: [\"0101\"\n")
    data = json.loads(runner.invoke(app, ["rules", "check", "--json"]).stdout)
    assert data["field"] == "(yaml syntax)" and abs(data["line"] - line) <= 2


def test_a_regex_that_does_not_compile_is_refused(rules_copy: Path) -> None:
    bad = rules_copy / SCHEDULE.name
    line = _break(bad, "regex: ['密等", "regex: ['(密等")
    result = runner.invoke(app, ["rules", "check", "--json"])
    data = json.loads(result.stdout)
    assert result.exit_code == 5 and data["line"] == line and "regex" in data["field"]


def test_two_files_with_the_same_version_are_refused(rules_copy: Path) -> None:
    shutil.copy(SCHEDULE, rules_copy / "copy.yaml")
    result = runner.invoke(app, ["rules", "check", "--json"])
    assert result.exit_code == 5 and json.loads(result.stdout)["field"] == "version"


def test_a_missing_path_is_a_configuration_error(rules_copy: Path) -> None:
    result = runner.invoke(app, ["rules", "check", str(rules_copy / "nope.yaml"), "--json"])
    assert result.exit_code == 5 and json.loads(result.stdout)["ok"] is False


def test_checking_changes_nothing_that_is_stored(rules_copy: Path, tmp_path: Path) -> None:
    _break(rules_copy / SCHEDULE.name, "retention: 30\n", "retention: 7\n")
    assert runner.invoke(app, ["rules", "check"]).exit_code == 5
    assert runner.invoke(app, ["rules", "check", str(SCHEDULE)]).exit_code == 0
    assert not (tmp_path / "home").exists()  # no archive was opened, let alone created
