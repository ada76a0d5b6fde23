"""The shape shared by every stream's rules: fold/decide over a stream's own events.

Each stream kind has a small frozen state, ``evolve(state, event) -> state``, a check of
the rules among the stream's own events (``check``) and a check of its references to
other streams (``check_links``, given a :class:`Context`). The generic parts of SPEC §3
(an event needs its stream's opening event and may not occur before it) live here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Generic, Protocol, TypeVar
from zoneinfo import ZoneInfo

from coord.domain.log import Referrer
from coord.events import Event

S = TypeVar("S")

#: May occur (in time) before the event that opens their stream.
EXEMPT_FROM_OPENER_TIME = frozenset({"ItemReceived", "ItemWaived"})


def when(at: datetime) -> str:
    """An instant for a message: UTC, minutes (seconds only when present)."""
    utc = at.astimezone(UTC)
    text = utc.strftime("%Y-%m-%d %H:%M:%S" if utc.second or utc.microsecond else "%Y-%m-%d %H:%M")
    return text + " UTC"


def named_subject(event: Event) -> str:
    """The event's subject as the rules' messages name it (``transfer T1``): made only
    for a message, not by every check (most events pass them)."""
    return f"{event.data.STREAM} {event.subject}"


def local_date(at: datetime, tz: ZoneInfo) -> date:
    """The calendar date of an instant in the network's time zone."""
    return at.astimezone(tz).date()


def field_of(event: Event, name: str) -> Any:
    """A data field of an event (None when the type has no such field)."""
    return getattr(event.data, name, None)


@dataclass(eq=False)
class StreamView:
    """A stream as the rules see it: every event (retractions included), the retracted
    ids, the live events (neither retracted nor retractions) and their fold."""

    stream: str
    events: list[Event] = field(default_factory=list)
    retracted: set[str] = field(default_factory=set)
    live: list[Event] = field(default_factory=list)
    state: Any = None

    @property
    def kind(self) -> str:
        return self.stream.partition(":")[0]

    @property
    def subject(self) -> str:
        return self.stream.partition(":")[2]

    @property
    def opener(self) -> Event | None:
        """The event that opens the stream: its first live event."""
        return self.live[0] if self.live else None

    @property
    def exists(self) -> bool:
        """The stream's opening event is present and not retracted."""
        return bool(self.live)


class Context(Protocol):
    """What cross-stream rules may read: other streams and the reference index."""

    @property
    def tz(self) -> ZoneInfo: ...

    def view(self, stream: str) -> StreamView: ...

    def referrers(self, key: str) -> Sequence[Referrer]: ...


@dataclass(frozen=True)
class StreamRules(Generic[S]):
    """The rules of one stream kind."""

    kind: str
    #: the type that opens the stream ("" when the stream has none, e.g. protocol)
    opener: str
    #: e.g. "has not been made (no ReferralMade)"; follows "<kind> <id> "
    missing: str
    initial: S
    evolve: Callable[[S, Event], S]
    check: Callable[[S, Event, ZoneInfo], str | None]
    check_links: Callable[[S, Event, Context], str | None]
    #: events of the stream are independent of each other (protocol versions)
    independent: bool = False


def check_in_stream(
    rules: StreamRules[Any], state: Any, opener: Event | None, event: Event, tz: ZoneInfo
) -> str | None:
    """The rules among a stream's own events for appending ``event``."""
    if rules.opener and event.type != rules.opener:
        if opener is None:
            return f"{rules.kind} {event.subject} {rules.missing}; record {rules.opener} first"
        if event.type not in EXEMPT_FROM_OPENER_TIME and event.occurred_at < opener.occurred_at:
            return (
                f"{event.type} occurs at {when(event.occurred_at)}, before {rules.kind} "
                f"{event.subject} was opened by {opener.type} at {when(opener.occurred_at)}; "
                "check the time"
            )
    return rules.check(state, event, tz)


def fold(rules: StreamRules[S], events: Sequence[Event]) -> S:
    """The state of a stream from its live events."""
    state = rules.initial
    for event in events:
        state = rules.evolve(state, event)
    return state


def replay(rules: StreamRules[Any], events: Sequence[Event], tz: ZoneInfo) -> str | None:
    """Check a sequence of live events against the stream's own rules, in order.

    Returns the first problem as "<type> <event_id>: <reason>", or None.
    """
    if rules.independent:
        return None
    state = rules.initial
    opener: Event | None = None
    for event in events:
        reason = check_in_stream(rules, state, opener, event, tz)
        if reason is not None:
            return f"{event.type} {event.event_id} ({reason})"
        state = rules.evolve(state, event)
        opener = opener or event
    return None


def no_links(state: object, event: Event, ctx: Context) -> str | None:
    """For streams whose events reference nothing outside them."""
    return None


def first_problem(*reasons: str | None) -> str | None:
    """The first of several (lazily computed elsewhere) reasons that is not None."""
    for reason in reasons:
        if reason is not None:
            return reason
    return None


def missing_site(ctx: Context, site_id: str, role: str) -> str | None:
    """None when the site exists; else why not."""
    if ctx.view(f"site:{site_id}").exists:
        return None
    return f"{role} {site_id} is not a registered site; record SiteRegistered for it first"


def missing_patient(ctx: Context, patient_id: str) -> str | None:
    """None when the patient is registered; else why not."""
    if ctx.view(f"patient:{patient_id}").exists:
        return None
    return f"patient {patient_id} is not registered; record PatientRegistered first"


def different_sites(kind: str, event: Event) -> str | None:
    """Transfers and referrals are between two different sites."""
    from_site, to_site = field_of(event, "from_site"), field_of(event, "to_site")
    if from_site == to_site:
        return (
            f"a {kind} is between two different sites, but from_site and to_site are both {to_site}"
        )
    return None
