"""Outstanding transfers: requested (and perhaps sent or chased) but neither received nor
failed, oldest first, from the transfer read model — filtered and paged in SQL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select

from coord.projections.codec import from_payload
from coord.reports.records import Transfer
from coord.store.log import EventStore
from coord.store.schema import read_models


@dataclass(frozen=True, slots=True)
class TransferPage:
    transfers: tuple[Transfer, ...]
    total: int
    offset: int


def _field(name: str) -> ColumnElement[Any]:
    value: ColumnElement[Any] = read_models.c.payload[name].as_string()
    return value


def _outstanding(site: str | None, patient_id: str | None) -> ColumnElement[bool]:
    conditions: list[ColumnElement[bool]] = [
        read_models.c.kind == "transfer",
        _field("received_at").is_(None),
        _field("failed_at").is_(None),
    ]
    if site is not None:
        conditions.append(or_(_field("from_site") == site, _field("to_site") == site))
    if patient_id is not None:
        conditions.append(_field("patient_id") == patient_id)
    return and_(*conditions)


def outstanding_transfers(
    store: EventStore,
    *,
    site: str | None = None,
    patient_id: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> TransferPage:
    """A page of the open transfers (``site``: from or to that site), oldest request first."""
    where = _outstanding(site, patient_id)
    with store.reading() as reader:
        rows = reader.connection.execute(
            select(read_models.c.payload)
            .where(where)
            .order_by(read_models.c.at, read_models.c.owner)
            .limit(limit)
            .offset(offset)
        )
        transfers = tuple(from_payload(Transfer, row.payload) for row in rows)
        total = reader.connection.execute(
            select(func.count()).select_from(read_models).where(where)
        ).scalar_one()
    return TransferPage(transfers, int(total), offset)


def count_outstanding(store: EventStore, *, site: str | None = None) -> int:
    """How many transfers are outstanding (``site``: from or to that site)."""
    with store.reading() as reader:
        return int(
            reader.connection.execute(
                select(func.count()).select_from(read_models).where(_outstanding(site, None))
            ).scalar_one()
        )
