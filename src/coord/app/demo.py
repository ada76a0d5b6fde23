"""``coord demo``: load a year of the fictional network into a demo database (once) and
compute the headline figures a new user should see."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from coord.app.database import Database
from coord.app.importing import LineRejection, import_files
from coord.app.reporting import build_report
from coord.demo.generator import add_months, generate
from coord.demo.network import load_network
from coord.reports import Period, Report

DEMO_DB_ENV = "COORD_DEMO_DB"


def default_demo_path() -> Path:
    """Where the demo database lives unless ``--db`` names another: ``$COORD_DEMO_DB``,
    else ``$XDG_DATA_HOME/coord/demo.db`` (``~/.local/share/coord/demo.db``)."""
    explicit = os.environ.get(DEMO_DB_ENV)
    if explicit:
        return Path(explicit)
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "coord" / "demo.db"


def demo_start(months: int, today: date) -> date:
    """The go-live day: the Monday on or before ``today`` less ``months``. The activity runs
    from there to the start of ``today``, so the meetings of the coming days are the ones
    being prepared when the demo opens."""
    start = add_months(today, -months)
    return start - timedelta(days=start.weekday())


class DemoLoadError(Exception):
    """The generated log did not import cleanly (a bug: the generator must be valid)."""


def load_demo(
    database: Database,
    *,
    seed: int,
    months: int,
    scale: float,
    today: date,
    on_generate: Callable[[int], None] | None = None,
    on_import: Callable[[int], None] | None = None,
) -> int:
    """Generate about ``months`` of activity up to the start of ``today`` (local time) and
    import it; return the number of events imported."""
    start = demo_start(months, today)
    rejections: list[LineRejection] = []
    with tempfile.TemporaryDirectory(prefix="coord-demo-") as folder:
        path = Path(folder) / "demo.jsonl"
        with path.open("wb") as out:
            generate(
                load_network(),
                seed=seed,
                months=months,
                out=out,
                scale=scale,
                start=start,
                until=today,
                on_progress=on_generate,
            )
        result = import_files(
            database.store,
            [path],
            on_rejection=rejections.append,
            on_progress=on_import,
        )
    if rejections:
        raise DemoLoadError(f"the generated demo log has invalid lines, e.g. {rejections[0]}")
    return result.imported


@dataclass(frozen=True)
class Headline:
    """The figures ``coord demo`` prints."""

    period: Period
    completeness: Report[Any]
    transfers: Report[Any]
    handovers: Report[Any]
    referrals: Report[Any]


def headline(database: Database) -> Headline | None:
    """The headline reports over the whole months the log covers (None if it is empty)."""
    with database.store.reading() as reader:
        span = reader.occurred_span()
    if span is None:
        return None
    zone = database.time_zone
    first = span[0].astimezone(zone).date().replace(day=1)
    period = Period(first, span[1].astimezone(zone).date() + timedelta(days=1))

    def figures(name: str, by: str) -> Report[Any]:
        return build_report(database.store, zone, name, period, by)

    return Headline(
        period=period,
        completeness=figures("completeness", "presenting_site"),
        transfers=figures("transfers", "method"),
        handovers=figures("handovers", "from_site"),
        referrals=figures("referrals", "to_site"),
    )


def today_utc() -> date:
    return datetime.now(UTC).date()
