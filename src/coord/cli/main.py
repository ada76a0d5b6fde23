"""The ``coord`` application: commands are registered here; ``run`` is the entry point."""

from __future__ import annotations

import inspect
import re
import sys

import typer
from typer.exceptions import TyperException

from coord.cli import (
    demo_command,
    generate_command,
    log_commands,
    report_commands,
    tui_command,
)
from coord.cli.errors import report

app = typer.Typer(
    name="coord",
    help=(
        "coord: an event-sourced care-coordination tracker for cancer provider networks.\n\n"
        "Every fact (referrals, SMDT listings and discussions, transfers of images and "
        "pathology, handovers) is an event in an append-only log. Every command takes "
        "--db URL (or COORD_DB); the default is the SQLite file coord.db here."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
log_commands.register(app)
report_commands.register(app)
generate_command.register(app)
demo_command.register(app)
tui_command.register(app)


def flowing(doc: str) -> str:
    """A docstring as help text: its paragraphs kept, the line breaks inside each joined
    (the terminal wraps them to its width; typer would keep the source's breaks)."""
    paragraphs = inspect.cleandoc(doc).split("\n\n")
    return "\n\n".join(re.sub(r"\s*\n\s*", " ", paragraph) for paragraph in paragraphs)


def _help_from_docstrings(typer_app: typer.Typer) -> None:
    for command in typer_app.registered_commands:
        if command.help is None and command.callback is not None and command.callback.__doc__:
            command.help = flowing(command.callback.__doc__)


_help_from_docstrings(app)


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return its exit status; failures become messages."""
    try:
        result = app(args=argv, standalone_mode=False, prog_name="coord")
    except typer.Exit as done:
        return done.exit_code
    except typer.Abort:
        print("aborted", file=sys.stderr)
        return 130
    except TyperException as error:  # usage errors: shown with the command's usage line
        error.show()  # type: ignore[attr-defined]
        return int(getattr(error, "exit_code", 2))
    except KeyboardInterrupt:
        print("interrupted; nothing half-written is kept", file=sys.stderr)
        return 130
    except Exception as error:
        return report(error)
    return result if isinstance(result, int) else 0


def run() -> None:
    sys.exit(main())
