"""JobQueue: durable work kept in the database, run when due by one worker, retried on failure."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from haul_engine.db.tables import Table
from haul_engine.db.values import utcnow

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable

    from haul_engine.db.database import Database
    from haul_engine.db.sql import Transaction

_LOGGER = logging.getLogger(__name__)
BATCH = 20  # jobs taken from the table at a time


@dataclass(slots=True)
class Job:
    """One job of a queue: what to do (kind, payload), when (run_at), how it went so far."""

    queue: str
    kind: str
    key: str
    payload: dict[str, Any] = field(default_factory=dict)
    run_at: datetime = field(default_factory=utcnow)
    attempts: int = 0
    last_error: str | None = None
    revision: int = 0  # counts the puts of this key
    id: int = 0  # 0 until inserted


JOBS = Table("jobs", Job, key=["id"], generated="id")
_INSERT = (
    "INSERT INTO jobs (queue, kind, key, payload, run_at, attempts, revision)"
    " VALUES (:queue, :kind, :key, :payload, :run_at, 0, 0) ON CONFLICT (queue, key) DO "
)
_REPLACE = (
    "UPDATE SET kind = excluded.kind, payload = excluded.payload, run_at = excluded.run_at,"
    " attempts = 0, last_error = NULL, revision = jobs.revision + 1"
)


class JobQueue:
    """One owner's durable jobs, run one at a time when due.

    A job stays in the table until its handler returns, so a crash or a kill -9 in the middle of
    one runs it again at the next start: handlers must be safe to repeat. A job put again while it
    runs (a step planning the next one) is kept with its new time. A handler raising one of
    `retry_on` is retried after a back-off that doubles from `backoff` up to `max_backoff`; any
    other failure is logged, reported by `problem` and retried a tenth of `max_backoff` later.
    """

    def __init__(  # noqa: PLR0913 - where, whose, what, and the timing of retries
        self,
        database: Database,
        name: str,
        run: Callable[[Job], Awaitable[None]],
        *,
        retry_on: tuple[type[Exception], ...],
        backoff: float,
        max_backoff: float,
        idle: float,
    ) -> None:
        """Serve the jobs of queue `name` with `run`; look at the table at least every `idle` s."""
        self.database = database
        self.name = name
        self.problem: str | None = None
        self._run_job = run
        self._retry_on = retry_on
        self._backoff = backoff
        self._max_backoff = max_backoff
        self._idle = idle
        self._wake = asyncio.Event()
        self._hurried: set[str] = set()
        self._running: str | None = None
        self._worker: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start the worker; it resumes what the table holds."""
        self._worker = asyncio.create_task(self._work(), name=f"{self.name} jobs")

    async def close(self) -> None:
        """Stop the worker; unfinished jobs stay for the next start."""
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker

    async def put(  # noqa: PLR0913 - a job's fields
        self,
        tx: Transaction,
        key: str,
        kind: str,
        payload: dict[str, Any],
        seconds: float = 0.0,
        *,
        replace: bool = True,
    ) -> bool:
        """Store a job due in seconds, in the caller's transaction; wake() once it is committed.

        With replace=False a waiting job of that key wins (and False is returned); a job of that
        key running right now is followed by this one either way.
        """
        change = _REPLACE if replace or key == self._running else "NOTHING"
        stored = await tx.fetch_one(
            f"{_INSERT}{change} RETURNING id", self._values(key, kind, payload, seconds)
        )
        return stored is not None

    async def note(self, tx: Transaction, key: str, kind: str, payload: dict[str, Any]) -> None:
        """Keep a job's progress in its payload, in the caller's transaction (no second run for it).

        A key with no job gets one, due now: a stop before the work ends resumes it at the next
        start.
        """
        await tx.execute(
            f"{_INSERT}UPDATE SET payload = excluded.payload", self._values(key, kind, payload, 0.0)
        )

    async def stored(self, key: str) -> Job | None:
        """Return the job of that key as the table holds it now (None once done or dropped)."""
        async with self.database.session() as tx:
            return await JOBS.first(
                tx, "WHERE queue = :queue AND key = :key", {"queue": self.name, "key": key}
            )

    def _values(
        self, key: str, kind: str, payload: dict[str, Any], seconds: float
    ) -> dict[str, Any]:
        """Return the columns of a fresh job."""
        run_at = utcnow() + timedelta(seconds=seconds)
        return {"queue": self.name, "key": key, "kind": kind, "payload": payload, "run_at": run_at}

    async def drop(self, tx: Transaction, key: str) -> None:
        """Forget the job of that key, in the caller's transaction."""
        await tx.execute(
            "DELETE FROM jobs WHERE queue = :queue AND key = :key", {"queue": self.name, "key": key}
        )

    def wake(self) -> None:
        """Look at the table now (after committing a put)."""
        self._wake.set()

    def hurry(self, keys: Iterable[str]) -> None:
        """Run the jobs of these keys now rather than when due (one running now, once more)."""
        self._hurried.update(keys)
        self._wake.set()

    async def _work(self) -> None:
        while True:
            self._wake.clear()
            try:
                wait = await self._run_due()
                self.problem = None
            except Exception as err:
                _LOGGER.exception("%s job worker failed", self.name)
                self.problem = f"{self.name} jobs: {err}"
                wait = self._max_backoff / 10
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)

    async def _run_due(self) -> float:
        """Run every due (or hurried) job once; return the seconds until the next one."""
        hurried, self._hurried = self._hurried, set()
        async with self.database.session() as tx:
            jobs = await JOBS.all(
                tx,
                "WHERE queue = :queue AND (run_at <= :now OR key IN :hurried)"
                " ORDER BY run_at LIMIT :batch",
                {"queue": self.name, "now": utcnow(), "hurried": sorted(hurried), "batch": BATCH},
            )
        for job in jobs:
            await self._run(job)
        async with self.database.session() as tx:
            upcoming: datetime | None = await tx.fetch_value(
                "SELECT run_at FROM jobs WHERE queue = :queue ORDER BY run_at LIMIT 1",
                {"queue": self.name},
            )
        if self._hurried:  # hurried while a job ran
            return 0.0
        if upcoming is None:
            return self._idle
        return min(max((upcoming - utcnow()).total_seconds(), 0.0), self._idle)

    async def _run(self, job: Job) -> None:
        """Run one job; remove it unless it was put again meanwhile; retry it when it fails."""
        self._running = job.key  # until the job is removed: a put meanwhile must follow it
        try:
            try:
                await self._run_job(job)
            except self._retry_on as err:
                await self._retry_later(job, str(err))
                return
            async with self.database.session() as tx:
                await tx.execute(
                    "DELETE FROM jobs WHERE id = :id AND revision = :revision",
                    {"id": job.id, "revision": job.revision},
                )
        finally:
            self._running = None

    async def _retry_later(self, job: Job, error: str) -> None:
        delay = min(self._backoff * 2 ** min(job.attempts, 10), self._max_backoff)
        _LOGGER.warning("%s job %s failed (retry in %.0f s): %s", self.name, job.key, delay, error)
        async with self.database.session() as tx:
            await tx.execute(
                "UPDATE jobs SET attempts = attempts + 1, last_error = :error, run_at = :run_at"
                " WHERE id = :id AND revision = :revision",
                {
                    "error": error, "run_at": utcnow() + timedelta(seconds=delay),
                    "id": job.id, "revision": job.revision,
                },
            )  # fmt: skip
