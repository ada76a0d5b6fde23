"""`coord demo`: loads the fictional network once, then reuses it; prints the headline
figures (completeness by site, transfer turnaround, handovers, day-38 rate)."""

from __future__ import annotations

from pathlib import Path

import pytest

from coord.cli.main import main

SMALL = ["--months", "2", "--scale", "0.2", "--no-tui"]


def test_demo_loads_once_then_reuses_and_prints_headline_figures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COORD_DEMO_DB", str(tmp_path / "place" / "demo.db"))
    monkeypatch.delenv("COORD_DB", raising=False)
    assert main(["demo", *SMALL]) == 0
    out, err = capsys.readouterr()
    assert (tmp_path / "place" / "demo.db").exists()
    assert "loaded" in err
    for heading in (
        "Information at SMDT discussions by presenting site",
        "Transfers of images and reports by method",
        "Handovers:",
        "by day 38",
    ):
        assert heading in out
    assert "S01" in out and "total" in out and "iep" in out

    assert main(["demo", *SMALL]) == 0
    again, err = capsys.readouterr()
    assert "reusing the demo database" in err
    assert again == out

    assert main(["demo", "--fresh", *SMALL, "--seed", "2"]) == 0
    fresh, err = capsys.readouterr()
    assert "loaded" in err and fresh != out


def test_demo_default_place_is_under_xdg_data_home(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COORD_DEMO_DB", raising=False)
    monkeypatch.delenv("COORD_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert main(["demo", "--months", "1", "--scale", "0.1", "--no-tui"]) == 0
    assert (tmp_path / "data" / "coord" / "demo.db").exists()
