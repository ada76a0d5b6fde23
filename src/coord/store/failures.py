"""What a failure of the database driver says, without SQLAlchemy's wrapping: callers
above the store turn it into a message without knowing SQLAlchemy's exceptions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError

#: ``address``: the database URL could not be understood; ``operation``: the database
#: refused or failed an operation (unreachable, locked, ...); ``other``: any other
#: SQLAlchemy failure
FailureKind = Literal["address", "operation", "other"]


@dataclass(frozen=True, slots=True)
class DatabaseFailure:
    kind: FailureKind
    #: the driver's own words, on one line
    detail: str


def database_failure(error: BaseException) -> DatabaseFailure | None:
    """The kind and one-line detail of a SQLAlchemy failure; None for any other error."""
    if isinstance(error, ArgumentError):
        return DatabaseFailure("address", str(error))
    if isinstance(error, OperationalError):
        detail = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        return DatabaseFailure("operation", detail)
    if isinstance(error, SQLAlchemyError):
        return DatabaseFailure("other", str(error).splitlines()[0])
    return None
