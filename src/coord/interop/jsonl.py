"""JSON Lines in and out (SPEC §2–3, §8).

Reading is streamed: a file is read line by line in binary, so a large file never has
to fit in memory, and a line that is too long is skipped without being held whole.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson

from coord.events import Event, encode_event
from coord.events.records import builder

#: A line longer than this is rejected unread (no event comes near it: text fields are
#: at most 10,000 code points).
MAX_LINE_BYTES = 1024 * 1024
_BOM = b"\xef\xbb\xbf"


class InvalidLine(ValueError):
    """A line that is not one JSON object."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Line:
    """One non-empty physical line: its 1-based number, its text (no line end), and the
    byte offset just past it (for progress)."""

    number: int
    text: str
    end_offset: int
    error: str | None = None


#: Line(number, text, end_offset, error), built quickly (once for every line)
_line = builder(Line)


def read_lines(stream: IO[bytes]) -> Iterator[Line]:
    """Yield the non-empty lines of a binary stream, numbered by physical line.

    A UTF-8 BOM and CRLF line ends are accepted; lines of only white space are
    skipped. A line that is not UTF-8, or longer than :data:`MAX_LINE_BYTES`, is
    yielded with ``error`` set and its text cut short.
    """
    number = 0
    offset = 0
    while True:
        chunk = stream.readline(MAX_LINE_BYTES + 1)
        if not chunk:
            return
        number += 1
        offset += len(chunk)
        if number == 1 and chunk.startswith(_BOM):
            chunk = chunk[len(_BOM) :]
        if len(chunk) > MAX_LINE_BYTES and not chunk.endswith(b"\n"):
            # Consume the rest of the over-long line without holding it.
            while True:
                rest = stream.readline(MAX_LINE_BYTES)
                offset += len(rest)
                if not rest or rest.endswith(b"\n"):
                    break
            yield Line(
                number,
                _preview(chunk),
                offset,
                f"line is longer than {MAX_LINE_BYTES // 1024} KiB; no event is that long",
            )
            continue
        body = chunk.rstrip(b"\n").removesuffix(b"\r")
        # isspace: what strip() tells, without copying the line
        if not body or body.isspace():
            continue
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as error:
            yield Line(
                number,
                body.decode("utf-8", errors="replace"),
                offset,
                f"line is not valid UTF-8 (bad byte at column {error.start + 1}); "
                "save the file as UTF-8",
            )
            continue
        if text.isspace():
            continue
        yield _line(number, text, offset, None)


def _preview(chunk: bytes) -> str:
    return chunk[:200].decode("utf-8", errors="replace") + "..."


def _reject_constant(name: str) -> Any:
    raise InvalidLine(f"{name} is not valid JSON; numbers must be finite")


def _object_without_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise InvalidLine(f"key {key!r} appears twice in one object; give each field once")
        result[key] = value
    return result


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise InvalidLine(f"number {text[:20]}... is out of range")
    return value


def parse_line(text: str) -> dict[str, Any]:
    """Parse one line as a JSON object, rejecting repeated keys, NaN/Infinity and
    numbers or nesting too large to be an event.

    orjson parses first; its answer is taken only when it is certainly the strict
    parser's (:func:`parse_line_strictly`): an object that orjson writes back as the very
    text, with few brackets (:func:`_written_back`), or with no float, no deep nesting and
    no repeated key (counted against the text). Anything else, and every line orjson
    refuses, is parsed again strictly, so the value and every reason are the strict
    parser's.
    """
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return parse_line_strictly(text)
    if type(value) is dict:
        if _written_back(value, text):
            return value
        strings = _count_in(value, 0, strings=True)
        if strings >= 0:
            if "\\" not in text:
                # No escape: every quote in the text delimits a string, and a repeated
                # key would leave fewer strings (its key at least) than the text holds.
                if text.count('"') == 2 * strings:
                    return value
            elif _count_in(value, 0, strings=False) == _most_keys(text):
                return value
    return parse_line_strictly(text)


#: Objects nested deeper than this are left to the strict parser (an event nests 3 deep).
_FAST_DEPTH = 8
#: Lines with more brackets than this (so possibly nested as deep) are not taken as
#: written back: far below the strict parser's recursion limit (about 1,000).
_FAST_BRACKETS = 100


def _written_back(value: dict[str, Any], text: str) -> bool:
    """Whether orjson writes ``value`` back as ``text`` exactly (as it wrote every line of
    ``coord export`` and of the demo generator): then the text holds no repeated key (the
    text written from a dict names each key once), every number in it is orjson's
    shortest form of the value read (an integer orjson read as a float is written back
    otherwise), which Python's parser reads as the same value, and with at most
    :data:`_FAST_BRACKETS` brackets it is not nested too deeply for that parser. Cheaper
    than counting the keys and strings (:func:`_count_in`): parsing a line of the 15k
    log took 29.7k instructions, 24.7k now (callgrind)."""
    return (
        text.count("{") + text.count("[") <= _FAST_BRACKETS  # first: orjson writes 255 deep
        and orjson.dumps(value) == text.encode()
    )


def _count_in(value: dict[str, Any] | list[Any], depth: int, *, strings: bool) -> int:
    """The number of keys of every object in ``value`` (its own and nested ones), plus
    every string value when ``strings``; -1 when orjson's answer may differ from the
    strict parser's: a float (the strict parser checks its range; orjson also turns
    integers over 64 bits into floats) or nesting deeper than :data:`_FAST_DEPTH` (the
    strict parser's recursion limit is lower than orjson's)."""
    if depth > _FAST_DEPTH:
        return -1
    if type(value) is dict:
        total = len(value)
        children: Iterable[Any] = value.values()
    else:
        total = 0
        children = value
    for child in children:
        kind = type(child)
        if kind is str:
            total += strings
        elif kind is dict or kind is list:
            inner = _count_in(child, depth + 1, strings=strings)
            if inner < 0:
                return -1
            total += inner
        elif kind is float:
            return -1
    return total


def _most_keys(text: str) -> int:
    """An upper bound on the number of object members written in ``text``: each member's
    key ends in a quote followed by ``:`` or JSON white space, and no two members share
    that quote. When the parsed objects hold this many keys, no key was repeated (a
    repeated key leaves fewer keys than members)."""
    return (
        text.count('":')
        + text.count('" ')
        + text.count('"\t')
        + text.count('"\r')
        + text.count('"\n')
    )


def parse_line_strictly(text: str) -> dict[str, Any]:
    """:func:`parse_line` by the standard library's parser alone, with a hook for each
    repeated key, non-finite constant and out-of-range number (the reference for every
    reason a line is refused)."""
    try:
        value = json.loads(
            text,
            object_pairs_hook=_object_without_repeats,
            parse_constant=_reject_constant,
            parse_float=_parse_float,
        )
    except InvalidLine:
        raise
    except json.JSONDecodeError as error:
        raise InvalidLine(f"not valid JSON: {error.msg} at column {error.colno}") from None
    except RecursionError:
        raise InvalidLine("JSON is nested too deeply to be an event") from None
    except ValueError as error:  # e.g. an integer with more digits than Python converts
        raise InvalidLine(f"not a valid JSON value: {str(error)[:80]}") from None
    if not isinstance(value, dict):
        raise InvalidLine(f"expected a JSON object per line, found {type(value).__name__}")
    return value


def dump_event(event: Event) -> bytes:
    """One exported line: the canonical export form, UTF-8, ending in a newline."""
    return orjson.dumps(encode_event(event)) + b"\n"


def open_input(path: Path) -> IO[bytes]:
    """Open an input file for streaming, or raise OSError with the OS's reason."""
    return path.open("rb")
