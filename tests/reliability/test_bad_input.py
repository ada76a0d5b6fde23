"""Bad input (issue 6, item 3): whatever a JSONL file holds — random bytes, truncated or
very long lines, invalid UTF-8, huge numbers, deep nesting, wrong types, any field of any
event type removed or mistyped — `coord import` answers with `FILE:LINE: reason` for each
bad line and a non-zero exit, never a traceback, and writes nothing. A file of over 1 GB
is read in bounded memory."""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from .helpers import coord, generated_log, head_and_checkpoint, process_env

SUMMARY = re.compile(r"^coord: (\d+) invalid line\(s\); nothing was imported")
#: values of the wrong type (or shape, or size) for any field
WRONG_VALUES: list[Any] = [
    12345,
    -1,
    1.5,
    True,
    "",
    "x" * 10_001,
    [],
    ["a", 1],
    {},
    {"nested": {"deeper": [1, 2, 3]}},
    10**30,
    -(10**30),
    1e308,
    "2025-13-45T99:99Z",
    "2025-03-03T09:00:00",
    "not-a-uuid",
    "\u0000\ud7ff",
    "\ud800",
    {"user": "a\u0000b"},
]


@pytest.fixture(scope="module")
def base_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generated_log(tmp_path_factory.mktemp("base") / "base.jsonl")


@pytest.fixture
def db(db_url: str, base_log: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """A database holding a small log of the network, so that lines can reach the rules."""
    assert coord(capsys, "init", "--db", db_url)[0] == 0
    status, _, err = coord(capsys, "import", "--db", db_url, str(base_log))
    assert status == 0, err
    return db_url


def templates(base_log: Path) -> dict[str, dict[str, Any]]:
    """One event of every type (without its event id, so it is not a duplicate); the types a
    small generated log may lack are made from their counterparts."""
    found: dict[str, dict[str, Any]] = {}
    for line in base_log.read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        event.pop("event_id")
        found.setdefault(event["type"], event)
    acknowledged = found["HandoverAcknowledged"]
    found["HandoverDeclined"] = {
        **acknowledged,
        "type": "HandoverDeclined",
        "data": {**acknowledged["data"], "reason": "no capacity"},
    }
    received = found["ItemReceived"]
    found["ItemWaived"] = {
        **received,
        "type": "ItemWaived",
        "data": {**received["data"], "reason": "not needed"},
    }
    accepted = found["ReferralAccepted"]
    found["ReferralRejected"] = {
        **accepted,
        "type": "ReferralRejected",
        "data": {**accepted["data"], "reason": "not suitable for the specialist centre"},
    }
    return found


def check_rejected(
    capsys: pytest.CaptureFixture[str], db: str, path: Path, lines: int
) -> tuple[set[int], str]:
    """Import ``path``; it must be refused as a whole with one `FILE:LINE: reason` per bad
    line and nothing written. Returns the reported line numbers and the messages."""
    before = head_and_checkpoint(db)
    status, out, err = coord(capsys, "import", "--db", db, str(path))
    assert status == 1, (out, err)
    assert out == ""
    assert "Traceback" not in err and "unexpected error" not in err
    messages = err.splitlines()
    summary = SUMMARY.match(messages[-1])
    assert summary, messages[-1]
    reported: set[int] = set()
    for message in messages[:-1]:
        match = re.match(rf"^{re.escape(str(path))}:(\d+): \S", message)
        assert match, message
        number = int(match.group(1))
        assert 1 <= number <= lines
        reported.add(number)
    assert len(messages) - 1 == int(summary.group(1)) == len(reported)
    assert head_and_checkpoint(db) == before  # nothing written, read models untouched
    return reported, err


def test_every_field_of_every_type_removed_or_mistyped(
    db: str, base_log: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from coord.events import DEFAULT_REGISTRY

    events = templates(base_log)
    assert set(events) == set(DEFAULT_REGISTRY.names())
    lines: list[str] = []
    must_fail: set[int] = set()
    required_envelope = {"type", "occurred_at", "data"}
    for type_name, event in sorted(events.items()):
        model = DEFAULT_REGISTRY.model(type_name)
        required_data = {n for n, f in model.model_fields.items() if f.is_required()}
        for field in event:
            lines.append(json.dumps({k: v for k, v in event.items() if k != field}))
            if field in required_envelope:
                must_fail.add(len(lines))
            for wrong in WRONG_VALUES:
                lines.append(json.dumps({**event, field: wrong}))
        for field in event["data"]:
            data = event["data"]
            lines.append(json.dumps({**event, "data": {k: v for k, v in data.items() if k != field}}))  # fmt: skip
            if field in required_data:
                must_fail.add(len(lines))
            for wrong in WRONG_VALUES:
                lines.append(json.dumps({**event, "data": {**data, field: wrong}}))
        lines.append(json.dumps({**event, "surplus": 1}))
        must_fail.add(len(lines))
        lines.append(json.dumps({**event, "data": {**event["data"], "surplus": 1}}))
        must_fail.add(len(lines))
    path = tmp_path / "mutants.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    reported, _ = check_rejected(capsys, db, path, len(lines))
    assert must_fail <= reported
    print(f"\n{len(lines)} mutated lines, {len(must_fail)} of them certainly invalid")
    assert len(lines) > 3000


# --- hypothesis: lines of every kind of garbage, mixed with valid ones ---------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)  # fmt: skip


@st.composite
def bad_line(draw: st.DrawFn, events: dict[str, dict[str, Any]]) -> bytes:
    """One line that is not a valid event (it may still parse as JSON)."""
    template = events[draw(st.sampled_from(sorted(events)))]
    valid = json.dumps(template).encode()
    kind = draw(
        st.sampled_from(
            ["bytes", "truncated", "utf8", "number", "nesting", "value", "json", "key", "type"]
        )
    )
    if kind == "bytes":
        junk = draw(st.binary(min_size=1, max_size=300).filter(lambda b: b.strip(b" \t\r\n\x0b\x0c\x1c\x1d\x1e\x1f\x85")))  # fmt: skip
        return junk.replace(b"\n", b" ").replace(b"\r", b" ") or b"\x00"
    if kind == "truncated":
        return valid[: draw(st.integers(1, len(valid) - 1))]
    if kind == "utf8":
        at = draw(st.integers(0, len(valid)))
        bad = draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80"]))
        return valid[:at] + bad + valid[at:]
    if kind == "number":
        digits = draw(st.integers(19, 6000))
        number = draw(st.sampled_from(["9" * digits, "-" + "9" * digits, "1e999", "-1e999", "1" + "0" * digits + ".5"]))  # fmt: skip
        field = draw(st.sampled_from(sorted(template["data"])))
        data = json.dumps({**template["data"], field: "@@"}).replace('"@@"', number)
        return json.dumps({**template, "data": "@@"}).replace('"@@"', data).encode()
    if kind == "nesting":
        depth = draw(st.integers(50, 200_000))
        opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
        nested = opener * depth + "1" + closer * depth
        return json.dumps({**template, "data": "@@"}).replace('"@@"', nested).encode()
    if kind == "value":
        field = draw(st.sampled_from(sorted(template["data"])))
        value = draw(json_values)
        mutated = {**template, "data": {**template["data"], field: value}}
        if value is None or value == template["data"][field]:
            mutated["data"]["surplus"] = value  # keep it invalid
        return json.dumps(mutated).encode()
    if kind == "json":
        value = draw(json_values.filter(lambda v: not isinstance(v, dict)))
        return json.dumps(value).encode()
    if kind == "key":
        return valid[:-1] + b', "type": "SiteRegistered"}'  # a repeated key
    return json.dumps({**template, "type": draw(st.text(max_size=20))}).encode()


@st.composite
def files(draw: st.DrawFn, events: dict[str, dict[str, Any]]) -> list[bytes]:
    """A file's lines: at least one bad line, among valid new sites and blank lines."""
    count = draw(st.integers(1, 12))
    lines: list[bytes] = []
    for _ in range(count):
        choice = draw(st.sampled_from(["bad", "bad", "site", "blank"]))
        if choice == "bad":
            lines.append(draw(bad_line(events)))
        elif choice == "site":
            site_id = f"F{draw(st.integers(0, 10**9))}x{len(lines)}"
            site = {
                "type": "SiteRegistered",
                "occurred_at": "2025-03-03T09:00:00Z",
                "data": {"site_id": site_id, "name": "Fuzz", "specialist_for": []},
            }
            lines.append(json.dumps(site).encode())
        else:
            lines.append(draw(st.sampled_from([b"", b"   ", b"\t"])))
    if not any(b.strip() and not b.startswith(b'{"type": "SiteRegistered"') for b in lines):
        lines.append(draw(bad_line(events)))
    return lines


FUZZ_EXAMPLES = 500


@pytest.mark.slow
def test_fuzzed_files_are_refused_line_by_line_and_nothing_is_written(
    db: str, base_log: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events = templates(base_log)
    path = tmp_path / "fuzz.jsonl"
    seen = {"examples": 0}

    @settings(
        max_examples=FUZZ_EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(lines=files(events))
    @example(lines=[b"\xef\xbb\xbf{" + b"[" * 100_000])
    @example(lines=[b'{"type": "SiteRegistered", "occurred_at": 1' + b"0" * 5000 + b"}"])
    def run(lines: list[bytes]) -> None:
        seen["examples"] += 1
        ending = random.Random(len(lines)).choice([b"\n", b"\r\n"])
        path.write_bytes(ending.join(lines) + random.Random(1).choice([b"", ending]))
        physical = path.read_bytes().count(b"\n") + 1
        check_rejected(capsys, db, path, physical)

    run()
    assert seen["examples"] >= FUZZ_EXAMPLES


def test_real_processes_report_bad_lines_without_a_traceback(db: str, tmp_path: Path) -> None:
    samples = {
        "bytes.jsonl": bytes(random.Random(6).randrange(256) for _ in range(5000)),
        "utf8.jsonl": b'{"type": "SiteRegistered", "occurred_at": "\xff"}\n',
        "nested.jsonl": b"[" * 1_000_000 + b"\n",
        "number.jsonl": b'{"type": "ProtocolPublished", "data": {"version": '
        + b"9" * 10_000
        + b"}}\n",
        "long.jsonl": b'{"type": "' + b"x" * (2 * 1024 * 1024) + b'"}\n{}\n',
    }
    for name, content in samples.items():
        path = tmp_path / name
        path.write_bytes(content)
        before = head_and_checkpoint(db)
        done = subprocess.run(
            [sys.executable, "-m", "coord", "import", "--db", db, str(path)],
            capture_output=True,
            env=process_env(),
            timeout=120,
            check=False,
        )
        err = done.stderr.decode()
        assert done.returncode == 1, (name, err)
        assert "Traceback" not in err, (name, err)
        assert err.startswith(f"{path}:1: "), (name, err[:300])
        assert SUMMARY.match(err.splitlines()[-1]), (name, err[-300:])
        assert head_and_checkpoint(db) == before


# --- a file over 1 GB ----------------------------------------------------------------

#: runs coord and prints its peak RSS in kB: VmHWM belongs to this process's own memory
#: (ru_maxrss would carry over the forking parent's peak across exec on Linux)
PEAK_RSS = """
import re, sys
from coord.cli.main import main
status = main(sys.argv[1:])
status_file = open("/proc/self/status").read()
print(re.search(r"VmHWM:\\s+(\\d+) kB", status_file).group(1))
sys.exit(status)
"""
GIB = 1024**3
#: the import's peak resident memory must stay under this, whatever the file's size
MEMORY_BOUND_MB = 150


@pytest.mark.slow
def test_a_file_over_a_gigabyte_is_refused_in_bounded_memory(db: str, tmp_path: Path) -> None:
    """Valid lines, 950 lines of 1.1 MB each and a final line of 100 MB without an end:
    over 1 GB in all. Every long line is reported, nothing is written, and the process's
    peak RSS stays far below the file's size."""
    path = tmp_path / "huge.jsonl"
    long_line = b'{"type": "SiteRegistered", "note": "' + b"x" * 1_150_000 + b'"}\n'
    site = b'{"type": "SiteRegistered", "occurred_at": "2025-03-03T09:00:00Z", "data": {"site_id": "HUGE", "name": "Huge", "specialist_for": []}}\n'  # fmt: skip
    with path.open("wb") as out:
        out.write(site)
        for _ in range(950):
            out.write(long_line)
        block = b"y" * (1024 * 1024)
        for _ in range(100):
            out.write(block)
    size = path.stat().st_size
    assert size > GIB
    before = head_and_checkpoint(db)
    try:
        done = subprocess.run(
            [sys.executable, "-c", PEAK_RSS, "import", "--db", db, str(path)],
            capture_output=True,
            env=process_env(),
            timeout=600,
            check=False,
        )
    finally:
        path.unlink()
    err = done.stderr.decode()
    assert done.returncode == 1, err[-500:]
    assert "Traceback" not in err
    messages = err.splitlines()
    assert len(messages) == 951 + 1
    assert messages[0] == f"{path}:2: line is longer than 1024 KiB; no event is that long"
    assert messages[-2].startswith(f"{path}:952: line is longer than 1024 KiB")
    assert head_and_checkpoint(db) == before
    peak_mb = int(done.stdout.decode().split()[-1]) / 1024
    print(f"1 GB file: {size / GIB:.2f} GiB, peak RSS {peak_mb:.0f} MB")
    assert peak_mb < MEMORY_BOUND_MB
