"""Reading the transfer read model for the outstanding transfers: requested (perhaps
sent or chased) but neither received nor failed, oldest request first — filtered,
counted and paged in SQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, func, or_, select

from coord.store.readmodels import payload_text
from coord.store.schema import read_models


def _outstanding(site: str | None, patient_id: str | None) -> ColumnElement[bool]:
    conditions: list[ColumnElement[bool]] = [
        read_models.c.kind == "transfer",
        payload_text("received_at").is_(None),
        payload_text("failed_at").is_(None),
    ]
    if site is not None:
        conditions.append(or_(payload_text("from_site") == site, payload_text("to_site") == site))
    if patient_id is not None:
        conditions.append(payload_text("patient_id") == patient_id)
    return and_(*conditions)


def outstanding_payloads(
    connection: Connection,
    *,
    site: str | None = None,
    patient_id: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """A page of the outstanding transfers (``site``: from or to that site; ``patient_id``:
    of that patient), oldest request first."""
    rows = connection.execute(
        select(read_models.c.payload)
        .where(_outstanding(site, patient_id))
        .order_by(read_models.c.at, read_models.c.owner)
        .limit(limit)
        .offset(offset)
    )
    return [row.payload for row in rows]


def count_outstanding(
    connection: Connection, *, site: str | None = None, patient_id: str | None = None
) -> int:
    """How many transfers are outstanding (``site``, ``patient_id`` as above)."""
    total = connection.execute(
        select(func.count()).select_from(read_models).where(_outstanding(site, patient_id))
    ).scalar_one()
    return int(total)
