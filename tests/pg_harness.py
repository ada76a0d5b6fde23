"""A PostgreSQL server for the test session.

- ``COORD_TEST_POSTGRES_URL`` set: use that server (its user must be allowed to create
  databases); CI sets it.
- else ``initdb`` and ``pg_ctl`` on PATH (or under /usr/lib/postgresql/*/bin): start a
  throwaway cluster in a temporary directory on a free port, stopped at the end. As root,
  the binaries run as the ``postgres`` OS user (``runuser -u postgres --``).
- else: no server; PostgreSQL tests are skipped, or fail when ``COORD_REQUIRE_POSTGRES=1``.

Each test gets a fresh database ``coord_test_<pid>_<n>``, dropped afterwards.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

URL_ENV = "COORD_TEST_POSTGRES_URL"
REQUIRE_ENV = "COORD_REQUIRE_POSTGRES"


def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class LocalCluster:
    """A throwaway cluster: initdb, pg_ctl start, pg_ctl stop, remove the directory."""

    def __init__(self, initdb: str, pg_ctl: str) -> None:
        self.initdb, self.pg_ctl = initdb, pg_ctl
        self.as_root = os.geteuid() == 0
        self.dir = Path(tempfile.mkdtemp(prefix="coord-test-pg-"))
        self.data = self.dir / "data"
        self.port = _free_port()

    def _run(self, args: Sequence[str]) -> None:
        command = ["runuser", "-u", "postgres", "--", *args] if self.as_root else list(args)
        subprocess.run(command, check=True, capture_output=True, text=True)

    def start(self) -> str:
        if self.as_root:
            shutil.chown(self.dir, user="postgres")
            self.dir.chmod(0o700)
        self._run(
            [
                *(self.initdb, "-D", str(self.data), "-U", "postgres", "--auth=trust"),
                *("-E", "UTF8", "--locale=C", "--no-sync"),
            ]
        )
        options = (
            f"-k {self.dir} -c listen_addresses=127.0.0.1 -p {self.port} -c fsync=off "
            "-c max_connections=200 -c full_page_writes=off -c synchronous_commit=off"
        )
        self._run(
            [
                *(self.pg_ctl, "-D", str(self.data), "-l", str(self.dir / "log"), "-w"),
                *("-o", options, "start"),
            ]
        )
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run([self.pg_ctl, "-D", str(self.data), "-m", "immediate", "stop"])
        shutil.rmtree(self.dir, ignore_errors=True)


class Server:
    """Where the PostgreSQL tests create their databases."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self._names = itertools.count(1)

    def _admin(self) -> psycopg.Connection[tuple[object, ...]]:
        url = make_url(self.admin_url)
        return psycopg.connect(
            host=url.host,
            port=url.port,
            user=url.username,
            password=url.password,
            dbname=url.database or "postgres",
            autocommit=True,
        )

    def create_database(self) -> str:
        name = f"coord_test_{os.getpid()}_{next(self._names)}"
        with self._admin() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
            connection.execute(f'CREATE DATABASE "{name}"')
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def drop_database(self, url: str) -> None:
        name = make_url(url).database
        with self._admin() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def start_server() -> tuple[Server | None, LocalCluster | None, str]:
    """A server for the session, the cluster to stop afterwards, and why there is none."""
    url = os.environ.get(URL_ENV)
    if url:
        return Server(url), None, ""
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not (initdb and pg_ctl):
        return None, None, f"no PostgreSQL: set {URL_ENV} or put initdb and pg_ctl on PATH"
    cluster = LocalCluster(initdb, pg_ctl)
    try:
        return Server(cluster.start()), cluster, ""
    except (subprocess.CalledProcessError, OSError) as error:
        detail = getattr(error, "stderr", "") or str(error)
        cluster.stop()
        return None, None, f"could not start a PostgreSQL cluster: {detail.strip()[:500]}"
