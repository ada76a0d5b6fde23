"""Which streams the log holds: those of one kind (the sites, the protocols) and those
about a patient — found through the indexes, without reading the events themselves."""

from __future__ import annotations

from sqlalchemy import Connection, distinct, select

from coord.store.schema import event_references, events


def streams_of_kind(connection: Connection, kind: str) -> list[str]:
    """The streams ``<kind>:...``, sorted (a range scan of the (stream, version) index)."""
    rows = connection.execute(
        select(events.c.stream)
        .where(events.c.stream >= f"{kind}:", events.c.stream < f"{kind};", events.c.version == 1)
        .order_by(events.c.stream)
    )
    return [row.stream for row in rows]


def patient_streams(connection: Connection, patient_id: str) -> tuple[str, ...]:
    """The patient's own stream and every stream whose events name the patient, sorted."""
    own = f"patient:{patient_id}"
    rows = connection.execute(
        select(distinct(events.c.stream))
        .join_from(event_references, events, event_references.c.position == events.c.position)
        .where(event_references.c.key == own)
    )
    named = {row[0] for row in rows}
    present = connection.execute(
        select(events.c.stream).where(events.c.stream == own).limit(1)
    ).first()
    if present is not None:
        named.add(own)
    return tuple(sorted(named))
