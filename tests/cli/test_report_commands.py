"""`coord report` and `coord gaps` from the command line: the shared examples' figures on
SQLite and PostgreSQL, every format, and clear errors for bad options."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from coord.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "fixtures" / "sample-network.jsonl"
#: the figures an independent implementation of the SPEC computes for the sample
EXAMPLES = ROOT / "fixtures" / "sample-expected"
PERIOD = ["--from", "2023-01-01", "--to", "2026-01-01"]

CASES = {
    "sample.completeness.by-presenting_site.json": ["report", "completeness", *PERIOD],
    "sample.transfers.by-method.json": ["report", "transfers", *PERIOD, "--by", "method"],
    "sample.referrals.by-pathway.json": ["report", "referrals", *PERIOD, "--by", "pathway"],
    "sample.gaps.json": ["gaps", *PERIOD],
}


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def sample_db(db_url: str, capsys: pytest.CaptureFixture[str]) -> str:
    assert run(capsys, "init", "--db", db_url)[0] == 0
    assert run(capsys, "import", "--db", db_url, str(SAMPLE))[0] == 0
    return db_url


@pytest.fixture(scope="module")
def sqlite_sample(tmp_path_factory: pytest.TempPathFactory) -> str:
    db = str(tmp_path_factory.mktemp("sample") / "coord.db")
    assert main(["init", "--db", db]) == 0
    assert main(["import", "--db", db, str(SAMPLE)]) == 0
    return db


def test_the_shared_examples_figures(sample_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    for expected_file, args in CASES.items():
        status, out, err = run(capsys, *args, "--db", sample_db, "--format", "json")
        assert status == 0, err
        expected = json.loads((EXAMPLES / expected_file).read_text())
        assert json.loads(out) == expected, expected_file


@pytest.mark.parametrize(
    "name", ["completeness", "transfers", "handovers", "referrals", "meetings"]
)
def test_every_report_renders_in_every_format(
    sqlite_sample: str, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(capsys, "report", name, *PERIOD, "--db", sqlite_sample, "--format", "json")
    assert status == 0
    document = json.loads(out)
    status, out, _ = run(capsys, "report", name, *PERIOD, "--db", sqlite_sample, "--format", "csv")
    table = list(csv.reader(io.StringIO(out)))
    assert table[0] == list(document["total"])
    assert len(table) == len(document["rows"]) + 2  # header, rows, total
    assert table[-1][0] == ""
    status, out, _ = run(capsys, "report", name, *PERIOD, "--db", sqlite_sample)
    assert status == 0
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert any(line.split() and line.split()[0] == "total" for line in lines) or "total" in out
    for row in document["rows"][:3]:
        assert row["key"][:10] in out


def test_gaps_table_fits_80_columns_and_filters(
    sqlite_sample: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(capsys, "gaps", *PERIOD, "--db", sqlite_sample, "--site", "S05")
    assert status == 0
    assert max(len(line) for line in out.splitlines()) <= 80
    status, out, _ = run(
        capsys, "gaps", *PERIOD, "--db", sqlite_sample, "--site", "S05", "--format", "json"
    )
    rows = json.loads(out)["rows"]
    assert rows and {r["presenting_site"] for r in rows} == {"S05"}
    assert json.loads(out)["site"] == "S05"


def test_as_of_answers_from_what_was_recorded_by_then(
    sqlite_sample: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["report", "transfers", *PERIOD, "--db", sqlite_sample, "--format", "json"]
    _, early, _ = run(capsys, *args, "--as-of", "2024-03-01T00:00:00Z")
    _, now, _ = run(capsys, *args)
    assert json.loads(early)["as_of"] == "2024-03-01T00:00:00Z"
    assert json.loads(early)["total"]["requested"] < json.loads(now)["total"]["requested"]
    _, later, _ = run(capsys, *args, "--as-of", "2030-01-01T00:00:00+01:00")
    assert json.loads(later)["total"] == json.loads(now)["total"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["report", "nonsense", *PERIOD], "use one of: completeness"),
        (["report", "meetings", *PERIOD, "--by", "site"], "keyed by meeting_id"),
        (["report", "meetings", "--from", "2025-01-01", "--to", "2024-01-01"], "must be before"),
        (["report", "meetings", "--from", "2025-13-01", "--to", "2026-01-01"], "date"),
        (["gaps", *PERIOD, "--as-of", "2024-06"], "--as-of"),
    ],
)
def test_bad_options_are_usage_errors(
    sqlite_sample: str, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = run(capsys, *args, "--db", sqlite_sample)
    assert status == 2
    assert message in err and "Traceback" not in err
