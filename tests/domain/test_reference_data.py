"""Sites, patients, protocols (SPEC §4 network reference data)."""

from __future__ import annotations

from .builders import NHS_1, NHS_2, World, ev, listed, retract


def test_site_registered_once_accepted(world: World) -> None:
    world.accepts(
        ev("SiteRegistered", "2024-01-05T00:00Z", site_id="S9", name="n", specialist_for=["kidney"])
    )


def test_site_registered_twice_is_rejected(world: World) -> None:
    reason = world.rejects(
        ev("SiteRegistered", "2024-01-05T00:00Z", site_id="S1", name="n", specialist_for=[])
    )
    assert "site S1 is already registered" in reason


def test_patient_registered_once_accepted(world: World) -> None:
    world.accepts(ev("PatientRegistered", "2024-01-05T00:00Z", patient_id="P9", nhs_number=NHS_2))


def test_patient_registered_twice_is_rejected(world: World) -> None:
    reason = world.rejects(ev("PatientRegistered", "2024-01-05T00:00Z", patient_id="P2"))
    assert "patient P2 is already registered" in reason


def test_patient_with_invalid_nhs_check_digit_is_rejected(world: World) -> None:
    reason = world.rejects(
        ev("PatientRegistered", "2024-01-05T00:00Z", patient_id="P9", nhs_number="9434765911")
    )
    assert "check digit" in reason


def test_patient_with_nhs_number_not_ten_digits_is_rejected(world: World) -> None:
    reason = world.rejects(
        ev("PatientRegistered", "2024-01-05T00:00Z", patient_id="P9", nhs_number="943-476-5919")
    )
    assert "10 digits" in reason


def test_nhs_number_unique_among_patients_is_rejected(world: World) -> None:
    reason = world.rejects(
        ev("PatientRegistered", "2024-01-05T00:00Z", patient_id="P9", nhs_number=NHS_1)
    )
    assert "patient P1" in reason and NHS_1 not in reason


def test_nhs_number_of_retracted_patient_may_be_reused(empty: World) -> None:
    first = empty.add(
        ev("PatientRegistered", "2024-01-01T00:00Z", patient_id="P1", nhs_number=NHS_1)
    )
    empty.add(retract(first, "2024-01-02T00:00Z"))
    empty.accepts(ev("PatientRegistered", "2024-01-03T00:00Z", patient_id="P2", nhs_number=NHS_1))


def test_protocol_version_greater_than_earlier_accepted(world: World) -> None:
    world.accepts(
        ev(
            "ProtocolPublished",
            "2024-01-02T00:00Z",
            pathway="prostate",
            version=3,
            required_items=["imaging"],
        )
    )


def test_protocol_version_not_greater_is_rejected(world: World) -> None:
    reason = world.rejects(
        ev(
            "ProtocolPublished",
            "2024-01-02T00:00Z",
            pathway="prostate",
            version=1,
            required_items=["imaging"],
        )
    )
    assert "greater than 1" in reason


def test_protocol_version_not_greater_than_retracted_version_is_rejected(world: World) -> None:
    v2 = world.add(
        ev(
            "ProtocolPublished",
            "2024-01-02T00:00Z",
            pathway="prostate",
            version=2,
            required_items=["imaging"],
        )
    )
    world.add(retract(v2, "2024-01-03T00:00Z"))
    reason = world.rejects(
        ev(
            "ProtocolPublished",
            "2024-01-04T00:00Z",
            pathway="prostate",
            version=2,
            required_items=["imaging"],
        )
    )
    assert "retracted versions count" in reason
    world.accepts(
        ev(
            "ProtocolPublished",
            "2024-01-04T00:00Z",
            pathway="prostate",
            version=3,
            required_items=["imaging"],
        )
    )


def test_protocol_occurring_before_previous_version_is_rejected(world: World) -> None:
    reason = world.rejects(
        ev(
            "ProtocolPublished",
            "2023-12-31T00:00Z",
            pathway="prostate",
            version=2,
            required_items=["imaging"],
        )
    )
    assert "before v1" in reason


def test_protocol_may_occur_before_a_retracted_previous_version(empty: World) -> None:
    v1 = empty.add(
        ev("ProtocolPublished", "2024-02-01T00:00Z", pathway="p", version=1, required_items=["x"])
    )
    empty.add(retract(v1, "2024-02-02T00:00Z"))
    empty.accepts(
        ev("ProtocolPublished", "2024-01-01T00:00Z", pathway="p", version=2, required_items=["x"])
    )


def test_protocol_published_after_every_listing_accepted(world: World) -> None:
    world.add(listed(at="2024-02-01T09:00Z"))
    world.accepts(
        ev(
            "ProtocolPublished",
            "2024-02-01T09:00:01Z",
            pathway="prostate",
            version=2,
            required_items=["imaging"],
        )
    )


def test_protocol_published_not_after_a_listing_is_rejected(world: World) -> None:
    world.add(listed(at="2024-02-01T09:00Z"))
    reason = world.rejects(
        ev(
            "ProtocolPublished",
            "2024-02-01T09:00Z",
            pathway="prostate",
            version=2,
            required_items=["imaging"],
        )
    )
    assert "case C1" in reason
    # another pathway's listings do not matter
    world.accepts(
        ev(
            "ProtocolPublished",
            "2024-01-15T00:00Z",
            pathway="kidney",
            version=2,
            required_items=["imaging"],
        )
    )


def test_protocol_published_before_retracted_listing_accepted(world: World) -> None:
    case = world.add(listed(at="2024-02-01T09:00Z"))
    world.add(retract(case, "2024-02-01T10:00Z"))
    world.accepts(
        ev(
            "ProtocolPublished",
            "2024-01-15T00:00Z",
            pathway="prostate",
            version=2,
            required_items=["imaging"],
        )
    )


def test_listing_with_protocol_in_force_accepted(world: World) -> None:
    world.accepts(listed(at="2024-01-01T00:00Z"))


def test_listing_with_no_protocol_in_force_is_rejected(world: World) -> None:
    reason = world.rejects(listed(at="2023-12-31T23:59Z"))
    assert "no protocol for pathway prostate is in force" in reason


def test_listing_needs_a_non_retracted_protocol(world: World) -> None:
    v1 = world.log.stream_events("protocol:prostate")[0]
    world.add(retract(v1, "2024-01-10T00:00Z"))
    assert "no protocol" in world.rejects(listed())
