"""``parse_line`` takes orjson's answer only when it is certainly the strict parser's:
on any text (objects with repeated keys, white space anywhere, escapes, floats, huge
integers, deep nesting, broken JSON) it gives the same value, of the same types in the
same key order, or refuses the line with the same reason."""

from __future__ import annotations

import io
import json
from datetime import date
from typing import Any

import orjson
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from coord.demo.generator import generate
from coord.demo.network import load_network
from coord.interop.jsonl import InvalidLine, parse_line, parse_line_strictly


class Obj(list[tuple[str, Any]]):
    """A JSON object as written: its members in order, keys possibly repeated."""


def shape(value: Any) -> list[Any]:
    """The value as a flat list of tokens, so that types and key order are compared too
    (1, 1.0 and True differ) and deep nesting needs no recursion."""
    out: list[Any] = []
    stack: list[tuple[bool, Any]] = [(False, value)]  # (a token already?, item)
    while stack:
        token, item = stack.pop()
        if token:
            out.append(item)
        elif isinstance(item, dict):
            out.append("{")
            stack.append((True, "}"))
            for key, child in reversed(item.items()):
                stack.extend([(False, child), (True, ("key", key))])
        elif isinstance(item, list):
            out.append("[")
            stack.append((True, "]"))
            stack.extend((False, child) for child in reversed(item))
        else:
            out.append((type(item).__name__, repr(item)))
    return out


def outcome(parse: Any, text: str) -> tuple[str, Any]:
    try:
        return ("parsed", shape(parse(text)))
    except InvalidLine as error:
        return ("refused", error.reason)


WHITE = st.sampled_from(["", "", "", " ", "  ", "\t", "\r", "\n", " \t"])
#: few key names, so that repeats are common
KEYS = st.sampled_from(["a", "b", "type", "data", 'q"', "k\\", "é", "\x00", ":", '":'])
STRINGS = st.one_of(
    st.text(max_size=12),
    st.sampled_from(['":', '" :', "\\", '\\"', "a\tb", "\ud800", "\udfff", "\x00", "\u2028"]),
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -0, 2**63, 2**64, -(2**63) - 1, 10**30]),
    st.floats(allow_nan=True, allow_infinity=True),
    STRINGS,
)
VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.lists(st.tuples(KEYS, children), max_size=5).map(Obj),
    ),
    max_leaves=20,
)


OBJECTS = st.lists(st.tuples(KEYS, VALUES), max_size=6).map(Obj)


@st.composite
def json_text(draw: st.DrawFn, values: st.SearchStrategy[Any] = OBJECTS) -> str:
    """A drawn value written as JSON, with drawn white space and escaping."""
    value = draw(values)
    ascii_only = draw(st.booleans())

    def write(item: Any) -> str:
        space = lambda: draw(WHITE)  # noqa: E731
        if isinstance(item, Obj):
            members = [
                f"{space()}{json.dumps(k, ensure_ascii=ascii_only)}{space()}:{space()}{write(v)}"
                for k, v in item
            ]
            return "{" + ",".join(members) + space() + "}"
        if isinstance(item, list):
            return "[" + ",".join(space() + write(v) for v in item) + space() + "]"
        if isinstance(item, str):
            return json.dumps(item, ensure_ascii=ascii_only)
        return json.dumps(item)  # NaN and Infinity as Python writes them

    return draw(WHITE) + write(value) + draw(WHITE)


@st.composite
def damaged(draw: st.DrawFn) -> str:
    """A JSON text cut short or with a character put in or taken out."""
    text = draw(json_text())
    where = draw(st.integers(0, len(text)))
    match draw(st.integers(0, 2)):
        case 0:
            return text[:where]
        case 1:
            return text[:where] + draw(st.sampled_from('{}[]",: \\0e.-x')) + text[where:]
        case _:
            return text[:where] + text[where + 1 :]


@settings(max_examples=2000, deadline=None)
@given(text=st.one_of(json_text(), damaged(), json_text(VALUES)))
@example('{"a" :1,"a":2,"b":3}')  # a repeat hidden by a space before a colon
@example('{"a":1,"a":2,"s":"x\\":"}')  # ... or balanced by a quote-colon in a string
@example('{"a":"\\u0022","a":1}')  # an escaped quote counted as a string's delimiter
@example('{"a":{"a":1},"b":[{"a":2,"a":3}]}')
@example('{"a":1}\n')
@example('{"a":' + "[" * 1010 + "]" * 1010 + "}")  # orjson nests deeper than Python
@example('{"a":' + "[" * 100 + "]" * 100 + "}")
@example('{"a":18446744073709551616}')  # orjson reads this as a float
@example('{"a":1e400}')
@example('{"a":-0.0,"b":1E2}')
@example("\ufeff{}")
def test_the_fast_parse_is_the_strict_parse(text: str) -> None:
    assert outcome(parse_line, text) == outcome(parse_line_strictly, text)


def test_the_fast_parse_reads_a_generated_log_as_the_strict_parser_does() -> None:
    out = io.BytesIO()
    generate(load_network(), seed=5, months=1, out=out, scale=0.05, start=date(2025, 3, 3))
    lines = out.getvalue().decode("utf-8").splitlines()
    assert len(lines) > 100
    for line in lines:
        assert outcome(parse_line, line) == outcome(parse_line_strictly, line)


#: an ordinary line, as coord writes it
PLAIN_LINE = (
    '{"event_id":"29b972ee-26c0-4fb9-9144-a1cd1aabe0ac","type":"SiteRegistered",'
    '"occurred_at":"2025-11-01T07:00:00Z","actor":{"user":"u","site":"S01"},'
    '"data":{"site_id":"S01","name":"St Aldric\'s","specialist_for":["prostate"]}}'
)


def test_the_fast_parse_answers_plain_lines_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    """The point of the fast path: an ordinary line never reaches the strict parser."""
    from coord.interop import jsonl

    def strict(text: str) -> dict[str, Any]:
        raise AssertionError("the strict parser was used")

    monkeypatch.setattr(jsonl, "parse_line_strictly", strict)
    line = PLAIN_LINE
    assert parse_line(line)["data"]["specialist_for"] == ["prostate"]
    assert parse_line(json.dumps(json.loads(line)))["type"] == "SiteRegistered"


def plain(value: Any) -> Any:
    """A drawn value as Python's parser would read it (the last of repeated keys)."""
    if isinstance(value, Obj):
        return {k: plain(v) for k, v in value}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


@settings(max_examples=500, deadline=None)
@given(value=OBJECTS, brackets=st.integers(0, 3))
@example(value=Obj([("a", 2**64)]), brackets=0)  # written back as a float
@example(value=Obj([("a", -0.0), ("b", 1e300)]), brackets=0)
@example(value=Obj([("a", "[" * 100)]), brackets=0)  # brackets in a string count too
def test_a_line_as_orjson_writes_it_is_read_as_the_strict_parser_reads_it(
    value: Obj, brackets: int
) -> None:
    """The lines ``coord export`` and the generator write (orjson's own form), nested a
    little deeper or not."""
    try:
        text = orjson.dumps({"n": [[[]]] * brackets, **plain(value)}).decode()
    except orjson.JSONEncodeError:  # an integer over 64 bits
        return
    assert outcome(parse_line, text) == outcome(parse_line_strictly, text)


def test_a_line_as_orjson_writes_it_is_not_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    """The quicker check of an ordinary line: orjson writes it back as it is, so its keys
    and strings are not counted against the text (29.7k -> 24.7k instructions a line)."""
    from coord.interop import jsonl

    def counted(*args: object, **kwargs: object) -> int:
        raise AssertionError("the keys were counted")

    monkeypatch.setattr(jsonl, "_count_in", counted)
    line = PLAIN_LINE
    assert parse_line(line)["data"]["specialist_for"] == ["prostate"]
    with pytest.raises(AssertionError, match="counted"):  # any other form is counted
        parse_line(json.dumps(json.loads(line)))
