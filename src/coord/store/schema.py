"""The database schema of the event log: events, their reference index, settings.

``events`` and ``event_references`` are append-only (triggers reject UPDATE, DELETE and,
on PostgreSQL, TRUNCATE; see ``migrations/versions/0001_event_log.py``). ``settings`` is an
ordinary key/value table (the network's time zone).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

#: The message of the append-only triggers (SQLite and PostgreSQL).
APPEND_ONLY_MESSAGE = "coord: the event log is append-only; record an EventRetracted instead"


class UTCDateTime(TypeDecorator[datetime]):
    """An aware instant stored in UTC, read back as an aware UTC datetime.

    PostgreSQL: ``timestamp with time zone``. SQLite: text ``YYYY-MM-DD HH:MM:SS.ffffff``
    in UTC (fixed width, so text order is time order). Naive datetimes are refused.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError(f"expected an aware datetime, got {value!r}")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        instant = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        if instant.tzinfo is None:
            return instant.replace(tzinfo=UTC)
        return instant.astimezone(UTC)


# On SQLite an INTEGER PRIMARY KEY is the rowid (no separate index); BIGINT elsewhere.
Position = BigInteger().with_variant(Integer(), "sqlite")

events = Table(
    "events",
    metadata,
    Column("position", Position, primary_key=True, autoincrement=False),
    Column("event_id", String(36), nullable=False),
    Column("stream", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("type", String(100), nullable=False),
    Column("schema_version", Integer, nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("actor", JSON, nullable=True),
    Column("data", JSON, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    UniqueConstraint("event_id"),
    UniqueConstraint("stream", "version"),
    Index(None, "recorded_at"),
)

event_references = Table(
    "event_references",
    metadata,
    Column("position", Position, ForeignKey("events.position"), nullable=False),
    Column("ordinal", SmallInteger, nullable=False),
    Column("key", Text, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("position", "ordinal"),
    Index(None, "key"),
)

settings = Table(
    "settings",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("value", Text, nullable=False),
)

#: Settings keys.
TIME_ZONE_KEY = "time_zone"


#: The read models' figure columns: what the reports group and count by, kept beside the
#: payload so that a report is one aggregate query (``None`` where a kind has no such
#: figure). Durations are whole microseconds; day counts are in the network's time zone.
FIGURE_COLUMNS: tuple[tuple[str, Any], ...] = (
    # keys a report groups by
    ("from_site", Text),
    ("to_site", Text),
    ("presenting_site", Text),
    ("host_site", Text),
    ("pathway", Text),
    ("item", Text),
    ("method", Text),
    # what the reports count and measure
    ("reason", Text),  # a deferral's reason
    ("elapsed_us", BigInteger),  # transfer request -> receipt; handover initiated -> acknowledged
    ("received_days", Integer),  # referral: clock_start -> local date of receipt
    ("treated_days", Integer),  # referral: clock_start -> local date of treatment
    ("failed", SmallInteger),  # transfer
    ("declined", SmallInteger),  # handover
    ("completed", SmallInteger),  # handover
    ("accepted", SmallInteger),  # referral
    ("rejected", SmallInteger),  # referral
    ("chases", Integer),  # transfer
    ("required_items", Integer),  # discussion
    ("available_items", Integer),  # discussion
    ("ready_at_cutoff", SmallInteger),  # listing
    ("technical_issues", Integer),  # meeting
    ("sites_present", Integer),  # meeting
    ("groups_present", Integer),  # meeting
)
FIGURE_NAMES = tuple(name for name, _ in FIGURE_COLUMNS)


def read_models_table(name: str = "read_models", primary_key: str = "pk_read_models") -> Table:
    """The read models' rows: one row per derived record (a case, a listing, a
    discussion, a transfer, ...), kept by the projections in the append transaction.

    ``owner`` is the subject whose events produce the row (``case:C-1``, ``transfer:T``):
    a change to that subject replaces exactly its rows. ``at`` is the instant a report
    filters the record by (discussed, requested, scheduled, ...); ``ref`` a second key
    (a step's meeting, a transfer's case). ``rebuild`` fills a fresh table of the same
    shape and swaps it in. The figure columns (:data:`FIGURE_COLUMNS`) repeat, typed,
    what the reports read of the payload.
    """
    return Table(
        name,
        metadata if name == "read_models" else MetaData(naming_convention=NAMING_CONVENTION),
        Column("kind", String(20), nullable=False),
        Column("owner", Text, nullable=False),
        Column("seq", Integer, nullable=False),
        Column("at", UTCDateTime, nullable=True),
        Column("ref", Text, nullable=True),
        Column("payload", JSON, nullable=False),
        *(Column(column, kind, nullable=True) for column, kind in FIGURE_COLUMNS),
        PrimaryKeyConstraint("owner", "kind", "seq", name=primary_key),
    )


read_models = read_models_table()
#: indexes of ``read_models`` (created again on the fresh table after a rebuild).
#: Both cover what the reports read, so that a report reads index entries, not the rows
#: (which their JSON payloads make several times as wide): the records of a kind in
#: ``at`` order with their owner and every figure column (each report's ``GROUP BY``
#: over a period; the range of the gaps query's rows, whose payloads it reads), and the
#: records of a kind by ``ref`` (a step's meeting, a transfer's case) with their owner,
#: item, chases and readiness at cutoff (the steps naming a meeting).
READ_MODEL_INDEXES = (
    ("ix_read_models_kind_at_figures", ("kind", "at", "owner", *FIGURE_NAMES)),
    (
        "ix_read_models_kind_ref_owner",
        ("kind", "ref", "owner", "item", "chases", "ready_at_cutoff"),
    ),
)
for _name, _columns in READ_MODEL_INDEXES:
    Index(_name, *(read_models.c[c] for c in _columns))

projection_checkpoints = Table(
    "projection_checkpoints",
    metadata,
    Column("name", String(50), primary_key=True),
    Column("position", BigInteger().with_variant(Integer(), "sqlite"), nullable=False),
)
