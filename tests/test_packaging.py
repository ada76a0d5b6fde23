"""A plain, non-editable install finds its migrations: `coord init` works from a wheel.

The top-level ``migrations/`` folder is not in a wheel by default; pyproject ships it
as ``coord/migrations``. This builds the wheel and installs it into a fresh virtual
environment (dependencies come from the environment running the tests, through a
``.pth`` file naming its site-packages, so no network is needed for them), then runs
``coord init`` from an unrelated folder.
"""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def run(*args: str | Path, cwd: Path | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, cwd=cwd, check=False
    )
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_wheel_install_runs_migrations(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", wheels, ROOT)
    [wheel] = wheels.glob("coord-*.whl")
    run(sys.executable, "-m", "zipfile", "-l", wheel)  # readable
    listing = run(sys.executable, "-m", "zipfile", "-l", wheel)
    assert "coord/migrations/env.py" in listing
    assert "coord/migrations/versions/" in listing
    assert "coord/demo/network.toml" in listing

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    run(python, "-m", "pip", "install", "-q", "--no-deps", "--no-index", wheel)
    # the dependencies: this environment's site-packages, after the new one's (whose
    # coord, the wheel's, comes first; a path named in a .pth file is added as it is,
    # without running the .pth files in it, so an editable coord here is not seen)
    own = run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])")
    here = dict.fromkeys(sysconfig.get_paths()[key] for key in ("purelib", "platlib"))
    (Path(own.strip()) / "dependencies.pth").write_text("\n".join(here) + "\n")

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    located = run(
        python,
        "-c",
        "import coord, importlib.resources as r; "
        "print(coord.__file__); print((r.files('coord') / 'migrations' / 'env.py').is_file())",
        cwd=elsewhere,
    ).split()
    assert located[0].startswith(str(env_dir)), "the wheel's coord must be the one imported"
    assert located[1] == "True"

    out = run(env_dir / "bin" / "coord", "init", "--db", elsewhere / "net.db", cwd=elsewhere)
    assert "initialised" in out
    out = run(env_dir / "bin" / "coord", "init", "--db", elsewhere / "net.db", cwd=elsewhere)
    assert "initialised" in out
    # the demo network ships in the wheel too
    out = run(
        env_dir / "bin" / "coord",
        *("demo", "--db", elsewhere / "demo.db", "--months", "1", "--scale", "0.1", "--no-tui"),
        cwd=elsewhere,
    )
    assert "Information at SMDT discussions" in out
