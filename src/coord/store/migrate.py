"""Creating and upgrading the schema with Alembic (``coord init``), and the stored settings.

The migrations ship inside the wheel as ``coord/migrations``; in an editable install they
are the repository's top-level ``migrations/`` folder.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Connection, Engine, delete, func, insert, inspect, select, text, update

from coord.store.engine import WRITE, is_postgresql
from coord.store.log import APPEND_LOCK_KEY, LOCK_TIMEOUT
from coord.store.schema import TIME_ZONE_KEY, projection_checkpoints, settings

if TYPE_CHECKING:
    from alembic.config import Config

DEFAULT_TIME_ZONE = "Europe/London"
#: the schema revision this release works with: the last migration in ``migrations/``
#: (a test checks it against Alembic's scripts). Opening a database compares the stored
#: revision with it, so that a command does not import Alembic and load its scripts
#: just to start (Alembic was about 15 % of every command's start-up)
SCHEMA_HEAD = "0005"
#: the table where Alembic keeps a database's revision
_VERSION_TABLE = "alembic_version"


class SchemaError(RuntimeError):
    """The database's schema is not the one this release of coord works with."""


class NotInitialised(SchemaError):
    def __init__(self) -> None:
        super().__init__("this database has no coord schema; run `coord init` first")


class OutdatedSchema(SchemaError):
    def __init__(self, revision: str, head: str) -> None:
        super().__init__(
            f"this database's coord schema is at revision {revision}, older than this "
            f"release's {head}; run `coord init` to upgrade it"
        )


class NewerSchema(SchemaError):
    def __init__(self, revision: str) -> None:
        super().__init__(
            f"this database's coord schema (revision {revision}) was written by a newer "
            "coord; upgrade coord to use it"
        )


class InvalidTimeZone(ZoneInfoNotFoundError):
    """An unknown time zone name (``args[0]`` is the name, as for ZoneInfoNotFoundError)."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name

    def __str__(self) -> str:
        return f"{self.name!r} is not a known time zone; use an IANA name such as Europe/London"


def migrations_dir() -> Path:
    """The Alembic script directory (wheel: ``coord/migrations``; else the repository's)."""
    packaged = importlib.resources.files("coord") / "migrations"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[3] / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()).replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The last migration's revision, as Alembic finds it in its scripts."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def validate_time_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidTimeZone(name) from None


def upgrade(engine: Engine, time_zone: str | None = None) -> ZoneInfo:
    """Create or upgrade the schema to head (idempotent) in one transaction, and return
    the network's time zone as it is then stored.

    ``time_zone`` (an IANA name) is stored when given; otherwise the stored one is kept,
    or ``Europe/London`` is stored on a new database.
    """
    from alembic import command

    if time_zone is not None:
        validate_time_zone(time_zone)
    with engine.connect() as connection:
        connection.execution_options(**{WRITE: True})
        with connection.begin():
            if is_postgresql(connection):
                connection.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
                connection.execute(select(func.pg_advisory_xact_lock(APPEND_LOCK_KEY)))
            command.upgrade(alembic_config(connection), "head")
            stored = _stored_time_zone(connection)
            if stored is None:
                connection.execute(
                    insert(settings).values(key=TIME_ZONE_KEY, value=time_zone or DEFAULT_TIME_ZONE)
                )
            elif time_zone is not None and time_zone != stored:
                connection.execute(
                    update(settings).where(settings.c.key == TIME_ZONE_KEY).values(value=time_zone)
                )
                # the read models' day counts are local dates: recomputed by the rebuild
                # that follows when the read models are behind the log
                connection.execute(
                    delete(projection_checkpoints).where(
                        projection_checkpoints.c.name == "read_models"
                    )
                )
    return validate_time_zone(time_zone or stored or DEFAULT_TIME_ZONE)


def schema_revision(connection: Connection) -> str | None:
    """The database's Alembic revision, or None when it has none (read as Alembic
    keeps it: one row in ``alembic_version``)."""
    if not inspect(connection).has_table(_VERSION_TABLE):
        return None
    revision: str | None = connection.execute(
        text(f"SELECT version_num FROM {_VERSION_TABLE}")
    ).scalar()
    return revision


def check_schema(engine: Engine) -> ZoneInfo:
    """Raise a :class:`SchemaError` unless the database is at this release's head, and
    return the network's time zone, read on the same connection (every command opens
    its database so: one connection and one catalogue query, not two)."""
    with engine.connect() as connection:
        revision = schema_revision(connection)
        stored = _stored_time_zone(connection) if revision == SCHEMA_HEAD else None
    if revision is None:
        raise NotInitialised()
    if revision == SCHEMA_HEAD:
        return validate_time_zone(stored or DEFAULT_TIME_ZONE)
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    known = {rev.revision for rev in script.walk_revisions()}
    if revision in known:
        raise OutdatedSchema(revision, SCHEMA_HEAD)
    raise NewerSchema(revision)


def _stored_time_zone(connection: Connection) -> str | None:
    value: str | None = connection.execute(
        select(settings.c.value).where(settings.c.key == TIME_ZONE_KEY)
    ).scalar()
    return value
