"""A workspace: a database and who is recording on it. Headless (no Textual), so the
record/check path is the same for the terminal UI and its tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from coord.app.database import Database, stored_time_zone
from coord.app.recording import EventRejected, record
from coord.domain.ledger import Ledger
from coord.domain.log import Accepted, Rejected
from coord.events import Actor, Event, EventData, new_event, parse_timestamp
from coord.store import ConcurrencyError

__all__ = ["EventRejected", "Workspace", "utc_now"]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Workspace:
    """What a UI session works on: the database and the actor stored on every event.

    ``clock`` gives "now" (injected in tests and snapshots so that wall-clock time never
    reaches them); it is the default ``occurred_at`` and the store clock the rules use.
    """

    database: Database
    actor: Actor
    clock: Callable[[], datetime] = field(default=utc_now)

    @property
    def time_zone(self) -> ZoneInfo:
        """The network's time zone the screens show times in: as stored when the database
        was opened, then as the app last read it (it follows ``coord init --tz`` from
        another process within a poll). The rules read the stored one themselves."""
        return self.database.time_zone

    def now(self) -> datetime:
        return self.clock().astimezone(UTC)

    def _event(self, data: EventData, occurred_at: datetime | None) -> Event:
        actor = self.actor if self.actor.as_json() else None
        return new_event(data, occurred_at or self.now(), actor=actor)

    def record(self, data: EventData, *, occurred_at: datetime | None = None) -> Event:
        """Append an event with this workspace's actor if the rules accept it; return it
        as stored. Raises :class:`EventRejected` (nothing written) when they refuse it."""
        event = self._event(data, occurred_at)
        for attempt in (1, 2):
            try:
                # the rules take the zone stored now (read with the append lock), not the
                # one shown
                decision = record(self.database.store, event, now=self.now())
            except ConcurrencyError:
                if attempt == 2:
                    raise
                continue
            # a fresh event id is never a duplicate; if it were, the stored one stands
            return decision.event if isinstance(decision, Accepted) else event
        raise AssertionError("unreachable")  # pragma: no cover

    def check(self, data: EventData, *, occurred_at: datetime | None = None) -> str | None:
        """Decide the event with the same rules as :meth:`record`, writing nothing: the
        rule's message, or None if it would be accepted."""
        event = self._event(data, occurred_at)
        with self.database.store.reading() as reader:
            zone = stored_time_zone(reader)  # the network's now, as :meth:`record` takes it
            decision = Ledger(reader, time_zone=zone, now=self.now()).decide(event)
        return decision.reason if isinstance(decision, Rejected) else None

    def head(self) -> int:
        """The global position of the last event (0 when the log is empty)."""
        with self.database.store.reading() as reader:
            head = reader.head()
        return head.position if head else 0


_LOCAL_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S")
LOCAL_TIME_HELP = "YYYY-MM-DD HH:MM (the network's local time), or RFC 3339 with Z or ±hh:mm"


def format_local(instant: datetime | None, zone: ZoneInfo, *, seconds: bool = False) -> str:
    """An instant as the network's local ``YYYY-MM-DD HH:MM`` (empty for None)."""
    if instant is None:
        return ""
    return instant.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def parse_local(text: str, zone: ZoneInfo) -> datetime:
    """A time typed in a form: local ``YYYY-MM-DD HH:MM[:SS]`` in the network's time zone,
    or an RFC 3339 timestamp with an offset. Raises ValueError saying what is expected."""
    value = text.strip()
    for pattern in _LOCAL_FORMATS:
        try:
            naive = datetime.strptime(value, pattern)
        except ValueError:
            continue
        return naive.replace(tzinfo=zone).astimezone(UTC)
    try:
        return parse_timestamp(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a time; write {LOCAL_TIME_HELP}") from None
