"""``coord demo``: see coord at work on a year of a fictional cancer network."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from coord.app.database import DB_ENV, describe, initialise, sqlite_path
from coord.app.demo import DEMO_DB_ENV, Headline, default_demo_path, headline, load_demo, today_utc
from coord.cli.errors import stderr
from coord.cli.progress import progress_bar
from coord.cli.tui_command import (
    RoleOption,
    SiteOption,
    UserOption,
    actor_from_options,
    interactive,
    run_tui,
)


def _percent(value: Decimal | float | None) -> str:
    return "-" if value is None else f"{float(value) * 100:.1f}%"


def _number(value: Decimal | float | None) -> str:
    return "-" if value is None else f"{float(value):g}"


def _table(title: str, headings: list[str]) -> Table:
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for index, heading in enumerate(headings):
        table.add_column(heading, justify="left" if index == 0 else "right")
    return table


def _rows(report: Any) -> list[Any]:
    return [*report.rows, report.total]


def print_headline(console: Console, figures: Headline, db: str) -> None:
    period = f"{figures.period.from_date} to {figures.period.to_date}"
    completeness = _table(
        f"Information at SMDT discussions by presenting site, {period}",
        ["site", "discussions", "all items there", "items there", "deferred: missing info"],
    )
    for row in _rows(figures.completeness):
        if row.key is None:
            completeness.add_section()
        completeness.add_row(
            row.key or "total",
            str(row.discussions),
            _percent(row.case_completeness),
            _percent(row.item_completeness),
            _percent(row.deferral_rate_missing_information),
        )
    transfers = _table(
        "Transfers of images and reports by method (request to receipt)",
        ["method", "requested", "median hours", "p90 hours", "chased"],
    )
    for row in _rows(figures.transfers):
        if row.key is None:
            transfers.add_section()
        transfers.add_row(
            row.key or "total",
            str(row.requested),
            _number(row.median_hours),
            _number(row.p90_hours),
            str(row.chased_transfers),
        )
    console.print(completeness)
    console.print(transfers)
    handover = figures.handovers.total
    within = (
        Decimal(handover.acknowledged_within_48h) / handover.initiated
        if handover.initiated
        else None
    )
    console.print(
        f"Handovers: {handover.initiated} initiated; {_percent(within)} acknowledged within "
        f"48 hours (median {_number(handover.median_hours_to_ack)} h); {handover.declined} "
        f"declined; {handover.open} awaiting acknowledgement."
    )
    referral = figures.referrals.total
    console.print(
        f"Referrals: {referral.referrals} made; {_percent(referral.day_38_rate)} of those "
        f"received arrived by day 38; {_percent(referral.day_62_rate)} of treatments started "
        "within 62 days."
    )
    console.print()
    console.print(
        f"Explore: coord report completeness --db {db} --from {figures.period.from_date} "
        f"--to {figures.period.to_date} --by month\n"
        f"         coord gaps --db {db} --from {figures.period.from_date} "
        f"--to {figures.period.to_date} --site S05",
        markup=False,
        highlight=False,
    )


def demo(
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar=DB_ENV,
            show_envvar=True,
            help=f"Database for the demo. Default: ${DEMO_DB_ENV}, else "
            "~/.local/share/coord/demo.db (under $XDG_DATA_HOME when set).",
        ),
    ] = None,
    no_tui: Annotated[
        bool,
        typer.Option(
            "--no-tui",
            help="Print the headline figures and exit instead of opening the terminal UI "
            "(also what happens when no terminal is attached).",
        ),
    ] = False,
    fresh: Annotated[
        bool,
        typer.Option("--fresh", help="Delete the demo database (a SQLite file) and load anew."),
    ] = False,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the generated activity.")] = 1,
    months: Annotated[
        int, typer.Option("--months", min=1, max=60, help="Months of activity to load.")
    ] = 12,
    scale: Annotated[
        float, typer.Option("--scale", min=0.01, max=20, help="Multiplies patient volume.")
    ] = 1.0,
    user: UserOption = None,
    role: RoleOption = None,
    site: SiteOption = None,
) -> None:
    """Load a year of a fictional 12-hospital cancer network and show what coord measures.

    On first use this creates the demo database and loads generated activity — referrals,
    SMDT meetings and discussions, transfers of images and pathology, handovers, with the
    early "teething" problems fading over the year — then prints the headline figures:
    completeness of information at discussions by site, transfer turnaround by method,
    handover acknowledgement and the day-38 referral rate — then opens the terminal UI
    (coord tui) on it, recording as --user/--role/--site. Later runs reuse the database.
    """
    actor = actor_from_options(user, role, site)
    open_ui = not no_tui and interactive()
    url = db or str(default_demo_path())
    path = sqlite_path(url)
    if fresh:
        if path is None:
            raise typer.BadParameter(
                "--fresh deletes a SQLite file; use it with one", param_hint="--fresh"
            )
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    database = initialise(url)
    try:
        with database.store.reading() as reader:
            stored = reader.count()
        if stored:
            stderr.print(
                f"reusing the demo database {describe(url)} ({stored} events; --fresh loads anew)",
                markup=False,
            )
        else:
            stderr.print(
                f"loading {months} months of a fictional network into {describe(url)}", markup=False
            )
            with progress_bar("generating", None) as advance:
                generated = advance
                with progress_bar("importing", None, in_bytes=True) as imported:
                    count = load_demo(
                        database,
                        seed=seed,
                        months=months,
                        scale=scale,
                        today=today_utc(),
                        on_generate=generated,
                        on_import=imported,
                    )
            stderr.print(f"loaded {count} events", markup=False)
        figures = None if open_ui else headline(database)
        if open_ui:
            run_tui(database, actor)
            return
    finally:
        database.close()
    if figures is None:
        stderr.print("the demo database is empty; run coord demo --fresh", markup=False)
        raise typer.Exit(1)
    print_headline(Console(highlight=False, emoji=False), figures, url)


def register(app: typer.Typer) -> None:
    app.command()(demo)
