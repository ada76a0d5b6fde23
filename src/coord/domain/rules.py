"""The rules of every stream kind, by kind."""

from __future__ import annotations

from typing import Any

from coord.domain import case, handover, meeting, patient, protocol, referral, site, transfer
from coord.domain.streams import StreamRules, no_links

RULES: dict[str, StreamRules[Any]] = {
    rules.kind: rules
    for rules in (
        site.RULES,
        protocol.RULES,
        patient.RULES,
        referral.RULES,
        meeting.RULES,
        case.RULES,
        transfer.RULES,
        handover.RULES,
    )
}


def _no_check(state: None, event: object, tz: object) -> None:
    return None


def _same(state: None, event: object) -> None:
    return None


#: For a stream kind added by a later event type without rules of its own: no rules.
UNRULED: StreamRules[None] = StreamRules(
    kind="stream",
    opener="",
    missing="",
    initial=None,
    evolve=_same,
    check=_no_check,
    check_links=no_links,
    independent=True,
)


def rules_for(stream: str) -> StreamRules[Any]:
    """The rules of a stream, by its name ``<kind>:<subject>``."""
    return RULES.get(stream.partition(":")[0], UNRULED)
