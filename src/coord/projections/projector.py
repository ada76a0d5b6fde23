"""Keeping the read models up to date in every append transaction.

An appended event changes the records of the subject whose stream it is in (a
retraction: its target's stream). The projector recomputes exactly those subjects'
rows from their events (and, for a case, its transfers, meetings and protocol) with the
same fold the reports and rebuild use, replaces them, and moves the checkpoint — all
inside the append transaction, so the read models always match the log.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from coord.domain.log import Accepted
from coord.events import Event
from coord.events.types import CaseListed, CaseRelisted
from coord.projections.rows import rows_of
from coord.reports import derive_facts
from coord.store.log import Writer
from coord.store.readmodels import ModelRow, refs_of_owners, replace_owned, set_checkpoint

#: stream kinds whose subjects own rows (protocols, sites and patients own none: the rules
#: keep a new or retracted protocol version from changing a listed case's requirements)
OWNING_KINDS = ("case", "transfer", "handover", "referral", "meeting")


def owners_of(records: Iterable[Accepted]) -> set[str]:
    """The subjects whose rows the appended records change."""
    return {r.stream for r in records if r.stream.partition(":")[0] in OWNING_KINDS}


def project(writer: Writer, records: Sequence[Accepted], positions: list[int]) -> None:
    """The append hook: recompute the rows of every subject the records touch."""
    owners = owners_of(records)
    transfers = {o for o in owners if o.startswith("transfer:")}
    simple = {o for o in owners if not o.startswith("case:")}
    rows: list[ModelRow] = []
    if simple:
        events = writer.events_of_streams(sorted(simple))
        rows.extend(r for r in rows_of(derive_facts(events)) if r.owner in simple)
    # a transfer's case (before and after this change) counts its receipt as an arrival
    cases = {o for o in owners if o.startswith("case:")}
    cases.update(
        f"case:{ref}"
        for ref in refs_of_owners(writer.connection, "transfer", transfers).values()
        if ref
    )
    cases.update(f"case:{r.ref}" for r in rows if r.kind == "transfer" and r.ref)
    for case in sorted(cases):
        rows.extend(_case_rows(writer, case))
    replace_owned(writer.connection, simple | cases, rows)
    set_checkpoint(writer.connection, positions[-1])


def _case_rows(writer: Writer, case: str) -> list[ModelRow]:
    """A case's rows, from its stream, its transfers, its meetings and its protocol."""
    transfers = sorted({r.stream for r in writer.referrers(case)})
    events = writer.events_of_streams([case, *transfers])
    related = sorted(set(_meetings_and_protocol(events)))
    if related:
        events = writer.events_of_streams([case, *transfers, *related])
    return [r for r in rows_of(derive_facts(events)) if r.owner == case]


def _meetings_and_protocol(events: Sequence[Event]) -> Iterable[str]:
    for event in events:
        data = event.data
        if isinstance(data, CaseListed):
            yield f"protocol:{data.pathway}"
            yield f"meeting:{data.meeting_id}"
        elif isinstance(data, CaseRelisted):
            yield f"meeting:{data.meeting_id}"
