"""The network's state while generating: time, random draws, ids, actors, protocols and
the meetings on the calendar. Every lifecycle reads and draws through one :class:`World`.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from random import Random

from coord.demo.engine import Engine, Process
from coord.demo.network import Network, Pathway
from coord.events import Actor

DEFAULT_START = date(2025, 1, 6)

MINUTE = 60

HOUR = 3600

DAY = 86_400

MONTH = 30.44 * DAY

WORK_START = time(8, 0)

WORK_END = time(17, 30)

#: NHS numbers are drawn from the 999 range (never issued to patients).
NHS_PREFIX = "999"


def add_months(start: date, months: int) -> date:
    year, month = divmod(start.month - 1 + months, 12)
    year += start.year
    month += 1
    days = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(start.day, days))


@dataclass(eq=False, slots=True)
class Meeting:
    meeting_id: str
    pathway: Pathway
    scheduled_for: int
    cutoff: int
    technical_issues: int
    #: presenting sites of the cases listed for it, in listing order (host not included)
    presenting: dict[str, int] = field(default_factory=dict)


class World:
    """The network's state while generating: meetings, protocols, counters."""

    def __init__(
        self, network: Network, *, seed: int, scale: float, start: date, end: date
    ) -> None:
        self.net = network
        self.tz = network.time_zone
        self.rng = Random(seed)
        self.scale = scale
        self.start = self.at(start, time(0, 0))
        self.end = self.at(end, time(0, 0))
        self.revision_at = self._revision_moment(start, end)
        self.engine: Engine | None = None
        self.meetings: dict[str, deque[Meeting]] = {p.name: deque() for p in network.pathways}
        self.protocols: dict[str, list[tuple[int, tuple[str, ...]]]] = {
            p.name: [] for p in network.pathways
        }
        self.item_kinds = dict(network.items)
        self.all_items = tuple(sorted(self.item_kinds))
        self.sites = {s.id: s for s in network.sites}
        self._actors: dict[tuple[str, str], Actor] = {}
        self._counters: dict[str, int] = {}
        self._nhs_index = 0
        self._nhs_offset = self.rng.randrange(1_000_000)
        self.catchment = list(network.sites)
        self.catchment_weights = [float(s.population) for s in network.sites]

    # --- time -------------------------------------------------------------------------

    def at(self, day: date, clock: time) -> int:
        """Epoch seconds of a local date and time."""
        return int(datetime.combine(day, clock, tzinfo=self.tz).timestamp())

    def local(self, seconds: int) -> datetime:
        return datetime.fromtimestamp(seconds, self.tz)

    def teething(self, seconds: int) -> float:
        """1 at go-live, falling to 0: how much of the early problems remain."""
        months = max(0.0, (seconds - self.start) / MONTH)
        return math.exp(-months / self.net.teething_months)

    def working(self, seconds: int) -> int:
        """The moment itself in working hours (weekdays 08:00–17:30), else a time early on
        the next working morning."""
        local = self.local(seconds)
        day, clock = local.date(), local.time()
        if day.weekday() < 5 and WORK_START <= clock < WORK_END:
            return seconds
        if day.weekday() >= 5 or clock >= WORK_END:
            day += timedelta(days=1)
            while day.weekday() >= 5:
                day += timedelta(days=1)
        return self.at(day, WORK_START) + self.rng.randrange(0, 90 * MINUTE)

    def _revision_moment(self, start: date, end: date) -> int:
        """A quiet instant mid-period: the first Saturday noon on or after the midpoint.
        Cases are listed on weekdays only (and recorded within the hour), so every listing
        before this moment is in the log before it and none occurs at or after it."""
        middle = self.local((self.at(start, time(0, 0)) + self.at(end, time(0, 0))) // 2).date()
        while middle.weekday() != 5:
            middle += timedelta(days=1)
        return self.at(middle, time(12, 0))

    # --- random helpers -------------------------------------------------------------------

    def hours(self, median: float, spread: float) -> int:
        """Seconds drawn log-normally around a median in hours."""
        return int(self.rng.lognormvariate(math.log(median), spread) * HOUR)

    def between(self, low: int, high: int) -> int:
        return low if high <= low else self.rng.randrange(low, high)

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def poisson(self, mean: float) -> int:
        if mean <= 0:
            return 0
        if mean > 30:
            return max(0, round(self.rng.gauss(mean, math.sqrt(mean))))
        limit, product, n = math.exp(-mean), self.rng.random(), 0
        while product > limit:
            product *= self.rng.random()
            n += 1
        return n

    def pick(self, weighted: tuple[tuple[str, float], ...]) -> str:
        names = [name for name, _ in weighted]
        return self.rng.choices(names, [w for _, w in weighted])[0]

    def lag(self) -> int:
        """The usual delay between a fact and its recording: minutes, now and then a day."""
        if self.chance(self.net.behaviour.late_logging):
            return self.between(6 * HOUR, 3 * DAY)
        return self.between(1 * MINUTE, 40 * MINUTE)

    # --- ids and actors -----------------------------------------------------------------

    def next_id(self, prefix: str, width: int = 6) -> str:
        n = self._counters.get(prefix, 0) + 1
        self._counters[prefix] = n
        return f"{prefix}{n:0{width}d}"

    def nhs_number(self) -> str | None:
        """A fictional NHS number with a valid Modulus 11 check digit, never repeated:
        the 999 range walked in a seed-dependent order (None once it is used up)."""
        while self._nhs_index < 1_000_000:
            body = (387_403 * self._nhs_index + self._nhs_offset) % 1_000_000
            self._nhs_index += 1
            digits = f"{NHS_PREFIX}{body:06d}"
            total = sum(int(c) * w for c, w in zip(digits, range(10, 1, -1), strict=True))
            check = 11 - total % 11
            if check == 10:
                continue
            return digits + str(0 if check == 11 else check)
        return None

    def actor(self, site: str, role: str) -> Actor:
        key = (site, role)
        actor = self._actors.get(key)
        if actor is None:
            actor = Actor(user=f"{role}.{site.lower()}", role=role, site=site)
            self._actors[key] = actor
        return actor

    # --- protocols and meetings -------------------------------------------------------

    def required_items(self, pathway: str, at: int) -> tuple[str, ...]:
        """The items of the protocol in force at ``at`` (published versions only)."""
        items: tuple[str, ...] = ()
        for published, required in self.protocols[pathway]:
            if published <= at:
                items = required
        return items

    def next_meeting(
        self, pathway: str, after: int, *, cutoff_by: int | None = None
    ) -> Meeting | None:
        """The first scheduled meeting at least 4 hours after ``after`` (whose cutoff is
        not before ``cutoff_by``, when given)."""
        queue = self.meetings[pathway]
        while queue and queue[0].scheduled_for < after - 7 * DAY:
            queue.popleft()
        for meeting in queue:
            if meeting.scheduled_for < after + 4 * HOUR:
                continue
            if cutoff_by is not None and meeting.cutoff < cutoff_by:
                continue
            return meeting
        return None

    def meeting_after(self, meeting: Meeting) -> Meeting | None:
        """The pathway's next meeting on the calendar after ``meeting`` (None when it is not
        scheduled yet)."""
        for later in self.meetings[meeting.pathway.name]:
            if later.scheduled_for > meeting.scheduled_for:
                return later
        return None

    # --- lifecycles ---------------------------------------------------------------------

    def spawn(self, process: Process) -> None:
        assert self.engine is not None
        self.engine.spawn(process)

    @property
    def now(self) -> int:
        assert self.engine is not None
        return self.engine.now
