"""The seeded generator: months of a demo network's activity as a valid event log.

``generate(network, seed=S, months=M, out=FILE)`` writes JSON Lines (the import format)
that the domain rules accept in full. Same network and arguments, same bytes: every random
choice comes from ``random.Random(seed)`` in the order the engine runs lifecycles, event
ids from a second generator seeded from the seed, and nothing depends on the clock or on
hash order. See docs/demo-network.md for what the log contains.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from random import Random
from typing import BinaryIO

from coord.demo.engine import Emit, Engine, Process, Sleep
from coord.demo.network import GROUPS, Network, Outcome, Pathway, Site
from coord.events import Actor
from coord.events.types import (
    ActionAgreed,
    ActionCompleted,
    AttendanceRecorded,
    CaseDeferred,
    CaseDiscussed,
    CaseListed,
    CaseRelisted,
    DeferralReason,
    EventRetracted,
    HandoverAcknowledged,
    HandoverCompleted,
    HandoverDeclined,
    HandoverInitiated,
    ItemReceived,
    ItemWaived,
    MeetingScheduled,
    OutcomeCommunicated,
    PatientRegistered,
    ProfessionalGroup,
    ProtocolPublished,
    ReferralAccepted,
    ReferralMade,
    ReferralReceived,
    ReferralRejected,
    SiteRegistered,
    TechnicalIssueKind,
    TechnicalIssueReported,
    TransferChased,
    TransferFailed,
    TransferMethod,
    TransferReceived,
    TransferRequested,
    TransferSent,
    TreatmentStarted,
)

DEFAULT_START = date(2025, 1, 6)
MINUTE = 60
HOUR = 3600
DAY = 86_400
MONTH = 30.44 * DAY
WORK_START = time(8, 0)
WORK_END = time(17, 30)
#: Meetings are scheduled this many days ahead.
SCHEDULE_AHEAD_DAYS = 28
#: A case is listed at most this many times; the last listing is always discussed.
MAX_LISTINGS = 3
#: NHS numbers are drawn from the 999 range (never issued to patients).
NHS_PREFIX = "999"

_GROUP_CODES: dict[str, str] = {
    "surgeon": "SUR",
    "oncologist": "ONC",
    "radiologist": "RAD",
    "pathologist": "PAT",
    "cns": "CNS",
    "ahp": "AHP",
    "coordinator": "MDC",
    "navigator": "NAV",
}
_TECHNICAL: tuple[tuple[TechnicalIssueKind, str, float], ...] = (
    ("video_link", "video link to {site} dropped; rejoined after {n} minutes", 5.0),
    ("video_link", "no audio from {site} for {n} minutes", 2.0),
    ("video_link", "{site} could not connect; joined by telephone", 1.5),
    ("remote_access", "images could not be shared to {site} for {n} minutes", 1.5),
    ("other", "room booking clash; meeting started {n} minutes late", 0.5),
)
_FAILURES = {
    "pacs": "PACS link unavailable",
    "iep": "image exchange request rejected: patient details did not match",
    "email": "secure email bounced: mailbox not recognised",
    "portal": "portal upload failed",
    "courier": "courier package lost in transit",
}
_ACTIONS = (
    ("book surgical pre-assessment", "host"),
    ("request further imaging", "presenting"),
    ("refer to oncology clinic", "presenting"),
    ("arrange dietitian review", "host"),
    ("confirm patient's fitness with the GP", "presenting"),
    ("book clinic to discuss the plan with the patient", "host"),
)
_METHOD_NAMES: dict[str, TransferMethod] = {
    "pacs": "pacs",
    "iep": "iep",
    "email": "email",
    "portal": "portal",
    "courier": "courier",
}
_REJECTIONS = (
    "does not meet the criteria for specialist surgery; manage locally",
    "duplicate referral",
)


def add_months(start: date, months: int) -> date:
    year, month = divmod(start.month - 1 + months, 12)
    year += start.year
    month += 1
    days = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(start.day, days))


def generate(
    network: Network,
    *,
    seed: int,
    months: int,
    out: BinaryIO,
    scale: float = 1.0,
    start: date = DEFAULT_START,
    on_progress: Callable[[int], None] | None = None,
) -> int:
    """Write ``months`` of activity from ``start`` to ``out``; returns the number of events.

    ``scale`` multiplies patient volume. Lifecycles still in flight at the end are left
    open, as they would be in a real log.
    """
    if months < 1:
        raise ValueError("months must be at least 1")
    if scale <= 0:
        raise ValueError("scale must be positive")
    world = World(network, seed=seed, months=months, scale=scale, start=start)
    engine = Engine(
        out, id_rng=Random(f"coord-demo-ids:{seed}"), end=world.end, on_progress=on_progress
    )
    world.engine = engine
    engine.now = world.start
    engine.spawn(world.go_live())
    return engine.run()


@dataclass(eq=False, slots=True)
class Meeting:
    meeting_id: str
    pathway: Pathway
    scheduled_for: int
    cutoff: int
    technical_issues: int
    #: presenting sites of the cases listed for it, in listing order (host not included)
    presenting: dict[str, int] = field(default_factory=dict)


@dataclass(eq=False, slots=True)
class Delivery:
    """When a case's item became available (None: not yet, as far as is planned)."""

    item: str
    arrival: int | None


class World:
    """The network's state while generating: meetings, protocols, counters."""

    def __init__(
        self, network: Network, *, seed: int, months: int, scale: float, start: date
    ) -> None:
        self.net = network
        self.tz = network.time_zone
        self.rng = Random(seed)
        self.scale = scale
        self.start = self.at(start, time(0, 0))
        self.end = self.at(add_months(start, months), time(0, 0))
        self.revision_at = self._revision_moment(start, months)
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

    def _revision_moment(self, start: date, months: int) -> int:
        """A quiet instant mid-period: the first Saturday noon on or after the midpoint.
        Cases are listed on weekdays only (and recorded within the hour), so every listing
        before this moment is in the log before it and none occurs at or after it."""
        middle = self.local(
            (self.at(start, time(0, 0)) + self.at(add_months(start, months), time(0, 0))) // 2
        ).date()
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

    # --- lifecycles ---------------------------------------------------------------------

    def spawn(self, process: Process) -> None:
        assert self.engine is not None
        self.engine.spawn(process)

    @property
    def now(self) -> int:
        assert self.engine is not None
        return self.engine.now

    def go_live(self) -> Process:
        """Sites and first protocols at 07:00 on the first day; then everything starts."""
        net = self.net
        t = self.start + 7 * HOUR
        manager = self.actor(net.pathways[0].host, "network_manager")
        for i, site in enumerate(net.sites):
            yield Emit(
                t + i * MINUTE,
                SiteRegistered(
                    site_id=site.id, name=site.name, specialist_for=list(site.specialist_for)
                ),
                manager,
                lag=30,
            )
        t += 30 * MINUTE
        for i, pathway in enumerate(net.pathways):
            protocol = net.first_protocol(pathway.name)
            yield Emit(
                t + i * MINUTE,
                ProtocolPublished(
                    pathway=pathway.name,
                    version=protocol.version,
                    required_items=list(protocol.required_items),
                ),
                manager,
                lag=30,
            )
            self.protocols[pathway.name].append((t + i * MINUTE, protocol.required_items))
        revision = net.revision
        if revision is not None:
            self.spawn(
                self.publish_revision(revision.pathway, revision.version, revision.required_items)
            )
        for pathway in net.pathways:
            self.spawn(self.schedule_meetings(pathway))
        for pathway in net.pathways:
            self.spawn(self.referrals(pathway))

    def publish_revision(self, pathway: str, version: int, items: tuple[str, ...]) -> Process:
        at = self.revision_at
        yield Emit(
            at,
            ProtocolPublished(pathway=pathway, version=version, required_items=list(items)),
            self.actor(self.net.pathways[0].host, "network_manager"),
        )
        self.protocols[pathway].append((at, items))

    def meeting_times(self, pathway: Pathway, day: date) -> tuple[int, int]:
        cutoff_day, left = day, pathway.cutoff_working_days
        while left:
            cutoff_day -= timedelta(days=1)
            if cutoff_day.weekday() < 5:
                left -= 1
        scheduled = self.at(day, pathway.time)
        return scheduled, min(scheduled, self.at(cutoff_day, pathway.cutoff_time))

    def schedule_meetings(self, pathway: Pathway) -> Process:
        """Weekly meetings, each scheduled four weeks ahead (the first ones at go-live)."""
        first = self.local(self.start).date() + timedelta(days=7)
        while first.weekday() != pathway.weekday:
            first += timedelta(days=1)
        day = first
        coordinator = self.actor(pathway.host, "mdt_coordinator")
        while True:
            scheduled, cutoff = self.meeting_times(pathway, day)
            planned = self.at(day - timedelta(days=SCHEDULE_AHEAD_DAYS), time(10, 0))
            occurred = max(planned, self.start + 8 * HOUR)
            if occurred > self.end:
                return
            meeting = Meeting(
                meeting_id=f"{pathway.code}-{day.isoformat()}",
                pathway=pathway,
                scheduled_for=scheduled,
                cutoff=cutoff,
                technical_issues=0,
            )
            yield Emit(
                occurred + self.between(0, 20 * MINUTE),
                MeetingScheduled(
                    meeting_id=meeting.meeting_id,
                    pathway=pathway.name,
                    host_site=pathway.host,
                    scheduled_for=self.local(scheduled),
                    cutoff=self.local(cutoff),
                ),
                coordinator,
                lag=self.between(MINUTE, 15 * MINUTE),
            )
            b = self.net.behaviour
            start, floor = b.technical_issues_start, b.technical_issues_floor
            meeting.technical_issues = self.poisson(
                floor + (start - floor) * self.teething(scheduled)
            )
            self.meetings[pathway.name].append(meeting)
            self.spawn(self.meeting_day(meeting))
            day += timedelta(days=7)

    def meeting_day(self, meeting: Meeting) -> Process:
        """Attendance (recorded after the meeting) and technical issues, on the day."""
        yield Sleep(meeting.scheduled_for)
        pathway = meeting.pathway
        duration = pathway.duration_minutes * MINUTE
        start = meeting.scheduled_for
        coordinator = self.actor(pathway.host, "mdt_coordinator")
        recorded_after = duration + self.between(5 * MINUTE, 60 * MINUTE)
        sites = [pathway.host, *(s for s in meeting.presenting if s != pathway.host)]
        for site_id in sites:
            host = site_id == pathway.host
            site = self.sites[site_id]
            chances = dict(self.net.attendance_host if host else self.net.attendance_remote)
            for group, pool in site.staff:
                p = chances.get(group, 0.0)
                for n in range(1, pool + 1):
                    if not self.chance(p):
                        continue
                    joined = (
                        self.between(0, 10 * MINUTE) if host else self.between(0, duration // 2)
                    )
                    if host:
                        minutes = (duration - joined) // MINUTE - self.between(0, 20)
                    else:
                        minutes = self.between(10, 60)
                    if meeting.technical_issues and not host and self.chance(0.1):
                        minutes = 0  # could not connect
                    yield Emit(
                        start + joined,
                        AttendanceRecorded(
                            meeting_id=meeting.meeting_id,
                            attendee_id=f"{site_id}-{_GROUP_CODES[group]}{n:02d}",
                            site=site_id,
                            professional_group=group,
                            minutes_present=max(0, minutes),
                        ),
                        coordinator,
                        lag=recorded_after - joined,
                    )
        remote = sites[1:] or [pathway.host]
        for _ in range(meeting.technical_issues):
            kind, note, _w = self.rng.choices(_TECHNICAL, [w for *_, w in _TECHNICAL])[0]
            at = start + self.between(5 * MINUTE, duration - 10 * MINUTE)
            yield Emit(
                at,
                TechnicalIssueReported(
                    meeting_id=meeting.meeting_id,
                    kind=kind,
                    note=note.format(site=self.rng.choice(remote), n=self.between(3, 25)),
                ),
                coordinator,
                lag=self.between(2 * MINUTE, 30 * MINUTE),
            )

    def referrals(self, pathway: Pathway) -> Process:
        """New patients for a pathway, every working day, in proportion to population."""
        per_day = pathway.cases_per_100k * self.net.population / 100_000 * self.scale / 252
        day = self.local(self.start).date()
        while True:
            if day.weekday() < 5:
                opens = self.at(day, time(9, 0))
                if opens > self.end:
                    return
                yield Sleep(opens)
                arrivals = sorted(
                    opens + self.between(0, 8 * HOUR) for _ in range(self.poisson(per_day))
                )
                for arrival in arrivals:
                    site = self.rng.choices(self.catchment, self.catchment_weights)[0]
                    self.spawn(self.patient(pathway, site, arrival))
            day += timedelta(days=1)

    # --- a patient's pathway ------------------------------------------------------------

    def patient(self, pathway: Pathway, site: Site, arrival: int) -> Process:
        """Registration, referral to the specialist centre (unless the patient is its own),
        SMDT listings until discussed, then outcome, actions, treatment and handover."""
        b = self.net.behaviour
        yield Sleep(arrival)
        clerk = self.actor(site.id, "admin_clerk")
        patient_id = self.next_id("P")
        nhs = self.nhs_number() if not self.chance(0.01) else None
        yield Emit(
            arrival, PatientRegistered(patient_id=patient_id, nhs_number=nhs), clerk, self.lag()
        )
        host = pathway.host
        referral_id: str | None = None
        ready = arrival + self.between(10 * MINUTE, 2 * HOUR)
        if site.id != host:
            referral_id = self.next_id("R")
            routine = self.chance(b.routine)
            low, mode, high = b.referral_preparation_days
            days = self.rng.triangular(low, high, mode) * (1.6 if routine else 1.0)
            clock_start = self.local(ready).date() - timedelta(days=int(days))
            yield Emit(
                ready,
                ReferralMade(
                    referral_id=referral_id,
                    patient_id=patient_id,
                    pathway=pathway.name,
                    from_site=site.id,
                    to_site=host,
                    priority="routine" if routine else "urgent",
                    clock_start=clock_start,
                ),
                self.actor(site.id, "mdt_coordinator"),
                self.lag(),
            )
            tail = b.receipt_tail * (0.3 + self.teething(ready))
            median = b.receipt_tail_days if self.chance(tail) else b.receipt_days
            received = self.working(ready + self.hours(median * 24, 0.6))
            centre = self.actor(host, "mdt_coordinator")
            yield Emit(received, ReferralReceived(referral_id=referral_id), centre, self.lag())
            decided = self.working(received + self.between(2 * HOUR, 2 * DAY))
            if self.chance(b.rejected):
                yield Emit(
                    decided,
                    ReferralRejected(referral_id=referral_id, reason=self.rng.choice(_REJECTIONS)),
                    self.actor(host, "consultant"),
                    self.lag(),
                )
                return
            yield Emit(
                decided,
                ReferralAccepted(referral_id=referral_id),
                self.actor(host, "consultant"),
                self.lag(),
            )
            ready = decided
        yield from self.case(pathway, site, patient_id, referral_id, arrival, ready)

    def case(
        self,
        pathway: Pathway,
        site: Site,
        patient_id: str,
        referral_id: str | None,
        arrival: int,
        ready: int,
    ) -> Process:
        b = self.net.behaviour
        host = pathway.host
        coordinator = self.actor(host, "mdt_coordinator")
        listed_at = self.working(ready + self.between(HOUR, DAY))
        yield Sleep(listed_at)
        meeting = self._meeting_for_listing(pathway, listed_at)
        while meeting is None:  # only before the first meetings are scheduled
            listed_at = self.working(listed_at + DAY)
            yield Sleep(listed_at)
            meeting = self._meeting_for_listing(pathway, listed_at)
        case_id = self.next_id("C")
        required = self.required_items(pathway.name, listed_at)
        yield Emit(
            listed_at,
            CaseListed(
                case_id=case_id,
                patient_id=patient_id,
                meeting_id=meeting.meeting_id,
                pathway=pathway.name,
                presenting_site=site.id,
                referral_id=referral_id,
            ),
            coordinator,
            self.between(MINUTE, 30 * MINUTE),
        )
        meeting.presenting[site.id] = meeting.presenting.get(site.id, 0) + 1
        deliveries = [
            self._deliver(
                case_id, patient_id, pathway, site, item, arrival, listed_at, meeting, first=True
            )
            for item in required
        ]
        listings = 1
        while True:
            discussed_at = meeting.scheduled_for + self.between(
                5 * MINUTE, (pathway.duration_minutes - 10) * MINUTE
            )
            missing = [d for d in deliveries if d.arrival is None or d.arrival > discussed_at]
            reason: DeferralReason | None = None
            deferred_at = discussed_at
            last = listings >= MAX_LISTINGS
            if missing and not last and self.chance(b.defer_when_missing):
                reason = "missing_information"
                at_cutoff = all(d.arrival is None or d.arrival > meeting.cutoff for d in missing)
                if listed_at < meeting.cutoff and at_cutoff and self.chance(b.triage_share):
                    deferred_at = meeting.cutoff + self.between(30 * MINUTE, 4 * HOUR)
            elif not last and self.chance(b.defer_clinician_unavailable):
                reason = "clinician_unavailable"
            elif not last and self.chance(b.defer_time):
                reason = "time"
            elif not last and meeting.technical_issues and self.chance(b.defer_technical):
                reason = "technical"
            if reason is None:
                break
            yield Emit(
                deferred_at,
                CaseDeferred(case_id=case_id, meeting_id=meeting.meeting_id, reason=reason),
                coordinator,
                self.between(MINUTE, 40 * MINUTE),
            )
            relisted_at = self.working(deferred_at + self.between(HOUR, DAY))
            yield Sleep(relisted_at)
            following = self.next_meeting(
                pathway.name, max(relisted_at + DAY, meeting.scheduled_for + HOUR)
            )
            if following is None:
                return  # the period ends before another meeting
            meeting = following
            yield Emit(
                relisted_at,
                CaseRelisted(case_id=case_id, meeting_id=meeting.meeting_id),
                coordinator,
                self.between(MINUTE, 30 * MINUTE),
            )
            meeting.presenting[site.id] = meeting.presenting.get(site.id, 0) + 1
            listings += 1
            listed_at = relisted_at
            if reason == "missing_information":
                for i, d in enumerate(deliveries):
                    if d.arrival is None:  # lost: requested again
                        deliveries[i] = self._deliver(
                            case_id,
                            patient_id,
                            pathway,
                            site,
                            d.item,
                            arrival,
                            relisted_at,
                            meeting,
                            first=False,
                        )
        yield from self.discussion(
            pathway, site, patient_id, case_id, referral_id, meeting, discussed_at
        )

    def _meeting_for_listing(self, pathway: Pathway, at: int) -> Meeting | None:
        """The next meeting whose list is still open; a quarter of the cases that missed
        a cutoff are added late to that meeting's list all the same."""
        meeting = self.next_meeting(pathway.name, at)
        if meeting is not None and meeting.cutoff < at and not self.chance(0.25):
            meeting = self.next_meeting(pathway.name, at, cutoff_by=at)
        return meeting

    def _deliver(
        self,
        case_id: str,
        patient_id: str,
        pathway: Pathway,
        site: Site,
        item: str,
        arrival: int,
        listed_at: int,
        meeting: Meeting,
        *,
        first: bool,
    ) -> Delivery:
        """Plan how an item reaches the centre for a listing and start that lifecycle."""
        b = self.net.behaviour
        host = pathway.host
        internal = site.id == host
        late_p = site.late_items * self.teething(listed_at) * (0.4 if internal else 1.0)
        late_p = min(0.95, late_p + b.items_floor) * (1.0 if first else 0.5)
        late = self.chance(late_p)
        deadline = meeting.scheduled_for - self.between(30 * MINUTE, 3 * HOUR)
        if first and item in pathway.waivable and self.chance(0.06):
            waived_at = self.working(listed_at + self.between(HOUR, DAY))
            self.spawn(self._waive(case_id, item, waived_at, host))
            return Delivery(item, waived_at)
        kind = self.item_kinds[item]
        if internal or kind == "result":
            if late:
                when = self.working(meeting.scheduled_for + self.hours(60, 0.8))
            elif first and self.chance(0.7):
                when = arrival + self.between(HOUR, 4 * HOUR)  # came with the referral
            else:
                when = self.between(listed_at, max(listed_at + 1, deadline))
            self.spawn(self._receive_item(case_id, item, when, host))
            return Delivery(item, when)
        methods = site.image_methods if kind == "images" else site.report_methods
        method = _METHOD_NAMES[self.pick(methods)]
        requested = listed_at + self.between(10 * MINUTE, 4 * HOUR)
        plan = TransferPlan(item, method, requested)
        if late:
            if self.chance(0.15):
                plan.lost = True
            else:
                plan.received = max(
                    requested + HOUR, self.working(meeting.scheduled_for + self.hours(50, 0.9))
                )
        else:
            turnaround = self.hours(
                self.net.method(method).median_hours, self.net.method(method).spread
            )
            plan.received = max(requested + 5 * MINUTE, min(requested + turnaround, deadline))
        fail = self.net.method(method).fail * (1 / 3 + 2 / 3 * self.teething(requested))
        if not plan.lost and plan.received is not None and self.chance(fail):
            plan.failed_at = requested + (plan.received - requested) // 3
        self.spawn(self._transfer(case_id, patient_id, site.id, host, plan))
        return Delivery(item, None if plan.lost else plan.received)

    def _waive(self, case_id: str, item: str, at: int, host: str) -> Process:
        yield Emit(
            at,
            ItemWaived(case_id=case_id, item=item, reason="not clinically indicated"),
            self.actor(host, "consultant"),
            self.lag(),
        )

    def _receive_item(self, case_id: str, item: str, at: int, host: str) -> Process:
        """ItemReceived when it arrives; now and then first recorded against the wrong
        item, retracted and recorded again."""
        coordinator = self.actor(host, "mdt_coordinator")
        yield Sleep(at)
        if self.chance(self.net.behaviour.wrong_item):
            wrong = self.rng.choice([i for i in self.all_items if i != item])
            target = yield Emit(
                at, ItemReceived(case_id=case_id, item=wrong), coordinator, self.lag()
            )
            assert target is not None
            noticed = self.now + self.between(30 * MINUTE, 2 * DAY)
            yield Emit(
                noticed,
                EventRetracted(
                    event_id=target, reason=f"recorded against the wrong item ({wrong} for {item})"
                ),
                coordinator,
                self.between(MINUTE, 10 * MINUTE),
            )
            # the right fact, as it occurred: logged late
            yield Emit(at, ItemReceived(case_id=case_id, item=item), coordinator, 0)
            return
        yield Emit(at, ItemReceived(case_id=case_id, item=item), coordinator, self.lag())

    def _transfer(
        self, case_id: str, patient_id: str, from_site: str, to_site: str, plan: TransferPlan
    ) -> Process:
        """Requested → sent → chased while overdue → received (or failed, then requested
        again by another attempt)."""
        sender = self.actor(from_site, "mdt_coordinator")
        receiver = self.actor(to_site, "mdt_coordinator")
        chase_after = int(self.net.chase_after_hours * HOUR)
        chase_every = int(self.net.chase_every_hours * HOUR)
        requested = plan.requested
        method = plan.method
        attempt_end = plan.failed_at if plan.failed_at is not None else plan.received
        while True:
            transfer_id = self.next_id("T")
            yield Emit(
                requested,
                TransferRequested(
                    transfer_id=transfer_id,
                    patient_id=patient_id,
                    item=plan.item,
                    from_site=from_site,
                    to_site=to_site,
                    method=method,
                    case_id=case_id,
                ),
                receiver,
                self.between(MINUTE, 20 * MINUTE),
            )
            horizon = attempt_end if attempt_end is not None else requested + 12 * DAY
            steps: list[tuple[int, str]] = []
            if method != "pacs" or self.chance(0.5):
                sent = requested + int((horizon - requested) * self.rng.uniform(0.05, 0.6))
                steps.append((sent, "sent"))
            chase, chases = requested + chase_after, 0
            while chase < horizon and chases < 6:
                chased = self.working(chase)
                if chased < horizon:
                    steps.append((chased, "chase"))
                    chases += 1
                chase = chased + chase_every
            steps.sort()
            for at, what in steps:
                if what == "sent":
                    yield Emit(at, TransferSent(transfer_id=transfer_id), sender, self.lag())
                    continue
                chase_id = yield Emit(
                    at, TransferChased(transfer_id=transfer_id), receiver, self.lag()
                )
                if self.chance(self.net.behaviour.wrong_chase):
                    assert chase_id is not None
                    yield Emit(
                        max(self.now, at) + self.between(5 * MINUTE, HOUR),
                        EventRetracted(
                            event_id=chase_id, reason="chase logged against the wrong transfer"
                        ),
                        receiver,
                        self.between(MINUTE, 10 * MINUTE),
                    )
            if attempt_end is None:
                return  # lost: never received
            if plan.failed_at is not None and attempt_end == plan.failed_at:
                yield Emit(
                    attempt_end,
                    TransferFailed(transfer_id=transfer_id, reason=_FAILURES[method]),
                    receiver,
                    self.lag(),
                )
                requested = attempt_end + self.between(20 * MINUTE, 6 * HOUR)
                attempt_end = max(requested + 10 * MINUTE, plan.received or requested)
                plan.failed_at = None
                continue
            lag = self.between(DAY, 3 * DAY) if self.chance(0.05) else self.lag()
            yield Emit(attempt_end, TransferReceived(transfer_id=transfer_id), receiver, lag)
            return

    def discussion(
        self,
        pathway: Pathway,
        site: Site,
        patient_id: str,
        case_id: str,
        referral_id: str | None,
        meeting: Meeting,
        discussed_at: int,
    ) -> Process:
        """The discussion and what follows it."""
        host = pathway.host
        coordinator = self.actor(host, "mdt_coordinator")
        outcome = self.rng.choices(pathway.outcomes, [o.weight for o in pathway.outcomes])[0]
        typed_up = (
            self.between(16 * HOUR, 30 * HOUR) if self.chance(0.08) else self.between(MINUTE, HOUR)
        )
        yield Emit(
            discussed_at,
            CaseDiscussed(case_id=case_id, meeting_id=meeting.meeting_id, outcome=outcome.outcome),
            coordinator,
            typed_up,
        )
        for n in range(self.rng.choices((0, 1, 2), (3, 4, 2))[0]):
            description, owner = self.rng.choice(_ACTIONS)
            self.spawn(
                self._action(
                    case_id,
                    f"A{n + 1}",
                    host if owner == "host" else site.id,
                    description,
                    discussed_at + MINUTE,
                )
            )
        communicated = self.working(
            discussed_at + self.hours(20 * (1 + 2 * self.teething(discussed_at)), 0.8)
        )
        self.spawn(self._communicate(case_id, site.id, communicated, host))
        b = self.net.behaviour
        low, mode, high = b.treatment_days
        treated = self.working(discussed_at + int(self.rng.triangular(low, high, mode) * DAY))
        if referral_id is not None and outcome.modality:
            yield Emit(
                treated,
                TreatmentStarted(referral_id=referral_id, modality=outcome.modality),
                self.actor(host, "mdt_coordinator"),
                self.lag(),
            )
        if outcome.handover and site.id != host:
            surgical = outcome.modality == "surgery"
            initiated = (
                self.working(treated + self.between(3 * DAY, 10 * DAY))
                if surgical
                else self.working(discussed_at + self.between(HOUR, 3 * DAY))
            )
            yield from self._handover(pathway, site, patient_id, outcome, initiated)

    def _action(
        self, case_id: str, action_id: str, owner: str, description: str, agreed: int
    ) -> Process:
        coordinator = self.actor(self.sites[owner].id, "mdt_coordinator")
        due = self.local(agreed).date() + timedelta(days=14)
        yield Emit(
            agreed,
            ActionAgreed(
                case_id=case_id,
                action_id=action_id,
                owner_site=owner,
                description=description,
                due=due,
            ),
            coordinator,
            self.between(MINUTE, HOUR),
        )
        if self.chance(0.85):
            done = self.working(agreed + self.hours(5 * 24, 0.9))
            yield Emit(
                done, ActionCompleted(case_id=case_id, action_id=action_id), coordinator, self.lag()
            )

    def _communicate(self, case_id: str, to_site: str, at: int, host: str) -> Process:
        yield Emit(
            at,
            OutcomeCommunicated(case_id=case_id, to_site=to_site),
            self.actor(host, "mdt_coordinator"),
            self.lag(),
        )

    def _handover(
        self, pathway: Pathway, site: Site, patient_id: str, outcome: Outcome, initiated: int
    ) -> Process:
        """Back to the local centre for follow-up: acknowledged (slowly at some sites),
        now and then declined and sent again to another team there."""
        b = self.net.behaviour
        host = pathway.host
        local_team = (
            "local upper GI team" if pathway.name == "oesophago-gastric" else "local urology team"
        )
        follow_up = outcome.modality in ("surgery", "active monitoring")
        to_role = local_team if follow_up else "local oncology team"
        for attempt in range(2):
            handover_id = self.next_id("H")
            yield Emit(
                initiated,
                HandoverInitiated(
                    handover_id=handover_id,
                    patient_id=patient_id,
                    from_site=host,
                    to_site=site.id,
                    from_role=f"{pathway.name} specialist team",
                    to_role=to_role,
                    reason=f"follow-up after {outcome.outcome}",
                ),
                self.actor(host, "cns"),
                self.lag(),
            )
            teething = self.teething(initiated)
            local = self.actor(site.id, "cns")
            responded = initiated + self.hours(site.handover_ack_hours * (1 + teething), 0.9)
            if attempt == 0 and self.chance(b.handover_declined * (1 + teething)):
                yield Emit(
                    responded,
                    HandoverDeclined(
                        handover_id=handover_id, reason="not the responsible team for this patient"
                    ),
                    local,
                    self.lag(),
                )
                if not self.chance(0.7):
                    return
                to_role = (
                    "local oncology team" if to_role != "local oncology team" else "local CNS team"
                )
                initiated = self.working(responded + self.between(2 * HOUR, 2 * DAY))
                continue
            yield Emit(responded, HandoverAcknowledged(handover_id=handover_id), local, self.lag())
            if self.chance(0.9):
                completed = self.working(responded + self.between(DAY, 14 * DAY))
                yield Emit(completed, HandoverCompleted(handover_id=handover_id), local, self.lag())
            return


@dataclass(eq=False, slots=True)
class TransferPlan:
    item: str
    method: TransferMethod
    requested: int
    received: int | None = None
    failed_at: int | None = None
    lost: bool = False


__all__ = ["DEFAULT_START", "GROUPS", "ProfessionalGroup", "add_months", "generate"]
