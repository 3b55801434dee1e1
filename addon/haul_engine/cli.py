"""`haul-engine` / `python -m haul_engine`: run the engine, or print its API token.

Each action imports only what it uses: the add-on runs `token` and `check` at every start, and
the whole engine (aiohttp, libtorrent, every controller) would double their time and memory.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import TYPE_CHECKING

from haul_engine import __version__
from haul_engine.errors import EngineError
from haul_engine.logs import setup_logging
from haul_engine.secrets_store import load_or_create_token
from haul_engine.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from collections.abc import Coroutine, Sequence

_LOGGER = logging.getLogger("haul_engine")
SHUTDOWN_TIMEOUT = 9.0
EXIT_BAD_SETTINGS = 2


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the chosen action."""
    parser = argparse.ArgumentParser(prog="haul-engine", description="The Haul engine.")
    parser.add_argument(
        "action",
        nargs="?",
        choices=["run", "token", "check", "snapshot"],
        default="run",
        help="run the engine (default); print the API token; check settings and migrate the "
        "database; write a consistent database snapshot for backups",
    )
    parser.add_argument("--version", action="version", version=__version__)
    parser.add_argument("--data-dir", help="folder for the database, secrets and state (/data)")
    parser.add_argument("--host", help="address to listen on (0.0.0.0)")
    parser.add_argument("--port", type=int, help="API port (8765)")
    parser.add_argument("--log-level", choices=["debug", "info", "warning", "error"])
    parser.add_argument(
        "--database-url", help="postgresql+asyncpg://… (default: SQLite in the data folder)"
    )
    arguments = vars(parser.parse_args(argv))
    action = arguments.pop("action")
    try:
        settings = load_settings(arguments)
    except SettingsError as err:
        print(f"haul-engine: {err}", file=sys.stderr)  # noqa: T201 - the one message for the user
        return EXIT_BAD_SETTINGS
    if action == "token":
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        print(load_or_create_token(settings.data_dir))  # noqa: T201 - the command's output
        return 0
    setup_logging(settings.log_level)
    if action == "check":
        return _run_async(check(settings))
    if action == "snapshot":
        return snapshot(settings)
    return _run_async(run(settings))


def _run_async(work: Coroutine[object, object, int]) -> int:
    """Run an action on an event loop (asyncio itself weighs 11 MiB: `token` does without)."""
    import asyncio  # noqa: PLC0415 - only the actions that need it

    return asyncio.run(work)


async def check(settings: Settings) -> int:
    """Validate settings and bring the database schema up to date, then exit."""
    from haul_engine.db.database import Database  # noqa: PLC0415 - only what this action uses

    database = Database(settings.effective_database_url)
    try:
        await database.setup()
    except (EngineError, OSError) as err:
        _LOGGER.error("database check failed: %s", err)  # noqa: TRY400 - the message says it all
        return 1
    finally:
        await database.close()
    _LOGGER.info("settings valid; database %s at revision %s", database.dialect, database.revision)
    return 0


def snapshot(settings: Settings) -> int:
    """Write the SQLite snapshot that backups carry (nothing to do for a server database)."""
    from haul_engine.db.backup import write_snapshot  # noqa: PLC0415 - only what this action uses
    from haul_engine.db.database import Database  # noqa: PLC0415

    path = Database(settings.effective_database_url).sqlite_path
    if path is None:
        _LOGGER.info("database is external: back it up with its own tools")
        return 0
    if not path.exists():
        _LOGGER.info("no database yet")
        return 0
    _LOGGER.info("snapshot written to %s", write_snapshot(path))
    return 0


async def run(settings: Settings) -> int:
    """Run until SIGTERM or SIGINT, then shut down within the timeout."""
    import asyncio  # noqa: PLC0415 - only what this action uses
    import signal  # noqa: PLC0415

    from haul_engine.engine import Engine  # noqa: PLC0415

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    engine = Engine(settings)
    try:
        await engine.setup()
    except (EngineError, OSError) as err:
        _LOGGER.error("cannot start: %s", err)  # noqa: TRY400 - the message says it all
        await engine.close()
        return 1
    except Exception:
        _LOGGER.exception("cannot start")
        await engine.close()
        return 1
    _LOGGER.info("Haul engine %s ready", __version__)
    await stop.wait()
    _LOGGER.info("stopping")
    try:
        await asyncio.wait_for(engine.close(), SHUTDOWN_TIMEOUT)
    except TimeoutError:
        _LOGGER.error("shutdown took longer than %s s", SHUTDOWN_TIMEOUT)  # noqa: TRY400
        return 1
    return 0
