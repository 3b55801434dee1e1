"""Fixtures shared by every test."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.fakes.overseerr import FakeOverseerr
from tests.support.disk import mount_small_disk, unmount_small_disk
from tests.support.engine import EngineProcess
from tests.support.postgres import PostgresServer
from tests.support.programs import require_root

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator


def pytest_configure() -> None:
    """HA's plugin logs every SQL statement; a failed test's report should show Haul's lines."""
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)


@pytest.fixture(autouse=True)
def _loopback_sockets(socket_enabled: None) -> None:
    """Tests talk to real servers; HA's plugin keeps connections limited to 127.0.0.1."""


@pytest.fixture
def engine_factory(tmp_path: Path) -> Iterator[Callable[..., EngineProcess]]:
    """Make engine subprocesses on fresh data folders; all are stopped after the test."""
    engines: list[EngineProcess] = []

    def make(name: str = "engine", **options: object) -> EngineProcess:
        engine = EngineProcess(tmp_path / name, **options)  # type: ignore[arg-type]
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.kill()


@pytest.fixture
def engine(engine_factory: Callable[..., EngineProcess]) -> EngineProcess:
    """A running engine on SQLite, for one test."""
    return engine_factory().start()


@pytest.fixture(scope="module")
def shared_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineProcess]:
    """One running engine for a whole module of tests that do not change its state."""
    engine = EngineProcess(tmp_path_factory.mktemp("shared") / "engine").start()
    yield engine
    engine.kill()


@pytest.fixture
def overseerr() -> Iterator[FakeOverseerr]:
    """A running fake Overseerr."""
    with FakeOverseerr() as server:
        yield server


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    """A real PostgreSQL server for the session, on a loopback port."""
    server = PostgresServer(tmp_path_factory.mktemp("postgres"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_database(postgres_server: PostgresServer) -> str:
    """A fresh, empty PostgreSQL database for one test."""
    return postgres_server.create_database()


@pytest.fixture
def small_disk() -> Iterator[Path]:
    """A 24 MB filesystem of its own, to run out of space on.

    Outside pytest's folders (private to root), so that a server's own user can reach it too.
    """
    require_root("mounts a small tmpfs to run out of space")
    folder = Path(tempfile.mkdtemp(prefix="haul_small_disk_"))
    mount_small_disk(folder, 24)
    try:
        yield folder
    finally:
        unmount_small_disk(folder)
        folder.rmdir()
