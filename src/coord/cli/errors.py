"""Turning failures into messages: a user sees what went wrong and what to do, never a
traceback (set COORD_DEBUG=1 to see one)."""

from __future__ import annotations

import os
import sys
import traceback
from zoneinfo import ZoneInfoNotFoundError

from rich.console import Console
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError

from coord.app.database import DatabaseNotFound
from coord.app.importing import ImportRejected
from coord.app.recording import EventRejected
from coord.projections.live import ReadModelsBehind
from coord.store import ConcurrencyError, SchemaError, StoreBusy

stderr = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)

EXIT_FAILURE = 1
EXIT_INTERNAL = 70


def message_for(error: BaseException) -> tuple[str, int]:
    """The message and exit status for a failure."""
    if isinstance(error, ImportRejected):
        return f"{error}", EXIT_FAILURE
    if isinstance(error, DatabaseNotFound | SchemaError | EventRejected | ReadModelsBehind):
        return str(error), EXIT_FAILURE
    if isinstance(error, StoreBusy):
        return (
            "another coord process has been writing to this database for over 30 s; "
            "wait for it to finish and try again",
            EXIT_FAILURE,
        )
    if isinstance(error, ConcurrencyError):
        return f"{error}; someone else recorded to it at the same time: try again", EXIT_FAILURE
    if isinstance(error, ZoneInfoNotFoundError):
        return (
            f"{(error.args or ['?'])[0]!r} is not a known time zone; "
            "use an IANA name such as Europe/London",
            EXIT_FAILURE,
        )
    if isinstance(error, ArgumentError):
        return (
            f"{error}; --db takes a file path or a URL such as "
            "postgresql+psycopg://user:password@host/dbname",
            EXIT_FAILURE,
        )
    if isinstance(error, OperationalError):
        detail = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        return f"database error: {detail}", EXIT_FAILURE
    if isinstance(error, SQLAlchemyError):
        return f"database error: {str(error).splitlines()[0]}", EXIT_FAILURE
    if isinstance(error, OSError):
        return str(error), EXIT_FAILURE
    return (
        f"unexpected error: {type(error).__name__}: {error}. This is a bug in coord; "
        "please report it with the command you ran (COORD_DEBUG=1 shows details)",
        EXIT_INTERNAL,
    )


def report(error: BaseException) -> int:
    """Print a failure as a message on standard error and return the exit status."""
    text, status = message_for(error)
    if os.environ.get("COORD_DEBUG"):
        traceback.print_exception(error, file=sys.stderr)
    stderr.print(f"coord: {text}", markup=False)
    return status
