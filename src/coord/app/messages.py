"""Failures in words: what went wrong and what to do, for the CLI and the terminal UI
alike, never a traceback. The status is the exit status a command ends with."""

from __future__ import annotations

from zoneinfo import ZoneInfoNotFoundError

from coord.app.database import DatabaseNotFound
from coord.app.importing import ImportRejected
from coord.app.recording import EventRejected
from coord.projections.live import ReadModelsBehind
from coord.store import ConcurrencyError, SchemaError, StoreBusy
from coord.store.failures import database_failure

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
    failure = database_failure(error)
    if failure is not None and failure.kind == "address":
        return (
            f"{failure.detail}; --db takes a file path or a URL such as "
            "postgresql+psycopg://user:password@host/dbname",
            EXIT_FAILURE,
        )
    if failure is not None:
        return f"database error: {failure.detail}", EXIT_FAILURE
    if isinstance(error, OSError):
        return str(error), EXIT_FAILURE
    return (
        f"unexpected error: {type(error).__name__}: {error}. This is a bug in coord; "
        "please report it with the command you ran (COORD_DEBUG=1 shows details)",
        EXIT_INTERNAL,
    )
