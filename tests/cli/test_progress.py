"""Progress bars: drawn on a terminal only, one at a time, phase after phase."""

from __future__ import annotations

import io
import sys
from typing import Any

import pytest
from rich.console import Console
from rich.progress import Progress

from coord.cli import progress
from coord.cli.progress import progress_bar, progress_phases


def test_without_a_terminal_no_bar_is_drawn(capsys: pytest.CaptureFixture[str]) -> None:
    with progress_phases() as phase:
        phase("importing", 10, True)(10)
        phase("deriving the read models", 5, False)(5)
    with progress_bar("verifying", 3) as advance:
        advance(3)
    assert capsys.readouterr() == ("", "")


def test_each_phase_ends_the_bar_before_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """One bar is drawn at a time: a phase's bar is stopped (and, being transient,
    erased) before the next phase's starts."""
    out = io.StringIO()
    terminal = Console(file=out, force_terminal=True, width=80)  # the one standard error
    bars: list[Progress] = []

    class Recorded(Progress):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            bars.append(self)

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    monkeypatch.setattr(progress, "Console", lambda **_: terminal)
    monkeypatch.setattr(progress, "Progress", Recorded)
    with progress_phases() as phase:
        phase("importing", 10, True)(10)
        assert [bar.live.is_started for bar in bars] == [True]
        phase("deriving the read models", 5, False)(5)
        assert [bar.live.is_started for bar in bars] == [False, True]
    assert [bar.live.is_started for bar in bars] == [False, False]
    assert "deriving the read models" in out.getvalue()
