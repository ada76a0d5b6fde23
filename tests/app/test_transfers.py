"""Outstanding transfers: exactly the open ones of the fold, oldest first, paged and
filtered in SQL; a received transfer leaves the list."""

from __future__ import annotations

from datetime import UTC, datetime

from coord.app.database import Database
from coord.app.recording import record
from coord.app.transfers import count_outstanding, outstanding_transfers
from coord.events import new_event
from coord.events.types import TransferReceived
from coord.reports import derive_facts

from .conftest import sample_events


def test_outstanding_are_the_open_transfers_oldest_first(sample_db: Database) -> None:
    transfers = derive_facts(sample_events()).transfers.values()
    expected = sorted((t for t in transfers if t.open), key=lambda t: t.requested_at)
    page = outstanding_transfers(sample_db.store, limit=1000)
    assert expected, "the sample has open transfers"
    assert [t.transfer_id for t in page.transfers] == [t.transfer_id for t in expected]
    assert page.total == len(expected)
    site = expected[0].from_site
    at_site = outstanding_transfers(sample_db.store, site=site, limit=1000)
    assert {t.transfer_id for t in at_site.transfers} == {
        t.transfer_id for t in expected if site in (t.from_site, t.to_site)
    }
    assert count_outstanding(sample_db.store) == len(expected)
    assert count_outstanding(sample_db.store, site=site) == at_site.total
    first = outstanding_transfers(sample_db.store, limit=1)
    assert first.total == len(expected)
    assert first.transfers == page.transfers[:1]


def test_a_received_transfer_is_no_longer_outstanding(sample_db: Database) -> None:
    page = outstanding_transfers(sample_db.store, limit=1000)
    oldest = page.transfers[0]
    at = datetime(2025, 1, 10, tzinfo=UTC)
    record(
        sample_db.store,
        new_event(TransferReceived(transfer_id=oldest.transfer_id), at),
        now=at,
    )
    after = outstanding_transfers(sample_db.store, limit=1000)
    assert after.total == page.total - 1
    assert oldest.transfer_id not in {t.transfer_id for t in after.transfers}
    mine = outstanding_transfers(sample_db.store, patient_id=oldest.patient_id, limit=1000)
    assert all(t.patient_id == oldest.patient_id for t in mine.transfers)
