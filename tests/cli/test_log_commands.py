"""The log commands end to end: init, import, export, verify — on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text

from coord.cli.main import main
from coord.store import create_engine_for

SAMPLE = Path(__file__).resolve().parents[2] / "fixtures" / "sample-network.jsonl"

SITE = {
    "type": "SiteRegistered",
    "occurred_at": "2024-01-01T09:00:00Z",
    "data": {"site_id": "S1", "name": "Northgate", "specialist_for": []},
}


def line(event: dict[str, object], **changes: object) -> str:
    return json.dumps({**event, **changes})


def site(site_id: str, event_id: str | None = None) -> dict[str, object]:
    event: dict[str, object] = {**SITE, "data": {**SITE["data"], "site_id": site_id}}  # type: ignore[dict-item]
    if event_id:
        event["event_id"] = event_id
    return event


def uuid(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


def coord(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def export_lines(capsys: pytest.CaptureFixture[str], db: str, path: Path) -> list[str]:
    status, _, err = coord(capsys, "export", "--db", db, "-o", str(path))
    assert status == 0, err
    return path.read_text(encoding="utf-8").splitlines()


@pytest.fixture
def db(db_url: str, capsys: pytest.CaptureFixture[str]) -> str:
    status, _, err = coord(capsys, "init", "--db", db_url)
    assert status == 0, err
    return db_url


def test_sample_network_imports_whole_and_reimport_adds_nothing(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = coord(capsys, "import", "--db", db, str(SAMPLE))
    assert (status, out.strip(), err) == (0, "imported 2800, duplicates 0", "")
    status, out, _ = coord(capsys, "import", "--db", db, str(SAMPLE))
    assert (status, out.strip()) == (0, "imported 0, duplicates 2800")
    status, out, err = coord(capsys, "verify", "--db", db)
    assert status == 0, err
    assert "2800" in out


def test_export_import_export_is_identical(
    db: str, db_url_factory: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert coord(capsys, "import", "--db", db, str(SAMPLE))[0] == 0
    first = export_lines(capsys, db, tmp_path / "first.jsonl")
    assert len(first) == 2800
    second_db = db_url_factory()  # type: ignore[operator]
    assert coord(capsys, "init", "--db", second_db)[0] == 0
    status, _, err = coord(capsys, "import", "--db", second_db, str(tmp_path / "first.jsonl"))
    assert status == 0, err
    second = export_lines(capsys, second_db, tmp_path / "second.jsonl")
    assert second == first


def test_one_bad_line_writes_nothing_and_names_the_line(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "events.jsonl"
    bad = {**SITE, "occurred_at": "2024-01-01T09:00:00"}
    source.write_text(
        "\n".join([line(site("S1")), "", line(site("S2")), line(bad), line(site("S3"))]) + "\n"
    )
    status, out, err = coord(capsys, "import", "--db", db, str(source))
    assert status == 1
    assert out == ""
    assert f"{source}:4: occurred_at: timestamp" in err
    assert "nothing was imported" in err
    assert export_lines(capsys, db, tmp_path / "out.jsonl") == []


def test_every_invalid_line_is_reported_including_lines_that_depend_on_one(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "events.jsonl"
    source.write_text(
        "\n".join(
            [
                "not json",
                line(site("S1"), data={"site_id": "S1"}),  # name and specialist_for missing
                line(site("S1")),
                line(site("S1")),  # a second registration of the same site
            ]
        )
        + "\n"
    )
    status, _, err = coord(capsys, "import", "--db", db, str(source))
    assert status == 1
    reported = [ln.split(": ")[0] for ln in err.splitlines() if ln.startswith(str(source))]
    assert reported == [f"{source}:1", f"{source}:2", f"{source}:4"]


def test_skip_invalid_writes_valid_lines_and_rejects_file(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "events.jsonl"
    source.write_text("\n".join([line(site("S1")), "{oops", line(site("S2"))]) + "\n")
    rejects = tmp_path / "rejects.jsonl"
    status, out, _ = coord(
        capsys, "import", "--db", db, "--skip-invalid", "--rejects", str(rejects), str(source)
    )
    assert (status, out.strip()) == (0, "imported 2, duplicates 0, rejected 1")
    [rejected] = [json.loads(r) for r in rejects.read_text().splitlines()]
    assert rejected["file"] == str(source)
    assert rejected["line"] == 2
    assert rejected["text"] == "{oops"
    assert rejected["reason"].startswith("not valid JSON")
    assert len(export_lines(capsys, db, tmp_path / "out.jsonl")) == 2


def test_conflicting_duplicate_is_an_error_and_same_content_is_skipped(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = tmp_path / "first.jsonl"
    first.write_text(line(site("S1", uuid(1))) + "\n")
    assert coord(capsys, "import", "--db", db, str(first))[0] == 0
    again = tmp_path / "again.jsonl"
    same_instant = {**site("S1", uuid(1).upper()), "occurred_at": "2024-01-01T10:00:00+01:00"}
    again.write_text(line(same_instant) + "\n")
    status, out, _ = coord(capsys, "import", "--db", db, str(again))
    assert (status, out.strip()) == (0, "imported 0, duplicates 1")
    conflicting = tmp_path / "conflicting.jsonl"
    conflicting.write_text(line(site("S9", uuid(1))) + "\n")
    status, _, err = coord(capsys, "import", "--db", db, str(conflicting))
    assert status == 1
    assert f"{conflicting}:1: conflicting duplicate of event {uuid(1)}" in err


def test_bom_crlf_and_blank_lines_are_accepted(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "windows.jsonl"
    text = "\r\n".join([line(site("S1")), "   ", "", line(site("S2"))]) + "\r\n"
    source.write_bytes(b"\xef\xbb\xbf" + text.encode())
    status, out, err = coord(capsys, "import", "--db", db, str(source))
    assert (status, out.strip(), err) == (0, "imported 2, duplicates 0", "")


def test_files_are_imported_in_order_given(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    patient = {"type": "PatientRegistered", "occurred_at": "2024-01-01T09:00:00Z"}
    sites = tmp_path / "a.jsonl"
    sites.write_text(line(site("S1")) + "\n" + line(site("S2")) + "\n")
    later = tmp_path / "b.jsonl"
    later.write_text(
        line({**patient, "data": {"patient_id": "P1"}})
        + "\n"
        + line(
            {
                "type": "HandoverInitiated",
                "occurred_at": "2024-01-02T09:00:00Z",
                "data": {
                    "handover_id": "H1",
                    "patient_id": "P1",
                    "from_site": "S1",
                    "to_site": "S2",
                    "from_role": "surgeon",
                    "to_role": "cns",
                    "reason": "follow-up",
                },
            }
        )
        + "\n"
    )
    status, _, err = coord(capsys, "import", "--db", db, str(later), str(sites))
    assert status == 1
    assert f"{later}:2:" in err  # the sites come only in the second file
    status, out, err = coord(capsys, "import", "--db", db, str(sites), str(later))
    assert (status, out.strip()) == (0, "imported 4, duplicates 0"), err


def test_recorded_now_ignores_recorded_at_of_an_older_log(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    newer = tmp_path / "newer.jsonl"
    newer.write_text(line(site("S1"), recorded_at="2025-06-01T00:00:00Z") + "\n")
    older = tmp_path / "older.jsonl"
    older.write_text(line(site("S2"), recorded_at="2024-06-01T00:00:00Z") + "\n")
    assert coord(capsys, "import", "--db", db, str(newer))[0] == 0
    status, _, err = coord(capsys, "import", "--db", db, str(older))
    assert status == 1 and f"{older}:1:" in err
    status, out, err = coord(capsys, "import", "--db", db, "--recorded-now", str(older))
    assert (status, out.strip()) == (0, "imported 1, duplicates 0"), err


def test_init_is_idempotent_and_stores_the_time_zone(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = coord(capsys, "init", "--db", db, "--tz", "America/New_York")
    assert status == 0 and "America/New_York" in out
    status, out, _ = coord(capsys, "init", "--db", db)
    assert status == 0 and "America/New_York" in out


def test_unknown_time_zone_is_a_message(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = coord(capsys, "init", "--db", db, "--tz", "Mars/Olympus")
    assert status == 1
    assert "time zone" in err and "Traceback" not in err


def test_verify_names_the_position_and_id_of_an_altered_row(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert coord(capsys, "import", "--db", db, str(SAMPLE))[0] == 0
    engine = create_engine_for(db)
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("ALTER TABLE events DISABLE TRIGGER USER"))
            else:
                connection.execute(text("DROP TRIGGER events_no_update"))
            connection.execute(
                text("UPDATE events SET occurred_at = recorded_at WHERE position = 1234")
            )
            event_id = connection.execute(
                text("SELECT event_id FROM events WHERE position = 1234")
            ).scalar_one()
    finally:
        engine.dispose()
    status, out, err = coord(capsys, "verify", "--db", db)
    assert status == 1 and out == ""
    assert "position 1234" in err and event_id in err
