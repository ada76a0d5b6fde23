"""Reading JSON Lines: physical line numbers, BOM, CRLF, bad bytes, huge and nested lines."""

from __future__ import annotations

import io

import pytest

from coord.interop.jsonl import MAX_LINE_BYTES, InvalidLine, parse_line, read_lines


def lines(data: bytes) -> list[tuple[int, str | None]]:
    return [(line.number, line.error) for line in read_lines(io.BytesIO(data))]


def test_blank_and_white_space_lines_are_skipped_but_counted() -> None:
    assert lines(b'{"a":1}\n\n  \t\n{"b":2}\n') == [(1, None), (4, None)]
    # white space of Unicode (no-break space, line separator), a lone CR, a form feed
    spaces = "\u00a0 \u2028\n\r\n\x0c\n".encode()
    assert lines(b'{"a":1}\n' + spaces + b'{"b":2}') == [(1, None), (5, None)]


def test_bom_and_crlf_are_accepted() -> None:
    [line] = list(read_lines(io.BytesIO(b'\xef\xbb\xbf{"a":1}\r\n')))
    assert line.text == '{"a":1}'


def test_last_line_without_newline_is_read() -> None:
    assert lines(b'{"a":1}\n{"b":2}') == [(1, None), (2, None)]


def test_invalid_utf8_is_reported_on_its_line() -> None:
    [(number, error)] = lines(b'\n{"a":"\xff"}\n')
    assert number == 2 and error is not None and "UTF-8" in error


def test_an_over_long_line_is_reported_and_the_next_line_still_read() -> None:
    data = b"x" * (MAX_LINE_BYTES * 3) + b"\n" + b'{"a":1}\n'
    assert lines(data) == [(1, lines(data)[0][1]), (2, None)]
    assert "longer than" in (lines(data)[0][1] or "")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('{"a":1,"a":2}', "appears twice"),
        ("[1,2]", "expected a JSON object"),
        ('{"a":NaN}', "NaN"),
        ('{"a":1e999}', "out of range"),
        ('{"a":' + "[" * 50_000, "nested too deeply"),
        ('{"a":' + "9" * 5000 + "}", "not a valid JSON value"),
        ('{"a":', "not valid JSON"),
    ],
    ids=["repeated-key", "array", "nan", "overflow", "deep", "huge-int", "truncated"],
)
def test_lines_that_are_not_one_json_object(text: str, reason: str) -> None:
    with pytest.raises(InvalidLine, match=reason):
        parse_line(text)
