"""The auditor's commands: ``coord report NAME`` and ``coord gaps``."""

from __future__ import annotations

import shutil
from datetime import datetime
from typing import Annotated

import typer

from coord.app.database import open_database, resolve_url
from coord.app.rendering import OutputFormat, render
from coord.app.reporting import build_gaps, build_report
from coord.cli.log_commands import DbOption
from coord.events import parse_date, parse_timestamp
from coord.reports import REPORTS, Period

FromOption = Annotated[
    str, typer.Option("--from", help="First local date of the period (YYYY-MM-DD), inclusive.")
]
ToOption = Annotated[
    str, typer.Option("--to", help="Local date after the period (YYYY-MM-DD), exclusive.")
]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Answer from the log as it was known at this instant (RFC 3339 with an offset, "
        "e.g. 2025-04-01T09:00:00Z): only events recorded by then count.",
    ),
]
FormatOption = Annotated[
    OutputFormat,
    typer.Option("--format", help="json (the SPEC's shape), csv, or a table for the terminal."),
]


def _period(start: str, end: str) -> Period:
    try:
        first, after = parse_date(start), parse_date(end)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    if not first < after:
        raise typer.BadParameter(f"--from {first} must be before --to {after}")
    return Period(first, after)


def _as_of(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_timestamp(value)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--as-of") from None


def _width() -> int:
    return max(80, shutil.get_terminal_size((80, 24)).columns)


def report(
    name: Annotated[
        str, typer.Argument(help=f"The report: {', '.join(REPORTS)}.", show_default=False)
    ],
    start: FromOption,
    end: ToOption,
    db: DbOption = None,
    by: Annotated[
        str | None,
        typer.Option(
            "--by",
            help="Row key. completeness: presenting_site (default), pathway, month, item; "
            "transfers: from_site (default), to_site, item, method, month; handovers: "
            "from_site (default), to_site, month; referrals: to_site (default), from_site, "
            "pathway, month; meetings: meeting_id (default), host_site, pathway, month.",
        ),
    ] = None,
    as_of: AsOfOption = None,
    output: FormatOption = OutputFormat.table,
) -> None:
    """Print one of the network's coordination reports for a period of local dates.

    completeness: information available at SMDT discussions, and deferrals for missing
    information; transfers: turnaround and chasing of images and reports; handovers:
    acknowledgement (within 48 h); referrals: receipt by day 38, treatment by day 62;
    meetings: listings ready at cutoff, discussions, technical issues, attendance.
    """
    definition = REPORTS.get(name)
    if definition is None:
        raise typer.BadParameter(f"use one of: {', '.join(REPORTS)}", param_hint="NAME")
    if by is not None and by not in definition.by_keys:
        raise typer.BadParameter(
            f"report {name} can be keyed by {', '.join(definition.by_keys)}", param_hint="--by"
        )
    period, known_at = _period(start, end), _as_of(as_of)
    database = open_database(resolve_url(db))
    try:
        result = build_report(database.store, database.time_zone, name, period, by, known_at)
    finally:
        database.close()
    typer.echo(render(result, output, width=_width()))


def gaps(
    start: FromOption,
    end: ToOption,
    db: DbOption = None,
    site: Annotated[
        str | None, typer.Option("--site", help="Only cases presented by this site.")
    ] = None,
    pathway: Annotated[str | None, typer.Option("--pathway", help="Only this pathway.")] = None,
    as_of: AsOfOption = None,
    output: FormatOption = OutputFormat.table,
) -> None:
    """List the information gaps: each SMDT discussion in the period with a required
    item that had not arrived, when (and how) it arrived later, and its transfers and
    chases."""
    period, known_at = _period(start, end), _as_of(as_of)
    database = open_database(resolve_url(db))
    try:
        result = build_gaps(
            database.store,
            database.time_zone,
            period,
            site=site,
            pathway=pathway,
            as_of=known_at,
        )
    finally:
        database.close()
    typer.echo(render(result, output, width=_width()))


def register(app: typer.Typer) -> None:
    app.command()(report)
    app.command()(gaps)
