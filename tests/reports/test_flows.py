"""``transfers``, ``handovers`` and ``referrals``: durations, edges, clock changes,
retractions."""

from __future__ import annotations

from .builders import handover, referral, retract, rows, run, step, transfer


def test_transfers_hours_open_failed_and_chases() -> None:
    chase = step("TransferChased", "T3", "2024-05-03T09:00Z")
    received_late = step("TransferReceived", "T4", "2024-05-02T09:00Z")
    events = [
        transfer("T1", "2024-05-01T09:00Z", method="iep"),
        step("TransferSent", "T1", "2024-05-01T09:30Z"),
        step("TransferReceived", "T1", "2024-05-01T10:00Z"),  # 1 h
        transfer("T2", "2024-05-01T09:00Z", method="iep"),
        step("TransferReceived", "T2", "2024-05-01T12:00Z"),  # 3 h
        transfer("T3", "2024-05-01T09:00Z", method="email"),
        step("TransferChased", "T3", "2024-05-02T09:00Z"),
        chase,
        step("TransferFailed", "T3", "2024-05-04T09:00Z", reason="bounced"),
        transfer("T4", "2024-05-01T09:00Z", method="email"),
        received_late,
        retract(received_late, "2024-05-02T10:00Z"),  # open again
        retract(chase, "2024-05-03T10:00Z"),
        transfer("T5", "2024-05-01T09:00Z", method="courier", item="slides"),
        step("TransferReceived", "T5", "2024-05-01T20:00Z"),  # 11 h
    ]
    report = run(events, "transfers", by="method")
    assert rows(report) == {
        "courier": {
            "requested": 1,
            "received": 1,
            "failed": 0,
            "open": 0,
            "median_hours": 11.0,
            "p90_hours": 11.0,
            "chased_transfers": 0,
            "chases": 0,
        },
        "email": {
            "requested": 2,
            "received": 0,
            "failed": 1,
            "open": 1,
            "median_hours": None,
            "p90_hours": None,
            "chased_transfers": 1,
            "chases": 1,
        },
        "iep": {
            "requested": 2,
            "received": 2,
            "failed": 0,
            "open": 0,
            "median_hours": 2.0,
            "p90_hours": 2.8,
            "chased_transfers": 0,
            "chases": 0,
        },
    }
    total = report["total"]
    # hours 1, 3, 11: median 3, p90 at position 1.8: 3 + 0.8 * 8 = 9.4
    assert (total["median_hours"], total["p90_hours"]) == (3.0, 9.4)
    assert (total["requested"], total["open"]) == (5, 1)
    assert list(rows(run(events, "transfers", by="item"))) == ["pathology_report", "slides"]
    assert list(rows(run(events, "transfers"))) == ["S2"]
    assert list(rows(run(events, "transfers", by="to_site"))) == ["S1"]


def test_transfer_hours_are_elapsed_across_the_autumn_clock_change() -> None:
    events = [
        transfer("T1", "2024-10-26T11:00Z"),  # 12:00 BST
        step("TransferReceived", "T1", "2024-10-27T12:00Z"),  # 12:00 GMT: 25 h later
    ]
    assert run(events, "transfers")["total"]["median_hours"] == 25.0


def test_handovers_and_the_48_hour_edge() -> None:
    events = [
        handover("H1", "2024-03-29T12:00Z"),
        step("HandoverAcknowledged", "H1", "2024-03-31T12:00Z"),  # exactly 48 h (over BST)
        step("HandoverCompleted", "H1", "2024-04-02T12:00Z"),
        handover("H2", "2024-03-29T12:00Z"),
        step("HandoverAcknowledged", "H2", "2024-03-31T12:00:01Z"),  # 48 h and a second
        handover("H3", "2024-03-29T12:00Z", to_site="S3"),
        step("HandoverDeclined", "H3", "2024-03-30T12:00Z", reason="not ours"),
        handover("H4", "2024-03-29T12:00Z", to_site="S3"),
    ]
    report = run(events, "handovers")
    assert report["by"] == "from_site"
    assert report["total"] == {
        "key": None,
        "initiated": 4,
        "acknowledged": 2,
        "declined": 1,
        "completed": 1,
        "open": 1,
        "median_hours_to_ack": 48.0,  # 48 and 48.000277…: 48.000138… rounds to 48.00
        "p90_hours_to_ack": 48.0,
        "acknowledged_within_48h": 1,
    }
    by_to = rows(run(events, "handovers", by="to_site"))
    assert by_to["S3"]["open"] == 1
    assert by_to["S3"]["median_hours_to_ack"] is None
    assert list(rows(run(events, "handovers", by="month"))) == ["2024-03"]


def test_referrals_day_38_and_62_edges_in_local_dates() -> None:
    events = [
        # clock_start 2024-03-01: day 38 is 2024-04-08, day 62 is 2024-05-02
        referral("R1", "2024-03-01T10:00Z", "2024-03-01"),
        step("ReferralReceived", "R1", "2024-04-08T22:59Z"),  # 23:59 BST on day 38
        step("ReferralAccepted", "R1", "2024-04-09T10:00Z"),
        step("TreatmentStarted", "R1", "2024-05-02T22:59Z", modality="surgery"),  # day 62
        referral("R2", "2024-03-01T10:00Z", "2024-03-01"),
        step("ReferralReceived", "R2", "2024-04-08T23:00Z"),  # 00:00 BST: day 39
        step("ReferralAccepted", "R2", "2024-04-10T10:00Z"),
        step("TreatmentStarted", "R2", "2024-05-02T23:00Z", modality="surgery"),  # day 63
        referral("R3", "2024-03-01T10:00Z", "2024-03-01", pathway="kidney"),
        step("ReferralReceived", "R3", "2024-03-02T10:00Z"),  # day 1
        step("ReferralAccepted", "R3", "2024-03-03T10:00Z"),
        step("TreatmentStarted", "R3", "2024-05-03T10:00Z", modality="surgery"),  # day 63
        referral("R4", "2024-03-31T23:30Z", "2024-03-31", to_site="S5"),  # April (BST)
        step("ReferralReceived", "R4", "2024-04-02T10:00Z"),  # local 2 April: day 2
        step("ReferralRejected", "R4", "2024-04-03T10:00Z", reason="wrong centre"),
    ]
    report = run(events, "referrals")
    assert report["total"] == {
        "key": None,
        "referrals": 4,
        "received": 4,
        "accepted": 3,
        "rejected": 1,
        "median_days_to_receipt": 20.0,  # 1, 2, 38, 39
        "received_by_day_38": 3,
        "day_38_rate": 0.75,
        "treated": 3,
        "treated_within_62_days": 1,
        "day_62_rate": 0.3333,
    }
    assert list(rows(run(events, "referrals", by="month"))) == ["2024-03", "2024-04"]
    assert list(rows(run(events, "referrals"))) == ["S1", "S5"]
    assert rows(run(events, "referrals", by="pathway"))["kidney"]["treated_within_62_days"] == 0
    # treatment on local day 62 counts
    on_time = [
        referral("R5", "2024-03-01T10:00Z", "2024-03-01"),
        step("TreatmentStarted", "R5", "2024-05-02T22:00Z", modality="surgery"),  # 23:00 BST
    ]
    total = run(on_time, "referrals")["total"]
    assert (total["treated"], total["treated_within_62_days"], total["day_62_rate"]) == (1, 1, 1.0)
    assert (total["received"], total["median_days_to_receipt"], total["day_38_rate"]) == (
        0,
        None,
        None,
    )
