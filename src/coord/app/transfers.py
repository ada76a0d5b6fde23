"""Outstanding transfers: requested (and perhaps sent or chased) but neither received nor
failed, oldest first, from the transfer read model — filtered and paged in SQL by
:mod:`coord.store.outstanding_transfers`."""

from __future__ import annotations

from dataclasses import dataclass

from coord.projections.codec import from_payload
from coord.reports.records import Transfer
from coord.store import outstanding_transfers as outstanding
from coord.store.log import EventStore


@dataclass(frozen=True, slots=True)
class TransferPage:
    transfers: tuple[Transfer, ...]
    total: int
    offset: int


def outstanding_transfers(
    store: EventStore,
    *,
    site: str | None = None,
    patient_id: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> TransferPage:
    """A page of the open transfers (``site``: from or to that site), oldest request first."""
    with store.reading() as reader:
        payloads = outstanding.outstanding_payloads(
            reader.connection, site=site, patient_id=patient_id, offset=offset, limit=limit
        )
        total = outstanding.count_outstanding(reader.connection, site=site, patient_id=patient_id)
    transfers = tuple(from_payload(Transfer, p) for p in payloads)
    return TransferPage(transfers, total, offset)


def count_outstanding(store: EventStore, *, site: str | None = None) -> int:
    """How many transfers are outstanding (``site``: from or to that site)."""
    with store.reading() as reader:
        return outstanding.count_outstanding(reader.connection, site=site)
