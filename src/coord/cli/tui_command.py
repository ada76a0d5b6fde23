"""``coord tui``: the terminal UI on a database, recording as the user given."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from coord.app.database import Database, open_database, read_models_behind, resolve_url
from coord.cli.errors import stderr
from coord.cli.log_commands import DbOption
from coord.events import Actor
from coord.tui.actor import ConfigError, config_path, resolve_actor

MODES = ("coordinator", "navigator", "auditor", "log")

UserOption = Annotated[
    str | None,
    typer.Option("--user", help="Who is recording (stored as each event's actor.user)."),
]
RoleOption = Annotated[
    str | None,
    typer.Option("--role", help="Their role, e.g. mdt_coordinator (actor.role)."),
]
SiteOption = Annotated[
    str | None,
    typer.Option("--site", help="Their site id, e.g. S01 (actor.site)."),
]


def interactive() -> bool:
    """Whether a person is at a terminal (the UI needs one; tests and pipes have none)."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def actor_from_options(user: str | None, role: str | None, site: str | None) -> Actor:
    try:
        return resolve_actor(user, role, site)
    except ConfigError as error:
        stderr.print(f"coord: {error}", markup=False)
        raise typer.Exit(1) from None


def run_tui(database: Database, actor: Actor, mode: str = "coordinator") -> None:
    """Open the terminal UI on an opened database (it stays open until the UI quits)."""
    from coord.tui.app import CoordApp
    from coord.tui.workspace import Workspace

    if read_models_behind(database):
        stderr.print(
            "coord: the read models are behind the log; run `coord rebuild` first",
            markup=False,
        )
        raise typer.Exit(1)
    CoordApp(Workspace(database, actor), mode=mode, contain_errors=True).run()


def tui(
    db: DbOption = None,
    user: UserOption = None,
    role: RoleOption = None,
    site: SiteOption = None,
    mode: Annotated[
        str,
        typer.Option(
            "--mode",
            help="The workspace to open: coordinator, navigator, auditor or log "
            "(1-4 switch between them).",
        ),
    ] = "coordinator",
) -> None:
    """Open the terminal UI: MDT coordinator, patient navigator, auditor, live event log.

    Who is recording comes from --user/--role/--site, else from the [actor] table of
    $XDG_CONFIG_HOME/coord/config.toml (~/.config/coord/config.toml); it is stored as the
    actor of every event recorded. Press ? for the keys of a screen, ctrl+p for commands.
    """
    if mode not in MODES:
        raise typer.BadParameter(f"choose one of {', '.join(MODES)}", param_hint="--mode")
    actor = actor_from_options(user, role, site)
    database = open_database(resolve_url(db))
    try:
        if not interactive():
            stderr.print(
                "coord: coord tui needs an interactive terminal; from scripts use coord "
                "report, coord gaps or coord export",
                markup=False,
            )
            raise typer.Exit(1)
        run_tui(database, actor, mode)
    finally:
        database.close()


def register(app: typer.Typer) -> None:
    app.command()(tui)


__all__ = ["config_path", "register", "run_tui"]
