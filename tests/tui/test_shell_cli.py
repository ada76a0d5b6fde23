"""``coord tui`` and ``coord demo`` on the command line: who is recording (options, else
the config file), clear messages instead of a traceback, and the UI really starting in
a terminal."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from coord.cli.main import main
from coord.events import Actor
from coord.tui.actor import ConfigError, describe_actor, resolve_actor


def write_config(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_actor_comes_from_options_else_the_config_file(tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "config.toml", '[actor]\nuser = "j.smith"\nrole = "navigator"\nsite = "S04"\n'
    )
    assert resolve_actor(path=config) == Actor(user="j.smith", role="navigator", site="S04")
    assert resolve_actor(site="S09", path=config) == Actor(
        user="j.smith", role="navigator", site="S09"
    )
    assert resolve_actor(path=tmp_path / "absent.toml") == Actor()
    assert describe_actor(Actor(user="j.smith", site="S04")) == "recording as j.smith (S04)"


def test_a_config_file_not_as_documented_is_a_clear_error(tmp_path: Path) -> None:
    bad = write_config(tmp_path / "config.toml", '[actor]\nname = "j.smith"\n')
    with pytest.raises(ConfigError, match=r"unknown key.*name.*use user, role and site"):
        resolve_actor(path=bad)
    broken = write_config(tmp_path / "broken.toml", "[actor\n")
    with pytest.raises(ConfigError, match="cannot read the config file"):
        resolve_actor(path=broken)


def test_tui_names_a_missing_database_and_needs_a_terminal(
    tmp_path: Path, sqlite_sample_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["tui", "--db", str(tmp_path / "none.db")]) == 1
    assert "no coord database at" in capsys.readouterr().err
    assert main(["tui", "--db", sqlite_sample_url]) == 1  # pytest's stdin is no terminal
    assert "needs an interactive terminal" in capsys.readouterr().err
    assert main(["tui", "--db", sqlite_sample_url, "--mode", "boss"]) == 2


def _read_until(fd: int, needle: bytes, seconds: float) -> bytes:
    seen = b""
    deadline = time.monotonic() + seconds
    while needle not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                seen += os.read(fd, 65536)
            except OSError:
                break
    return seen


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_tui_starts_in_a_terminal_shows_the_actor_and_quits_on_ctrl_q(
    sqlite_sample_url: str, tmp_path: Path
) -> None:
    primary, secondary = pty.openpty()
    env = {
        **os.environ,
        "TERM": "xterm-256color",
        "COLUMNS": "120",
        "LINES": "40",
        "XDG_CONFIG_HOME": str(tmp_path),
        "PYTHONPATH": str(Path(__file__).parents[2] / "src"),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "coord", "tui", "--db", sqlite_sample_url, "--user", "sam.t"],
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        env=env,
        close_fds=True,
    )
    os.close(secondary)
    try:
        screen = _read_until(primary, b"Meetings", 30)
        assert b"Meetings" in screen
        assert b"sam.t" in screen
        # ctrl+q, again until the app quits: a key written while the terminal is still in
        # cooked mode is taken by the line discipline (^Q is XON there), not by the app
        deadline = time.monotonic() + 20
        while process.poll() is None and time.monotonic() < deadline:
            os.write(primary, b"\x11")
            _read_until(primary, b"\x00", 0.5)  # drain output so the app never blocks
        assert process.wait(timeout=5) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(primary)
