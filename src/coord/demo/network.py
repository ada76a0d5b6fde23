"""The demo network (``fixtures/network.toml``) loaded into frozen dataclasses.

Every value is checked on load, so a mistake in the file is reported by name rather
than surfacing as an invalid generated event.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from coord.events.types import ProfessionalGroup

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
ITEM_KINDS = ("images", "report", "result")
METHODS = ("pacs", "iep", "email", "portal", "courier")
#: The professional groups that have attendee pools, in the order they are generated.
GROUPS: tuple[ProfessionalGroup, ...] = (
    "surgeon",
    "oncologist",
    "radiologist",
    "pathologist",
    "cns",
    "ahp",
    "coordinator",
    "navigator",
)


class NetworkError(ValueError):
    """The network file is missing a setting or has a wrong value."""


@dataclass(frozen=True, slots=True)
class Site:
    id: str
    name: str
    population: int
    specialist_for: tuple[str, ...]
    image_methods: tuple[tuple[str, float], ...]
    report_methods: tuple[tuple[str, float], ...]
    late_items: float
    handover_ack_hours: float
    staff: tuple[tuple[ProfessionalGroup, int], ...]


@dataclass(frozen=True, slots=True)
class Outcome:
    outcome: str
    modality: str
    handover: bool
    weight: float


@dataclass(frozen=True, slots=True)
class Pathway:
    name: str
    code: str
    host: str
    cases_per_100k: float
    weekday: int
    time: dt.time
    duration_minutes: int
    cutoff_working_days: int
    cutoff_time: dt.time
    waivable: tuple[str, ...]
    outcomes: tuple[Outcome, ...]


@dataclass(frozen=True, slots=True)
class Protocol:
    pathway: str
    version: int
    required_items: tuple[str, ...]
    revision: bool


@dataclass(frozen=True, slots=True)
class Method:
    name: str
    median_hours: float
    spread: float
    fail: float


@dataclass(frozen=True, slots=True)
class Behaviour:
    technical_issues_start: float
    technical_issues_floor: float
    items_floor: float
    defer_when_missing: float
    triage_share: float
    defer_clinician_unavailable: float
    defer_time: float
    defer_technical: float
    referral_preparation_days: tuple[int, int, int]
    receipt_days: float
    receipt_tail_days: float
    receipt_tail: float
    rejected: float
    routine: float
    treatment_days: tuple[int, int, int]
    handover_declined: float
    late_logging: float
    wrong_item: float
    wrong_chase: float


@dataclass(frozen=True, slots=True)
class Network:
    name: str
    time_zone: ZoneInfo
    teething_months: float
    sites: tuple[Site, ...]
    items: tuple[tuple[str, str], ...]
    pathways: tuple[Pathway, ...]
    protocols: tuple[Protocol, ...]
    methods: tuple[Method, ...]
    chase_after_hours: float
    chase_every_hours: float
    attendance_host: tuple[tuple[ProfessionalGroup, float], ...]
    attendance_remote: tuple[tuple[ProfessionalGroup, float], ...]
    behaviour: Behaviour

    @property
    def population(self) -> int:
        return sum(site.population for site in self.sites)

    def site(self, site_id: str) -> Site:
        for site in self.sites:
            if site.id == site_id:
                return site
        raise KeyError(site_id)

    def method(self, name: str) -> Method:
        for method in self.methods:
            if method.name == name:
                return method
        raise KeyError(name)

    def item_kind(self, item: str) -> str:
        return dict(self.items)[item]

    def first_protocol(self, pathway: str) -> Protocol:
        return next(p for p in self.protocols if p.pathway == pathway and not p.revision)

    @property
    def revision(self) -> Protocol | None:
        return next((p for p in self.protocols if p.revision), None)


def default_network_path() -> Path:
    """The network shipped with coord: the package's copy when installed, else the
    repository's ``fixtures/network.toml``."""
    packaged = resources.files("coord.demo").joinpath("network.toml")
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[3] / "fixtures" / "network.toml"


def load_network(path: Path | None = None) -> Network:
    """Read and check a network file (default: :func:`default_network_path`)."""
    path = path or default_network_path()
    try:
        with path.open("rb") as handle:
            raw = tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise NetworkError(f"{path}: not valid TOML: {error}") from None
    return parse_network(raw, str(path))


def parse_network(raw: Mapping[str, Any], where: str = "network") -> Network:
    """Build a :class:`Network` from parsed TOML, checking every value."""
    reader = _Reader(where)
    head = reader.table(raw, "network")
    sites = tuple(_site(reader, t) for t in reader.tables(raw, "sites"))
    site_ids = [s.id for s in sites]
    if len(set(site_ids)) != len(site_ids) or len(sites) < 2:
        raise NetworkError(f"{where}: sites need distinct ids (at least two sites)")
    items = tuple(
        (name, reader.choice(kind, f"items.{name}", ITEM_KINDS))
        for name, kind in reader.table(raw, "items").items()
    )
    pathways = tuple(_pathway(reader, t, site_ids) for t in reader.tables(raw, "pathways"))
    names = [p.name for p in pathways]
    if len(set(names)) != len(names):
        raise NetworkError(f"{where}: pathway names must be distinct")
    protocols = tuple(
        _protocol(reader, t, names, dict(items)) for t in reader.tables(raw, "protocols")
    )
    for name in names:
        if sum(1 for p in protocols if p.pathway == name and not p.revision) != 1:
            raise NetworkError(f"{where}: pathway {name} needs exactly one first protocol")
    revisions = [p for p in protocols if p.revision]
    if len(revisions) > 1:
        raise NetworkError(f"{where}: at most one protocol revision is supported")
    for revision in revisions:
        first = next(p for p in protocols if p.pathway == revision.pathway and not p.revision)
        if revision.version <= first.version:
            raise NetworkError(
                f"{where}: the revision of {revision.pathway} needs a higher version"
            )
    method_tables = reader.table(raw, "methods")
    methods = tuple(
        Method(
            name=name,
            median_hours=reader.number(reader.table(method_tables, name), "median_hours", 0.01),
            spread=reader.number(reader.table(method_tables, name), "spread", 0.0),
            fail=reader.probability(reader.table(method_tables, name), "fail"),
        )
        for name in METHODS
    )
    transfers = reader.table(raw, "transfers")
    attendance = reader.table(raw, "attendance")
    return Network(
        name=reader.string(head, "name"),
        time_zone=ZoneInfo(reader.string(head, "time_zone")),
        teething_months=reader.number(head, "teething_months", 0.1),
        sites=sites,
        items=items,
        pathways=pathways,
        protocols=protocols,
        methods=methods,
        chase_after_hours=reader.number(transfers, "chase_after", 1.0),
        chase_every_hours=reader.number(transfers, "chase_every", 1.0),
        attendance_host=_attendance(reader, reader.table(attendance, "host")),
        attendance_remote=_attendance(reader, reader.table(attendance, "remote")),
        behaviour=_behaviour(reader, reader.table(raw, "behaviour")),
    )


class _Reader:
    """Typed access to TOML values with errors that name the setting."""

    def __init__(self, where: str) -> None:
        self.where = where

    def fail(self, what: str) -> NetworkError:
        return NetworkError(f"{self.where}: {what}")

    def table(self, raw: Mapping[str, Any], key: str) -> Mapping[str, Any]:
        value = raw.get(key)
        if not isinstance(value, Mapping):
            raise self.fail(f"[{key}] is missing or not a table")
        return value

    def tables(self, raw: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
        value = raw.get(key)
        if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
            raise self.fail(f"[[{key}]] is missing or not an array of tables")
        return value

    def string(self, raw: Mapping[str, Any], key: str) -> str:
        value = raw.get(key)
        if not isinstance(value, str) or not value:
            raise self.fail(f"{key} must be a non-empty string")
        return value

    def strings(self, raw: Mapping[str, Any], key: str) -> tuple[str, ...]:
        value = raw.get(key)
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.fail(f"{key} must be a list of strings")
        return tuple(value)

    def number(self, raw: Mapping[str, Any], key: str, minimum: float) -> float:
        value = raw.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
            raise self.fail(f"{key} must be a number of at least {minimum}")
        return float(value)

    def integer(self, raw: Mapping[str, Any], key: str, minimum: int) -> int:
        value = raw.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.fail(f"{key} must be an integer of at least {minimum}")
        return value

    def probability(self, raw: Mapping[str, Any], key: str) -> float:
        value = self.number(raw, key, 0.0)
        if value > 1:
            raise self.fail(f"{key} must be a probability in [0, 1]")
        return value

    def choice(self, value: object, key: str, allowed: tuple[str, ...]) -> str:
        if value not in allowed:
            raise self.fail(f"{key} must be one of {', '.join(allowed)}")
        return str(value)

    def clock(self, raw: Mapping[str, Any], key: str) -> dt.time:
        text = self.string(raw, key)
        try:
            return dt.time.fromisoformat(text)
        except ValueError:
            raise self.fail(f"{key} must be a time of day HH:MM") from None

    def weights(
        self, raw: Mapping[str, Any], key: str, allowed: tuple[str, ...]
    ) -> tuple[tuple[str, float], ...]:
        table = self.table(raw, key)
        out = tuple(
            (self.choice(name, f"{key}.{name}", allowed), self.number(table, name, 0.0))
            for name in table
        )
        if not out or sum(w for _, w in out) <= 0:
            raise self.fail(f"{key} needs at least one positive weight")
        return out

    def triple(self, raw: Mapping[str, Any], key: str) -> tuple[int, int, int]:
        value = raw.get(key)
        if (
            not isinstance(value, list)
            or len(value) != 3
            or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value)
            or not value[0] <= value[1] <= value[2]
        ):
            raise self.fail(f"{key} must be [min, mode, max] whole days")
        return (value[0], value[1], value[2])


def _site(reader: _Reader, raw: Mapping[str, Any]) -> Site:
    staff_table = reader.table(raw, "staff")
    staff = tuple(
        (group, reader.integer(staff_table, group, 0)) for group in GROUPS if group in staff_table
    )
    return Site(
        id=reader.string(raw, "id"),
        name=reader.string(raw, "name"),
        population=reader.integer(raw, "population", 1),
        specialist_for=reader.strings(raw, "specialist_for"),
        image_methods=reader.weights(raw, "image_methods", METHODS),
        report_methods=reader.weights(raw, "report_methods", METHODS),
        late_items=reader.probability(raw, "late_items"),
        handover_ack_hours=reader.number(raw, "handover_ack_hours", 0.1),
        staff=staff,
    )


def _pathway(reader: _Reader, raw: Mapping[str, Any], site_ids: list[str]) -> Pathway:
    host = reader.string(raw, "host")
    if host not in site_ids:
        raise reader.fail(f"pathway host {host} is not a site")
    outcomes = tuple(
        Outcome(
            outcome=reader.string(o, "outcome"),
            modality=str(o.get("modality", "")),
            handover=bool(o.get("handover", False)),
            weight=reader.number(o, "weight", 0.0),
        )
        for o in reader.tables(raw, "outcomes")
    )
    return Pathway(
        name=reader.string(raw, "name"),
        code=reader.string(raw, "code"),
        host=host,
        cases_per_100k=reader.number(raw, "cases_per_100k", 0.0),
        weekday=WEEKDAYS.index(reader.choice(raw.get("weekday"), "weekday", WEEKDAYS[:5])),
        time=reader.clock(raw, "time"),
        duration_minutes=reader.integer(raw, "duration_minutes", 30),
        cutoff_working_days=reader.integer(raw, "cutoff_working_days", 0),
        cutoff_time=reader.clock(raw, "cutoff_time"),
        waivable=reader.strings(raw, "waivable"),
        outcomes=outcomes,
    )


def _protocol(
    reader: _Reader, raw: Mapping[str, Any], pathways: list[str], items: dict[str, str]
) -> Protocol:
    pathway = reader.string(raw, "pathway")
    if pathway not in pathways:
        raise reader.fail(f"protocol for unknown pathway {pathway}")
    required = reader.strings(raw, "required_items")
    if not required or len(set(required)) != len(required):
        raise reader.fail(f"protocol {pathway}: required_items must be distinct and not empty")
    unknown = [item for item in required if item not in items]
    if unknown:
        raise reader.fail(f"protocol {pathway}: items {unknown} are not in [items]")
    return Protocol(
        pathway=pathway,
        version=reader.integer(raw, "version", 1),
        required_items=required,
        revision=bool(raw.get("revision", False)),
    )


def _attendance(
    reader: _Reader, raw: Mapping[str, Any]
) -> tuple[tuple[ProfessionalGroup, float], ...]:
    return tuple((group, reader.probability(raw, group)) for group in GROUPS if group in raw)


def _behaviour(reader: _Reader, raw: Mapping[str, Any]) -> Behaviour:
    p = reader.probability
    n = reader.number
    return Behaviour(
        technical_issues_start=n(raw, "technical_issues_start", 0.0),
        technical_issues_floor=n(raw, "technical_issues_floor", 0.0),
        items_floor=p(raw, "items_floor"),
        defer_when_missing=p(raw, "defer_when_missing"),
        triage_share=p(raw, "triage_share"),
        defer_clinician_unavailable=p(raw, "defer_clinician_unavailable"),
        defer_time=p(raw, "defer_time"),
        defer_technical=p(raw, "defer_technical"),
        referral_preparation_days=reader.triple(raw, "referral_preparation_days"),
        receipt_days=n(raw, "receipt_days", 0.0),
        receipt_tail_days=n(raw, "receipt_tail_days", 0.0),
        receipt_tail=p(raw, "receipt_tail"),
        rejected=p(raw, "rejected"),
        routine=p(raw, "routine"),
        treatment_days=reader.triple(raw, "treatment_days"),
        handover_declined=p(raw, "handover_declined"),
        late_logging=p(raw, "late_logging"),
        wrong_item=p(raw, "wrong_item"),
        wrong_chase=p(raw, "wrong_chase"),
    )
