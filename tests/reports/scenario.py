"""A small hand-computed SMDT scenario shared by the completeness, meetings and gaps tests.

Prostate protocol v1 requires imaging and pathology_report; v2 (published 2024-03-20)
adds clinical_summary. Meetings M1 (2024-03-05 10:00Z, cutoff 2024-03-04 12:00Z) and M2
(2024-03-26 10:00Z, cutoff 2024-03-25 12:00Z).

- C1 (S2, P1): listed for M1 under v1; imaging received; deferred at M1 for missing
  information; relisted for M2 *after* v2 was published (keeps v1); pathology arrives
  by a transfer for the case before M2's cutoff; discussed at M2: complete (2/2).
- C2 (S3, P2): listed for M2 under v2 (3 items); imaging waived; pathology received,
  logged late (recorded after the discussion); clinical_summary received but retracted;
  discussed: 2/3. Later the summary is waived and received at the same instant.
- C3 (S2, P3): listed for M2 under v1; pathology received; imaging only by a transfer
  without case_id before the discussion (does not count); discussed: 1/2. Imaging then
  arrives by transfer T3b (T3a failed), chased three times in all.
"""

from __future__ import annotations

from coord.events import Event

from .builders import (
    deferred,
    discussed,
    listed,
    meeting,
    protocol,
    received,
    relisted,
    retract,
    step,
    transfer,
    waived,
)


def smdt_events() -> list[Event]:
    summary = received("C2", "clinical_summary", "2024-03-22T09:00Z")
    return [
        protocol("prostate", 1, ["imaging", "pathology_report"]),
        meeting("M1", "2024-03-05T10:00Z", "2024-03-04T12:00Z"),
        meeting("M2", "2024-03-26T10:00Z", "2024-03-25T12:00Z"),
        listed("C1", "M1", "2024-02-20T09:00Z", site="S2", patient_id="P1"),
        received("C1", "imaging", "2024-02-25T09:00Z"),
        transfer("T1", "2024-02-21T09:00Z", case_id="C1", item="pathology_report"),
        deferred("C1", "M1", "2024-03-05T10:30Z", "missing_information"),
        listed("C3", "M2", "2024-03-15T09:00Z", site="S2", patient_id="P3"),
        received("C3", "pathology_report", "2024-03-16T09:00Z"),
        transfer("T0", "2024-03-16T09:00Z", item="imaging"),  # no case_id
        step("TransferReceived", "T0", "2024-03-17T09:00Z"),
        protocol(
            "prostate", 2, ["imaging", "pathology_report", "clinical_summary"], "2024-03-20T00:00Z"
        ),
        relisted("C1", "M2", "2024-03-21T09:00Z"),
        listed("C2", "M2", "2024-03-21T10:00Z", site="S3", patient_id="P2"),
        waived("C2", "imaging", "2024-03-22T09:00Z"),
        summary,
        transfer("T3b", "2024-03-20T09:00Z", case_id="C3", item="imaging"),
        transfer("T3a", "2024-03-19T09:00Z", case_id="C3", item="imaging", method="portal"),
        step("TransferChased", "T3a", "2024-03-20T08:00Z"),
        step("TransferFailed", "T3a", "2024-03-20T08:30Z", reason="portal down"),
        step("TransferReceived", "T1", "2024-03-25T09:00Z"),
        discussed("C1", "M2", "2024-03-26T10:30Z"),
        discussed("C2", "M2", "2024-03-26T10:40Z"),
        discussed("C3", "M2", "2024-03-26T10:50Z"),
        received("C2", "pathology_report", "2024-03-26T09:00Z", recorded_at="2024-03-28T09:00Z"),
        step("TransferChased", "T3b", "2024-03-27T09:00Z"),
        step("TransferChased", "T3b", "2024-03-27T10:00Z"),
        step("TransferReceived", "T3b", "2024-03-27T12:50Z"),
        retract(summary, "2024-03-28T10:00Z"),
        waived("C2", "clinical_summary", "2024-03-28T10:40Z"),
        received("C2", "clinical_summary", "2024-03-28T10:40Z"),
    ]
