"""A throw-away PostgreSQL server: initdb in a temporary folder, listening on a loopback port."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import time
from typing import TYPE_CHECKING

from tests.support.programs import free_port, require_program

if TYPE_CHECKING:
    from pathlib import Path

PG_USER = "postgres"


class PostgresServer:
    """initdb + postgres; as root the server runs as the `postgres` system user."""

    def __init__(self, folder: Path) -> None:
        """Prepare paths; start() does the work."""
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def _as_server_user(self) -> dict[str, object]:
        if os.geteuid() != 0:
            return {}
        entry = pwd.getpwnam(PG_USER)
        return {"user": entry.pw_uid, "group": entry.pw_gid}

    def start(self) -> str:
        """Create the cluster and a database; return its SQLAlchemy URL."""
        initdb, postgres = require_program("initdb"), require_program("postgres")
        data = self.folder / "pgdata"
        self.folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.folder, PG_USER, PG_USER)
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
        createdb = require_program("createdb")
        deadline = time.monotonic() + 30
        while True:
            done = subprocess.run(
                [createdb, "-h", "127.0.0.1", "-p", str(self.port), "-U", "haul", "haul"],
                capture_output=True, check=False,
            )  # fmt: skip
            if done.returncode == 0:
                break
            if time.monotonic() > deadline:
                message = f"postgres did not start: {done.stderr.decode()}"
                raise RuntimeError(message)
            time.sleep(0.2)
        return f"postgresql+asyncpg://haul@127.0.0.1:{self.port}/haul"

    def stop(self) -> None:
        """Stop the server."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(20)
