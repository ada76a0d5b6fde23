"""Stream ``patient:<patient_id>``: ``PatientRegistered``, once per patient, with a valid
NHS number (when given) unique among non-retracted patients."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from coord.domain.nhs import nhs_key, nhs_problem
from coord.domain.streams import Context, StreamRules, when
from coord.events import Event
from coord.events.types import PatientRegistered


@dataclass(frozen=True, slots=True)
class PatientState:
    registered_at: datetime | None = None


def evolve(state: PatientState, event: Event) -> PatientState:
    if event.type == "PatientRegistered":
        return PatientState(registered_at=event.occurred_at)
    return state


def check(state: PatientState, event: Event, tz: ZoneInfo) -> str | None:
    if not isinstance(event.data, PatientRegistered):
        return None
    if state.registered_at is not None:
        return (
            f"patient {event.subject} is already registered (at {when(state.registered_at)}); "
            "a patient is registered once: retract the registration first to correct it"
        )
    number = event.data.nhs_number
    if number is not None:
        problem = nhs_problem(number)
        if problem is not None:
            return f"patient {event.subject}: {problem}"
    return None


def check_links(state: PatientState, event: Event, ctx: Context) -> str | None:
    if not isinstance(event.data, PatientRegistered) or event.data.nhs_number is None:
        return None
    number = event.data.nhs_number
    own = f"patient:{event.subject}"
    others = sorted({r.stream for r in ctx.referrers(nhs_key(number)) if r.stream != own})
    if others:
        other = others[0].partition(":")[2]
        return (
            f"patient {event.subject} has the NHS number of patient {other}, already registered; "
            "NHS numbers are unique: use that patient, or retract its registration first"
        )
    return None


RULES: StreamRules[PatientState] = StreamRules(
    kind="patient",
    opener="PatientRegistered",
    missing="is not registered",
    initial=PatientState(),
    evolve=evolve,
    check=check,
    check_links=check_links,
)
