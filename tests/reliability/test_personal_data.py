"""Personal data (issue 6, item 5): NHS numbers never appear in reports, gaps, error
messages or any other output of a run over a log full of them; `coord export
--pseudonymise` writes a copy without NHS numbers and with patient ids replaced by keyed
hashes, which imports and gives the same reports.

(The terminal UI's tables are not covered here yet: the UI is being built in parallel.)
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from coord.app.database import open_database
from coord.app.exporting import KEY_ENV, Pseudonymiser
from coord.app.reporting import build_gaps, build_report
from coord.domain.nhs import is_valid_nhs_number
from coord.reports import REPORTS, Period

from .helpers import FROM, TO, coord, generated_log

KEY = "0123456789abcdef-test-key-not-secret"


def nhs_numbers_of(path: Path) -> set[str]:
    found = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        if event["type"] == "PatientRegistered" and "nhs_number" in event["data"]:
            found.add(event["data"]["nhs_number"])
    return found


def valid_nhs_numbers(start: int) -> Iterator[str]:
    body = start
    while True:
        body += 1
        for check in range(10):
            candidate = f"{body:09d}{check}"
            if is_valid_nhs_number(candidate):
                yield candidate


def patient_line(patient_id: str, nhs: Any, event_id: str | None = None, **data: Any) -> str:
    event: dict[str, Any] = {
        "type": "PatientRegistered",
        "occurred_at": "2025-04-20T09:00:00Z",
        "data": {"patient_id": patient_id, "nhs_number": nhs, **data},
    }
    if event_id is not None:
        event["event_id"] = event_id
    return json.dumps(event)


def bad_lines(log: Path, fresh: Iterator[str]) -> tuple[list[str], set[str]]:
    """Lines that are invalid because of (or next to) an NHS number, and the numbers."""
    stored = next(
        json.loads(line)
        for line in log.read_text(encoding="utf-8").splitlines()
        if '"nhs_number"' in line
    )
    taken = stored["data"]["nhs_number"]
    new = next(fresh)
    wrong_check = new[:9] + str((int(new[9]) + 1) % 10)
    spaced = f"{new[:3]} {new[3:6]} {new[6:]}"
    lines = [
        patient_line("PX1", wrong_check),  # check digit does not match
        patient_line("PX2", taken),  # already registered to another patient
        patient_line(stored["data"]["patient_id"], new, event_id=stored["event_id"]),  # conflict
        patient_line("PX3", int(new)),  # a number, not a string
        patient_line("PX4", spaced),  # with separators
        patient_line("PX5", new + "1"),  # eleven digits
        patient_line("PX6", new, nhs_no=new),  # an unknown field holding one
        patient_line("PX7", {"value": new}),  # the wrong shape
        patient_line("PX8", new)[:-20],  # a cut-off line
        json.dumps({"type": "PatientRegistered", "data": {"patient_id": "PX9", "nhs_number": new}}),
    ]
    return lines, {taken, new, wrong_check, new + "1"}


def leaks(text: str, numbers: set[str]) -> list[str]:
    """The NHS numbers (digits, or spaced or dashed 3-3-4) that occur in ``text``."""
    digits_only = re.sub(r"[ \-]", "", text)
    return sorted(n for n in numbers if n in text or n in digits_only)


@pytest.fixture
def log(tmp_path: Path) -> Path:
    return generated_log(tmp_path / "log.jsonl", months=3, scale=0.1)


def test_no_output_of_a_run_shows_an_nhs_number(
    db_url: str,
    log: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    numbers = nhs_numbers_of(log)
    assert len(numbers) > 50  # the log is full of them
    bad, more = bad_lines(log, valid_nhs_numbers(700_000_000))
    numbers |= more
    invalid = tmp_path / "invalid.jsonl"
    invalid.write_text("\n".join(bad) + "\n", encoding="utf-8")
    outputs: list[str] = []

    def run(*args: str, expect: int | None = 0) -> str:
        status, out, err = coord(capsys, *args)
        outputs.extend([out, err])
        if expect is not None:
            assert status == expect, (args, err)
        return out + err

    run("init", "--db", db_url)
    run("import", "--db", db_url, str(log))
    messages = run("import", "--db", db_url, str(invalid), expect=1)
    assert messages.count(f"{invalid}:") == len(bad)  # every bad line was reported ...
    rejects = tmp_path / "rejects.jsonl"
    run(
        "import",
        "--db",
        db_url,
        str(log),
        str(invalid),
        "--skip-invalid",
        "--rejects",
        str(rejects),
    )
    run("verify", "--db", db_url)
    run("verify", "--db", db_url, "--head")
    run("rebuild", "--db", db_url)
    for name, definition in REPORTS.items():
        for by in (None, *definition.by_keys):
            for output in ("table", "json", "csv"):
                keyed = ["--by", by] if by else []
                run("report", name, "--db", db_url, "--from", FROM, "--to", TO, "--format", output, *keyed)  # fmt: skip
        run("report", name, "--db", db_url, "--from", FROM, "--to", TO, "--as-of", "2025-05-01T00:00:00Z")  # fmt: skip
    for output in ("table", "json", "csv"):
        run("gaps", "--db", db_url, "--from", FROM, "--to", TO, "--format", output)
    run("gaps", "--db", db_url, "--from", FROM, "--to", TO, "--as-of", "2025-05-01T00:00:00Z")
    run("export", "--db", db_url, "--pseudonymise", expect=None)  # no key: refused
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(KEY_ENV, KEY)
        run("export", "--db", db_url, "--pseudonymise")

    # the app layer the terminal UI reads from
    outputs.extend(app_layer_documents(db_url))
    outputs.extend(record.getMessage() for record in caplog.records)

    everything = "\n".join(outputs)
    assert "Traceback" not in everything
    assert "[" in everything and "imported" in everything  # the run did produce output
    assert leaks(everything, numbers) == []
    # ... and the rejects file keeps each line as given (that is its purpose), so it does
    # hold them: it is the user's own input, not a message
    assert leaks(rejects.read_text(encoding="utf-8"), numbers)


def app_layer_documents(url: str) -> list[str]:
    database = open_database(url)
    period = Period(date(2025, 1, 1), date(2026, 1, 1))
    try:
        documents = [
            build_report(database.store, database.time_zone, name, period, by).model_dump_json()
            for name, definition in REPORTS.items()
            for by in (None, *definition.by_keys)
        ]
        documents.append(build_gaps(database.store, database.time_zone, period).model_dump_json())
        return documents
    finally:
        database.close()


def test_the_search_finds_an_nhs_number_however_it_is_written() -> None:
    """Guard for the search above: an output that did quote the number would be found."""
    assert leaks("patient 943 476 5919 refused", {"9434765919"}) == ["9434765919"]
    assert leaks("patient 943-476-5919 refused", {"9434765919"}) == ["9434765919"]
    assert leaks("imported 12, duplicates 0", {"9434765919"}) == []


# --- coord export --pseudonymise -----------------------------------------------------


def _reports(url: str) -> dict[str, Any]:
    database = open_database(url)
    period = Period(date(2025, 1, 1), date(2026, 1, 1))
    try:
        out: dict[str, Any] = {}
        for name, definition in REPORTS.items():
            for by in (None, *definition.by_keys):
                document = build_report(database.store, database.time_zone, name, period, by)
                out[f"{name}/{by}"] = document.model_dump(mode="json", exclude={"as_of"})
        gaps = build_gaps(database.store, database.time_zone, period)
        out["gaps"] = gaps.model_dump(mode="json", exclude={"as_of"})
        return out
    finally:
        database.close()


def test_a_pseudonymised_export_imports_and_gives_the_same_reports(
    db_url: str,
    db_url_factory: Any,
    log: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    numbers = nhs_numbers_of(log)
    patients = {
        json.loads(line)["data"]["patient_id"]
        for line in log.read_text(encoding="utf-8").splitlines()
        if '"PatientRegistered"' in line
    }
    assert coord(capsys, "init", "--db", db_url)[0] == 0
    assert coord(capsys, "import", "--db", db_url, str(log))[0] == 0
    key_file = tmp_path / "key"
    key_file.write_text(KEY + "\n")
    shared = tmp_path / "shared.jsonl"
    status, _, err = coord(
        capsys,
        "export",
        "--db",
        db_url,
        "--pseudonymise",
        "--key-file",
        str(key_file),
        "-o",
        str(shared),
    )
    assert status == 0, err
    assert "pseudonymised" in err
    text = shared.read_text(encoding="utf-8")
    assert "nhs_number" not in text and leaks(text, numbers) == []
    events = [json.loads(line) for line in text.splitlines()]
    assert len(events) == len(log.read_text(encoding="utf-8").splitlines())
    pseudonym = Pseudonymiser(KEY.encode()).pseudonym
    ids_out = {e["data"]["patient_id"] for e in events if "patient_id" in e["data"]}
    assert ids_out == {pseudonym(p) for p in patients}
    assert not ids_out & patients
    assert not any(re.search(rf'"{re.escape(p)}"', text) for p in patients)

    copy = db_url_factory()
    assert coord(capsys, "init", "--db", copy)[0] == 0
    status, out, err = coord(capsys, "import", "--db", copy, str(shared))
    assert (status, out.strip()) == (0, f"imported {len(events)}, duplicates 0"), err
    original, shared_reports = _reports(db_url), _reports(copy)
    # the gaps list names each case's patient: by pseudonym in the shared copy
    for row in original["gaps"]["rows"]:
        row["patient_id"] = pseudonym(row["patient_id"])
    assert shared_reports == original
    assert original["gaps"]["rows"]  # the comparison covered some patients


def test_the_same_key_gives_the_same_pseudonyms_and_another_key_others(
    db_url: str, log: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert coord(capsys, "init", "--db", db_url)[0] == 0
    assert coord(capsys, "import", "--db", db_url, str(log))[0] == 0
    exports = []
    for key in (KEY, KEY, "another-key-of-sixteen-bytes"):
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv(KEY_ENV, key)
            status, out, err = coord(capsys, "export", "--db", db_url, "--pseudonymise")
        assert status == 0, err
        exports.append(out)
    assert exports[0] == exports[1]
    assert exports[0] != exports[2]
    assert len(exports[0].splitlines()) == len(exports[2].splitlines())


@pytest.mark.parametrize(
    ("key", "says"),
    [(None, "needs a secret key"), ("short", "at least 16")],
)
def test_pseudonymising_without_a_usable_key_is_refused(
    db_url: str,
    key: str | None,
    says: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert coord(capsys, "init", "--db", db_url)[0] == 0
    monkeypatch.delenv(KEY_ENV, raising=False)
    if key is not None:
        monkeypatch.setenv(KEY_ENV, key)
    status, out, err = coord(capsys, "export", "--db", db_url, "--pseudonymise")
    assert status == 2 and out == ""
    assert says in err and "Traceback" not in err
