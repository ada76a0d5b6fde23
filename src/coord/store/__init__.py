"""The event store: SQLAlchemy lives here and nowhere above it.

Schema and Alembic upgrade (:mod:`.migrate`), engines (:mod:`.engine`), the event log
(:mod:`.log`) and integrity verification (:mod:`.integrity`).
"""

from coord.store.chain import GENESIS_HASH, Head
from coord.store.engine import create_engine_for
from coord.store.integrity import Problem, VerifyResult, verify
from coord.store.log import (
    ConcurrencyError,
    DuplicateEventError,
    EventStore,
    Reader,
    StoreBusy,
    Writer,
)
from coord.store.migrate import (
    DEFAULT_TIME_ZONE,
    InvalidTimeZone,
    NewerSchema,
    NotInitialised,
    OutdatedSchema,
    SchemaError,
    check_schema,
    upgrade,
)
from coord.store.rows import StoredEvent

__all__ = [
    "DEFAULT_TIME_ZONE",
    "GENESIS_HASH",
    "ConcurrencyError",
    "DuplicateEventError",
    "EventStore",
    "Head",
    "InvalidTimeZone",
    "NewerSchema",
    "NotInitialised",
    "OutdatedSchema",
    "Problem",
    "Reader",
    "SchemaError",
    "StoreBusy",
    "StoredEvent",
    "VerifyResult",
    "Writer",
    "check_schema",
    "create_engine_for",
    "upgrade",
    "verify",
]
