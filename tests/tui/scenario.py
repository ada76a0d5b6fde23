"""A meeting being prepared: three bladder cases listed for BLAD-2024-12-18 (cutoff
2024-12-16 12:00 UTC), two still missing their pathology report with a transfer requested
for it, and a later bladder meeting to relist a deferred case for."""

from __future__ import annotations

from datetime import UTC, datetime

from coord.events import EventData
from coord.events.types import (
    CaseListed,
    ItemReceived,
    MeetingScheduled,
    TransferRequested,
    TransferSent,
)
from coord.tui.workspace import Workspace

MEETING = "BLAD-2024-12-18"
LATER_MEETING = "BLAD-2024-12-27"
AT = datetime(2024, 12, 16, 8, 0, tzinfo=UTC)


def prepare_bladder_meeting(workspace: Workspace) -> None:
    def record(data: EventData) -> None:
        workspace.record(data, occurred_at=AT)

    record(
        MeetingScheduled(
            meeting_id=LATER_MEETING,
            pathway="bladder",
            host_site="S01",
            scheduled_for=datetime(2024, 12, 27, 12, 30, tzinfo=UTC),
            cutoff=datetime(2024, 12, 24, 12, 0, tzinfo=UTC),
        )
    )
    for case_id, patient, site in (
        ("CASE-T1", "PT00001", "S05"),
        ("CASE-T2", "PT00002", "S06"),
        ("CASE-T3", "PT00003", "S07"),
    ):
        record(
            CaseListed(
                case_id=case_id,
                patient_id=patient,
                meeting_id=MEETING,
                pathway="bladder",
                presenting_site=site,
            )
        )
        for item in ("imaging", "clinical_summary"):
            record(ItemReceived(case_id=case_id, item=item))
    record(ItemReceived(case_id="CASE-T3", item="pathology_report"))
    record(
        TransferRequested(
            transfer_id="TR-T1-path",
            patient_id="PT00001",
            item="pathology_report",
            from_site="S05",
            to_site="S01",
            method="iep",
            case_id="CASE-T1",
        )
    )
    record(
        TransferRequested(
            transfer_id="TR-T2-path",
            patient_id="PT00002",
            item="pathology_report",
            from_site="S06",
            to_site="S01",
            method="courier",
            case_id="CASE-T2",
        )
    )
    record(TransferSent(transfer_id="TR-T2-path"))
