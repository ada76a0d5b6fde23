"""Commands on the event log itself: init, import, export, verify."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import IO, Annotated

import orjson
import typer

from coord.app.database import DB_ENV, describe, initialise, open_database, resolve_url
from coord.app.exporting import (
    KEY_ENV,
    MIN_KEY_BYTES,
    InvalidKey,
    Pseudonymiser,
    export_log,
    pseudonymisation_key,
)
from coord.app.importing import ImportRejected, LineRejection, import_files
from coord.cli.errors import stderr
from coord.cli.progress import progress_bar, progress_phases
from coord.projections.rebuild import rebuild as rebuild_read_models
from coord.store.chain import Head
from coord.store.integrity import InvalidHead, format_head, parse_head
from coord.store.integrity import verify as verify_log

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar=DB_ENV,
        show_envvar=True,
        help="Database: a SQLite file path, or a URL such as postgresql+psycopg://user@host/db. "
        "Default: coord.db in the current directory.",
    ),
]


def init(
    db: DbOption = None,
    tz: Annotated[
        str | None,
        typer.Option(
            "--tz",
            help="The network's time zone (IANA name) for calendar dates in reports. "
            "Default: Europe/London, or the zone already stored.",
        ),
    ] = None,
) -> None:
    """Create the coord schema in a database, or upgrade it to this release (safe to re-run)."""
    url = resolve_url(db)
    database = initialise(url, tz)
    try:
        typer.echo(f"initialised {describe(url)} (time zone {database.time_zone.key})")
    finally:
        database.close()


def import_(
    files: Annotated[
        list[Path], typer.Argument(help="JSON Lines files of events, imported in this order.")
    ],
    db: DbOption = None,
    skip_invalid: Annotated[
        bool,
        typer.Option(
            "--skip-invalid",
            help="Import the valid lines and leave out the invalid ones (each written to "
            "--rejects), instead of importing nothing.",
        ),
    ] = False,
    rejects: Annotated[
        Path | None,
        typer.Option(
            "--rejects",
            help="With --skip-invalid: write each invalid line here as JSON Lines "
            '{"file", "line", "reason", "text"}.',
        ),
    ] = None,
    recorded_now: Annotated[
        bool,
        typer.Option(
            "--recorded-now",
            help="Ignore the files' recorded_at values: every line is recorded at the "
            "import's start (to merge a log recorded before this store's latest event).",
        ),
    ] = False,
) -> None:
    """Import events from JSON Lines files: all or nothing.

    Every line is checked against the log and the valid lines before it. If any line is
    invalid, nothing is written and each invalid line is reported as FILE:LINE: reason.
    Lines whose event_id is already stored are skipped as duplicates, so re-importing a
    file with event ids adds nothing. Prints "imported N, duplicates D".
    """
    if rejects is not None and not skip_invalid:
        raise typer.BadParameter("--rejects needs --skip-invalid", param_hint="--rejects")
    database = open_database(resolve_url(db))
    rejects_out: IO[bytes] | None = rejects.open("wb") if rejects is not None else None

    def on_rejection(rejection: LineRejection) -> None:
        stderr.print(str(rejection), markup=False, highlight=False)
        if rejects_out is not None:
            record = {
                "file": rejection.file,
                "line": rejection.line,
                "reason": rejection.reason,
                "text": rejection.text,
            }
            rejects_out.write(orjson.dumps(record) + b"\n")

    total = sum(path.stat().st_size for path in files if path.is_file())
    try:
        with progress_phases() as phase:
            result = import_files(
                database.store,
                files,
                on_rejection=on_rejection,
                skip_invalid=skip_invalid,
                recorded_now=recorded_now,
                on_progress=phase("importing", total, True),
                on_projecting=lambda events: phase("deriving the read models", events, False),
            )
    except ImportRejected as rejected:
        stderr.print(
            f"coord: {rejected.rejected} invalid line(s); nothing was imported. Fix them, "
            "or import the rest with --skip-invalid --rejects FILE",
            markup=False,
        )
        raise typer.Exit(1) from None
    finally:
        if rejects_out is not None:
            rejects_out.close()
        database.close()
    typer.echo(result.summary(with_rejected=skip_invalid))


def export(
    db: DbOption = None,
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="Write to this file instead of standard output."),
    ] = None,
    pseudonymise: Annotated[
        bool,
        typer.Option(
            "--pseudonymise",
            help="For sharing outside the network: replace every patient_id by a keyed hash "
            "(HMAC-SHA256, the same for the same key) and leave out NHS numbers. Free-text "
            "fields are kept as recorded. Needs a key: --key-file or " + KEY_ENV + ".",
        ),
    ] = False,
    key_file: Annotated[
        Path | None,
        typer.Option(
            "--key-file",
            help="With --pseudonymise: a file holding the secret key (at least "
            f"{MIN_KEY_BYTES} bytes; surrounding white space ignored). Overrides {KEY_ENV}. "
            "Keep it secret and keep it: the same key gives the same pseudonyms next time.",
        ),
    ] = None,
) -> None:
    """Export every event once, in global order, as JSON Lines (re-importable as is)."""
    if key_file is not None and not pseudonymise:
        raise typer.BadParameter("--key-file needs --pseudonymise", param_hint="--key-file")
    pseudonymiser = _pseudonymiser(key_file) if pseudonymise else None
    database = open_database(resolve_url(db))
    try:
        if output is None:
            export_log(database.store, sys.stdout.buffer, pseudonymiser=pseudonymiser)
            sys.stdout.buffer.flush()
            return
        with database.store.reading() as reader:
            total = reader.count()
        directory = output.resolve().parent
        handle, temporary = tempfile.mkstemp(prefix=".coord-export-", dir=directory)
        try:
            with os.fdopen(handle, "wb") as out, progress_bar("exporting", total) as advance:
                count = export_log(
                    database.store, out, on_progress=advance, pseudonymiser=pseudonymiser
                )
            os.replace(temporary, output)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        what = "pseudonymised events" if pseudonymise else "events"
        stderr.print(f"exported {count} {what} to {output}", markup=False)
    finally:
        database.close()


def _pseudonymiser(key_file: Path | None) -> Pseudonymiser:
    try:
        if key_file is not None:
            key = pseudonymisation_key(key_file.read_bytes())
        else:
            key = pseudonymisation_key(os.environ.get(KEY_ENV))
    except InvalidKey as error:
        raise typer.BadParameter(str(error), param_hint="--key-file") from None
    return Pseudonymiser(key)


def _head_option(value: str | None) -> Head | None:
    if value is None:
        return None
    try:
        return parse_head(value)
    except InvalidHead as error:
        raise typer.BadParameter(str(error), param_hint="--expect-head") from None


def verify(
    db: DbOption = None,
    print_head: Annotated[
        bool,
        typer.Option(
            "--head",
            help="After checking, print only the chain head as POSITION:HASH, to keep "
            "outside the database (for a later --expect-head).",
        ),
    ] = False,
    expect_head: Annotated[
        str | None,
        typer.Option(
            "--expect-head",
            metavar="POSITION:HASH",
            help="A head printed earlier by --head: fail unless the event at that position "
            "still has that hash (catches a history rewritten with every hash recomputed).",
        ),
    ] = None,
) -> None:
    """Check the log's integrity: hash chain, gap-free positions, stream versions.

    Exits non-zero naming the first bad event by its global position and event_id.
    """
    expect = _head_option(expect_head)
    database = open_database(resolve_url(db))
    try:
        with database.store.reading() as reader:
            total = reader.count()
        with progress_bar("verifying", total) as advance:
            result = verify_log(database.engine, on_progress=advance, expect=expect)
    finally:
        database.close()
    if not result.ok:
        stderr.print(f"coord: verify failed: {result.describe()}", markup=False)
        raise typer.Exit(1)
    if print_head:
        if result.head is None:
            stderr.print("coord: the log is empty; there is no head to keep yet", markup=False)
            raise typer.Exit(1)
        typer.echo(format_head(result.head))
        return
    typer.echo(result.describe())
    if expect is not None:
        typer.echo(
            f"the event at position {expect.position} has the expected hash: the history up "
            "to that head is unchanged"
        )


def rebuild(db: DbOption = None) -> None:
    """Recompute every read model from the log (the reports read them).

    Builds fresh tables from every event and swaps them in, in one transaction, while
    holding the log's append lock: if it fails, the previous read models stay in place.
    Never needed in normal use (every append updates them); useful after an upgrade
    that changes what the read models hold.
    """
    database = open_database(resolve_url(db))
    try:
        with database.store.reading() as reader:
            total = reader.count()
        with progress_bar("rebuilding", total) as advance:
            events, rows = rebuild_read_models(database.store, on_progress=advance)
    finally:
        database.close()
    typer.echo(f"rebuilt the read models from {events} events ({rows} rows)")


def register(app: typer.Typer) -> None:
    app.command()(init)
    app.command("import")(import_)
    app.command()(export)
    app.command()(verify)
    app.command()(rebuild)
