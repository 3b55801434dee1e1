"""A throw-away PostgreSQL server: initdb in a temporary folder, listening on a loopback port."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from tests.support.programs import allow_loopback_sockets, free_port, require_program

PG_USER = "postgres"


class PostgresServer:
    """initdb + postgres; as root the server runs as the `postgres` system user."""

    def __init__(self, folder: Path) -> None:
        """Prepare paths; start() does the work."""
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self._databases = 0

    def _as_server_user(self) -> dict[str, object]:
        if os.geteuid() != 0:
            return {}
        entry = pwd.getpwnam(PG_USER)
        return {"user": entry.pw_uid, "group": entry.pw_gid}

    def start(self) -> None:
        """Create the cluster and wait until it accepts connections."""
        allow_loopback_sockets()
        initdb, postgres = require_program("initdb"), require_program("postgres")
        if os.geteuid() == 0:
            # pytest's temporary folders are private to root; the server user needs its own.
            self.folder = Path(tempfile.mkdtemp(prefix="haul-postgres-"))
            shutil.chown(self.folder, PG_USER, PG_USER)
        data = self.folder / "pgdata"
        self.folder.mkdir(parents=True, exist_ok=True)
        as_user = self._as_server_user()
        subprocess.run(
            [initdb, "-D", str(data), "-U", "haul", "--auth=trust", "-E", "UTF8"],
            check=True, capture_output=True, **as_user,  # type: ignore[call-overload]
        )  # fmt: skip
        self.process = subprocess.Popen(  # type: ignore[call-overload]
            [postgres, "-D", str(data), "-p", str(self.port), "-h", "127.0.0.1",
             "-k", str(self.folder), "-c", "fsync=off"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **as_user,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while (problem := self._createdb("haul")) is not None:
            if time.monotonic() > deadline:
                message = f"postgres did not start: {problem}"
                raise RuntimeError(message)
            time.sleep(0.2)

    def create_database(self, tablespace: str | None = None) -> str:
        """Create an empty database (in a tablespace if named) and return its SQLAlchemy URL."""
        self._databases += 1
        name = f"haul_{self._databases}"
        problem = self._createdb(name, *(["--tablespace", tablespace] if tablespace else []))
        if problem is not None:
            raise RuntimeError(problem)
        return f"postgresql+asyncpg://haul@127.0.0.1:{self.port}/{name}"

    def create_tablespace(self, name: str, folder: Path) -> None:
        """Let the server keep tables in folder (an empty folder the server user owns)."""
        psql = require_program("psql")
        subprocess.run(
            [psql, "-h", "127.0.0.1", "-p", str(self.port), "-U", "haul", "-d", "haul",
             "-c", f"CREATE TABLESPACE {name} LOCATION '{folder}'"],
            capture_output=True, check=True,
        )  # fmt: skip

    def drop_tablespace(self, name: str, database_url: str) -> None:
        """Drop a database kept in a tablespace, then the tablespace, before its folder goes.

        A folder that vanished under them leaves dirty pages the server can never write: every
        later checkpoint, hence every later CREATE DATABASE on this server, would fail.
        """
        psql = require_program("psql")
        database = database_url.rsplit("/", 1)[1]
        for statement in (f'DROP DATABASE "{database}" WITH (FORCE)', f"DROP TABLESPACE {name}"):
            subprocess.run(
                [psql, "-h", "127.0.0.1", "-p", str(self.port), "-U", "haul", "-d", "haul",
                 "-c", statement],
                capture_output=True, check=True,
            )  # fmt: skip

    def _createdb(self, name: str, *options: str) -> str | None:
        """Run createdb; None on success, else its complaint."""
        createdb = require_program("createdb")
        done = subprocess.run(
            [createdb, "-h", "127.0.0.1", "-p", str(self.port), "-U", "haul", *options, name],
            capture_output=True, check=False,
        )  # fmt: skip
        return None if done.returncode == 0 else done.stderr.decode()

    def stop(self) -> None:
        """Stop the server."""
        if self.process is not None:
            self.process.send_signal(signal.SIGINT)  # "fast" shutdown: SIGTERM waits for clients
            self.process.wait(20)
        if os.geteuid() == 0:
            shutil.rmtree(self.folder, ignore_errors=True)
