"""JobQueue: durable work kept in the database, run when due by one worker, retried on failure."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta
from importlib import import_module
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Index, Integer, String, Text, UniqueConstraint, delete, or_, select
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Mapped, mapped_column

from haul_engine.db.models import Base, UtcDateTime, utcnow

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable

    from sqlalchemy.ext.asyncio import AsyncSession

    from haul_engine.db.database import Database

_LOGGER = logging.getLogger(__name__)
BATCH = 20  # jobs taken from the table at a time


class Job(Base):
    """One job of a queue: what to do (kind, payload), when (run_at), how it went so far."""

    __tablename__ = "jobs"
    __table_args__ = (UniqueConstraint("queue", "key"), Index("ix_jobs_due", "queue", "run_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    queue: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(128))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    run_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    revision: Mapped[int] = mapped_column(Integer, default=0)  # counts the puts of this key


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
        session: AsyncSession,
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
        statement = self._insert(key, kind, payload, seconds)
        if replace or key == self._running:
            excluded = statement.excluded
            statement = statement.on_conflict_do_update(
                index_elements=["queue", "key"],
                set_={
                    "kind": excluded.kind, "payload": excluded.payload, "run_at": excluded.run_at,
                    "attempts": 0, "last_error": None, "revision": Job.revision + 1,
                },
            )  # fmt: skip
        else:
            statement = statement.on_conflict_do_nothing(index_elements=["queue", "key"])
        stored = await session.execute(statement.returning(Job.id))
        return stored.first() is not None

    async def note(
        self, session: AsyncSession, key: str, kind: str, payload: dict[str, Any]
    ) -> None:
        """Keep a job's progress in its payload, in the caller's transaction (no second run for it).

        A key with no job gets one, due now: a stop before the work ends resumes it at the next
        start.
        """
        statement = self._insert(key, kind, payload, 0.0)
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["queue", "key"], set_={"payload": statement.excluded.payload}
            )
        )

    async def stored(self, key: str) -> Job | None:
        """Return the job of that key as the table holds it now (None once done or dropped)."""
        async with self.database.session() as session:
            return await session.scalar(select(Job).where(Job.queue == self.name, Job.key == key))

    def _insert(self, key: str, kind: str, payload: dict[str, Any], seconds: float) -> Any:  # noqa: ANN401 - the dialect's Insert, which each dialect types apart
        """Return the insert of a fresh job, in the database's own dialect (for its upserts)."""
        values = {
            "queue": self.name, "key": key, "kind": kind, "payload": payload,
            "run_at": utcnow() + timedelta(seconds=seconds), "attempts": 0, "revision": 0,
        }  # fmt: skip
        # the dialect in use only: PostgreSQL's weighs 2 MiB that a SQLite engine need not carry
        dialect = import_module(f"sqlalchemy.dialects.{self.database.dialect}")
        return dialect.insert(Job).values(values)

    async def drop(self, session: AsyncSession, key: str) -> None:
        """Forget the job of that key, in the caller's transaction."""
        await session.execute(delete(Job).where(Job.queue == self.name, Job.key == key))

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
        due = or_(Job.run_at <= utcnow(), Job.key.in_(sorted(hurried)))
        async with self.database.session() as session:
            jobs = list(
                await session.scalars(
                    select(Job).where(Job.queue == self.name, due).order_by(Job.run_at).limit(BATCH)
                )
            )
        for job in jobs:
            await self._run(job)
        async with self.database.session() as session:
            upcoming = await session.scalar(
                select(Job.run_at).where(Job.queue == self.name).order_by(Job.run_at).limit(1)
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
            async with self.database.session() as session, session.begin():
                await session.execute(
                    delete(Job).where(Job.id == job.id, Job.revision == job.revision)
                )
        finally:
            self._running = None

    async def _retry_later(self, job: Job, error: str) -> None:
        delay = min(self._backoff * 2 ** min(job.attempts, 10), self._max_backoff)
        _LOGGER.warning("%s job %s failed (retry in %.0f s): %s", self.name, job.key, delay, error)
        async with self.database.session() as session, session.begin():
            await session.execute(
                sql_update(Job)
                .where(Job.id == job.id, Job.revision == job.revision)
                .values(
                    attempts=Job.attempts + 1,
                    last_error=error,
                    run_at=utcnow() + timedelta(seconds=delay),
                )
            )
