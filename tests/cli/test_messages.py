"""Failures are messages that say what to do, never tracebacks; every command has help."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from coord.cli.main import flowing, main


def test_missing_database_says_to_run_init_and_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("COORD_DB", raising=False)
    assert main(["export"]) == 1
    err = capsys.readouterr().err
    assert "coord init" in err and "Traceback" not in err
    assert not (tmp_path / "coord.db").exists()


def test_default_database_is_coord_db_in_current_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("COORD_DB", raising=False)
    assert main(["init"]) == 0
    assert (tmp_path / "coord.db").exists()


def test_coord_db_environment_variable_selects_the_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COORD_DB", str(tmp_path / "elsewhere.db"))
    assert main(["init"]) == 0
    assert (tmp_path / "elsewhere.db").exists()
    assert not (tmp_path / "coord.db").exists()


def test_missing_import_file_is_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "c.db")
    assert main(["init", "--db", db]) == 0
    capsys.readouterr()
    assert main(["import", "--db", db, str(tmp_path / "nope.jsonl")]) == 1
    err = capsys.readouterr().err
    assert "nope.jsonl" in err and "no such file" in err and "Traceback" not in err


def test_unreachable_postgresql_is_a_message(capsys: pytest.CaptureFixture[str]) -> None:
    url = "postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=2"
    assert main(["init", "--db", url]) == 1
    err = capsys.readouterr().err
    assert err.startswith("coord: database error") and "Traceback" not in err


def test_rejects_needs_skip_invalid(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", "--rejects", "r.jsonl", "x.jsonl"]) == 2
    assert "--skip-invalid" in capsys.readouterr().err


@pytest.mark.parametrize(
    "command", ["init", "import", "export", "verify", "rebuild", "report", "gaps", "demo"]
)
def test_every_command_explains_itself(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([command, "--help"]) == 0
    out = capsys.readouterr().out
    assert "--db" in out and "COORD_DB" in out


def test_help_flows_paragraphs_to_the_terminal_width(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A docstring's line breaks are the source's, not the terminal's: help joins them, so
    a wide terminal shows a sentence on one line and a narrow one wraps it evenly."""
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["import", "--help"]) == 0
    out = capsys.readouterr().out
    assert "If any line is invalid, nothing is written" in out


def test_flowing_keeps_paragraphs() -> None:
    assert flowing("One\n    two.\n\n    Three\n    four.") == "One two.\n\nThree four."


def test_python_dash_m_coord_runs() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "coord", "--help"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0
    assert "import" in done.stdout and "verify" in done.stdout
