"""Crash safety (issue 6, item 2): an import killed with SIGKILL at a random moment leaves
whole imports only — positions gap-free, the hash chain intact, read models and their
checkpoint equal to a rebuild — and running the import again completes it, the part that
was committed skipped as duplicates. Twenty-plus trials on each database."""

from __future__ import annotations

import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from coord.cli.main import main
from coord.store import create_engine_for, verify

from .helpers import generated_log, head_and_checkpoint, process_env, read_model_rows

TRIALS = 20
CHUNKS = 6

#: imports the chunk files one by one (one transaction each), saying where it is
IMPORTER = """
import sys
from coord.cli.main import main
url, *chunks = sys.argv[1:]
for number, chunk in enumerate(chunks, 1):
    print(f"start {number}", flush=True)
    status = main(["import", "--db", url, chunk])
    if status:
        sys.exit(status)
    print(f"done {number}", flush=True)
"""


def split(log: Path, folder: Path, parts: int) -> tuple[list[Path], list[int]]:
    """The log in ``parts`` consecutive files, and the event count after each."""
    lines = log.read_bytes().splitlines(keepends=True)
    size = -(-len(lines) // parts)
    paths, cumulative = [], [0]
    for index in range(parts):
        part = lines[index * size : (index + 1) * size]
        path = folder / f"part-{index + 1}.jsonl"
        path.write_bytes(b"".join(part))
        paths.append(path)
        cumulative.append(cumulative[-1] + len(part))
    return paths, cumulative


def start_import(url: str, chunks: list[Path], out: Path) -> subprocess.Popen[bytes]:
    with out.open("wb") as stdout:
        return subprocess.Popen(
            [sys.executable, "-c", IMPORTER, url, *map(str, chunks)],
            stdout=stdout,
            stderr=subprocess.STDOUT,
            env=process_env(),
        )


def wait_for_first_import(output: Path) -> float:
    """Wait until the process says it starts its first import; return that moment."""
    deadline = time.monotonic() + 120
    while b"start 1" not in output.read_bytes():
        assert time.monotonic() < deadline, output.read_text()
        time.sleep(0.005)
    return time.monotonic()


def read_models_match_a_rebuild(url: str) -> bool:
    before = read_model_rows(url)
    assert main(["rebuild", "--db", url]) == 0
    return read_model_rows(url) == before


@pytest.mark.slow
def test_an_import_killed_at_random_points_leaves_whole_imports_and_completes_on_rerun(
    db_url: str,
    db_url_factory: Callable[[], str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    log = generated_log(tmp_path / "log.jsonl", months=4, scale=0.15)
    chunks, cumulative = split(log, tmp_path, CHUNKS)
    total = cumulative[-1]
    rng = random.Random(20261126)

    template = tmp_path / "template.db"
    if db_url.startswith("sqlite"):
        assert main(["init", "--db", str(template)]) == 0

    def fresh() -> str:
        if db_url.startswith("sqlite"):
            path = tmp_path / f"trial-{rng.randrange(10**9)}.db"
            shutil.copy(template, path)
            return f"sqlite:///{path}"
        url = db_url_factory()
        assert main(["init", "--db", url]) == 0
        return url

    # how long the imports take when nothing goes wrong (from the first one's start)
    calibration = fresh()
    done = start_import(calibration, chunks, tmp_path / "calibration.out")
    started = wait_for_first_import(tmp_path / "calibration.out")
    assert done.wait(timeout=600) == 0, (tmp_path / "calibration.out").read_text()
    duration = time.monotonic() - started
    assert head_and_checkpoint(calibration) == (total, total)

    landed = {"inside an import": 0, "between imports": 0}
    kept: list[int] = []
    for trial in range(TRIALS):
        url = fresh()
        output = tmp_path / f"trial-{trial}.out"
        process = start_import(url, chunks, output)
        wait_for_first_import(output)
        time.sleep(rng.uniform(0, duration * 0.95))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        said = output.read_text().split()
        started_parts = said.count("start")
        finished_parts = said.count("done")
        where = "inside an import" if started_parts > finished_parts else "between imports"
        landed[where] += 1

        # whole imports only: the log holds exactly the first few parts
        head, checkpoint = head_and_checkpoint(url)
        assert head in cumulative, (trial, head)
        parts = cumulative.index(head)
        assert finished_parts <= parts <= started_parts, (trial, said, head)
        kept.append(head)
        result = verify(create_engine_for(url))
        assert result.ok, (trial, result.describe())
        assert result.events == head
        # the read models moved with the log, exactly
        assert checkpoint == head, trial
        assert read_models_match_a_rebuild(url), trial

        # running the import again completes it; what was committed is skipped
        status = main(["import", "--db", url, *map(str, chunks)])
        out, err = capsys.readouterr()
        assert status == 0, err[-2000:]
        assert out.strip().splitlines()[-1] == f"imported {total - head}, duplicates {head}"
        assert head_and_checkpoint(url) == (total, total)
        assert verify(create_engine_for(url)).ok

    assert read_models_match_a_rebuild(url)
    assert read_model_rows(url) == read_model_rows(calibration)
    print(
        f"\n{TRIALS} kills over {duration:.1f} s imports of {total} events in {CHUNKS} parts: "
        f"{landed}; events kept: {sorted(kept)}"
    )
    assert landed["inside an import"] >= TRIALS // 2  # the kills did land mid-transaction
