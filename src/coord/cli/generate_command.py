"""``coord generate``: write a seeded demo log of the fictional network as JSON Lines."""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer

from coord.cli.errors import stderr
from coord.cli.progress import progress_bar
from coord.demo.generator import DEFAULT_START, add_months, generate
from coord.demo.network import NetworkError, load_network


def _parse_start(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


def generate_command(
    output: Annotated[
        str,
        typer.Option(
            "-o",
            "--output",
            help="Write the log to this file (replaced atomically when complete), "
            "or - for standard output.",
        ),
    ],
    seed: Annotated[
        int,
        typer.Option(
            "--seed",
            help="Random seed: the same seed (and options) gives the same file, byte for byte.",
        ),
    ] = 1,
    months: Annotated[
        int,
        typer.Option(
            "--months",
            min=1,
            max=600,
            help="Months of activity from --start. Lifecycles still in flight at the end "
            "are left open.",
        ),
    ] = 12,
    scale: Annotated[
        float,
        typer.Option(
            "--scale",
            min=0.001,
            help="Multiplies patient volume (1 = the network's real size, about 60,000–70,000 "
            "events a year; 18 gives about 1,000,000).",
        ),
    ] = 1.0,
    start: Annotated[
        str,
        typer.Option(
            "--start",
            help="First day (YYYY-MM-DD, local date); the network goes live that morning.",
        ),
    ] = DEFAULT_START.isoformat(),
    network: Annotated[
        Path | None,
        typer.Option(
            "--network",
            help="A network file (TOML) to use instead of the built-in demo network.",
        ),
    ] = None,
) -> None:
    """Generate months of a fictional cancer network's activity as a valid event log.

    Every line is valid under the SPEC, so `coord import` takes the file whole.

    Prints "generated N events to FILE" on standard error.
    """
    first_day = _parse_start(start)
    try:
        net = load_network(network)
    except (NetworkError, OSError) as error:
        raise typer.BadParameter(str(error), param_hint="--network") from None
    last_day = add_months(first_day, months)
    if last_day > datetime.now(net.time_zone).date():
        stderr.print(
            f"note: the log runs until {last_day.isoformat()}, after today; coord import "
            "refuses events recorded in the future (choose an earlier --start, or import "
            "with --recorded-now)",
            markup=False,
        )
    if output == "-":
        with progress_bar("generating", None) as advance:
            count = generate(
                net,
                seed=seed,
                months=months,
                scale=scale,
                start=first_day,
                out=sys.stdout.buffer,
                on_progress=advance,
            )
        sys.stdout.buffer.flush()
        stderr.print(f"generated {count} events to standard output", markup=False)
        return
    target = Path(output)
    directory = target.resolve().parent
    handle, temporary = tempfile.mkstemp(prefix=".coord-generate-", dir=directory)
    try:
        with os.fdopen(handle, "wb") as out, progress_bar("generating", None) as advance:
            count = generate(
                net,
                seed=seed,
                months=months,
                scale=scale,
                start=first_day,
                out=out,
                on_progress=advance,
            )
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    stderr.print(f"generated {count} events to {output}", markup=False)


def register(app: typer.Typer) -> None:
    """Add ``coord generate`` to the application."""
    app.command("generate")(generate_command)
