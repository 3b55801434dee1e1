"""JobQueue: durable jobs on SQLite and PostgreSQL, run when due, kept until done, retried."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Self

from haul_engine.db.jobs import JOBS, Job, JobQueue
from haul_engine.errors import Unavailable

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from haul_engine.db.database import Database

NEVER_STARTED: dict[str, Any] = {"retry_on": (), "backoff": 1, "max_backoff": 1, "idle": 1}


class Worker:
    """A running queue whose handler records what it ran, then does the test's action."""

    def __init__(
        self, database: Database, action: Callable[[Job], Awaitable[None]] | None = None
    ) -> None:
        self.database = database
        self.ran: list[tuple[str, dict[str, Any]]] = []
        self.done = asyncio.Event()
        self.action = action
        self.queue = JobQueue(
            database, "test", self._run, retry_on=(Unavailable,), backoff=0.2, max_backoff=5.0,
            idle=30.0,
        )  # fmt: skip

    async def __aenter__(self) -> Self:
        await self.queue.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.queue.close()

    async def _run(self, job: Job) -> None:
        self.ran.append((job.key, job.payload))
        self.done.set()
        if self.action is not None:
            await self.action(job)

    async def put(
        self, key: str, seconds: float = 0.0, *, replace: bool = True, **payload: object
    ) -> bool:
        async with self.database.session() as tx:
            queued = await self.queue.put(tx, key, "test", payload, seconds, replace=replace)
        self.queue.wake()
        return queued

    async def ran_keys(self, count: int) -> list[str]:
        async with asyncio.timeout(10):
            while len(self.ran) < count:
                self.done.clear()
                await self.done.wait()
        await asyncio.sleep(0.1)  # let the worker finish the job (or run another)
        return [key for key, _ in self.ran]

    async def stored(self) -> list[Job]:
        async with self.database.session() as tx:
            return await JOBS.all(tx, "ORDER BY key")


async def test_jobs_run_when_due_once_and_are_then_forgotten(database: Database) -> None:
    async with Worker(database) as worker:
        assert await worker.put("later", 0.5, n=2)
        assert await worker.put("now", n=1)
        assert not await worker.put("now", replace=False, n=9)  # a waiting job wins
        assert await worker.ran_keys(1) == ["now"]
        assert worker.ran[0][1] == {"n": 1}
        assert await worker.ran_keys(2) == ["now", "later"]
        assert await worker.stored() == []


async def test_a_job_put_again_while_it_runs_is_kept_with_its_new_time(database: Database) -> None:
    async def plan_next_step(job: Job) -> None:
        if job.payload["step"] == 1:
            async with database.session() as tx:
                await worker.queue.put(tx, job.key, "test", {"step": 2}, 0.3)
                other = JobQueue(database, "other", plan_next_step, **NEVER_STARTED)
                assert await other.put(tx, job.key, "test", {}, 3600, replace=False)

    async with Worker(database, plan_next_step) as worker:
        await worker.put("step:1", step=1)
        assert await worker.ran_keys(2) == ["step:1", "step:1"]
        assert [payload for _, payload in worker.ran] == [{"step": 1}, {"step": 2}]
        # another owner's queue holds the same key apart
        assert [(job.queue, job.key) for job in await worker.stored()] == [("other", "step:1")]


async def test_a_put_from_elsewhere_while_a_job_runs_follows_it(database: Database) -> None:
    release = asyncio.Event()

    async def slow(job: Job) -> None:
        if job.payload["n"] == 1:
            await release.wait()

    async with Worker(database, slow) as worker:
        await worker.put("sync", n=1)
        await worker.ran_keys(1)
        assert await worker.put("sync", 0.1, replace=False, n=2)  # running: queued after it
        release.set()
        assert await worker.ran_keys(2) == ["sync", "sync"]
        assert worker.ran[1][1] == {"n": 2}
        assert await worker.stored() == []


async def test_failures_are_retried_with_back_off_and_reported(database: Database) -> None:
    failures = [Unavailable("the arr is down"), RuntimeError("a bug")]

    async def fail_twice(_job: Job) -> None:
        if failures:
            raise failures.pop(0)

    async with Worker(database, fail_twice) as worker:
        await worker.put("flaky")
        await worker.ran_keys(1)
        (stored,) = await worker.stored()
        assert (stored.attempts, stored.last_error) == (1, "the arr is down")
        await worker.ran_keys(2)  # after 0.2 s; a bug pauses the worker for 0.5 s
        assert worker.queue.problem == "test jobs: a bug"
        assert len(await worker.stored()) == 1
        await worker.queue.close()
        await worker.queue.start()  # a restart runs it again at once (it is due)
        assert await worker.ran_keys(3) == ["flaky"] * 3
        assert worker.queue.problem is None
        assert await worker.stored() == []


async def test_hurried_jobs_run_now_and_once_more_if_they_were_running(database: Database) -> None:
    running = asyncio.Event()
    release = asyncio.Event()

    async def reschedule(job: Job) -> None:
        if job.payload["n"] == 1:
            running.set()
            await release.wait()
        async with database.session() as tx:
            await worker.queue.put(tx, job.key, "test", {"n": job.payload["n"] + 1}, 3600)

    async with Worker(database, reschedule) as worker:
        await worker.put("download", n=1)
        await asyncio.wait_for(running.wait(), 10)
        worker.queue.hurry(["download", "no such job"])  # the download finished meanwhile
        release.set()
        assert await worker.ran_keys(2) == ["download", "download"]
        worker.queue.hurry(["download"])
        assert await worker.ran_keys(3) == ["download"] * 3
        assert [job.payload for job in await worker.stored()] == [{"n": 4}]


async def test_a_job_cut_off_mid_run_stays_and_runs_at_the_next_start(database: Database) -> None:
    hang = asyncio.Event()

    async def never_ends(_job: Job) -> None:
        await hang.wait()

    async with Worker(database, never_ends) as worker:
        await worker.put("import", n=1)
        await worker.ran_keys(1)
        await worker.queue.close()  # as a shutdown (or a kill) does to the running job
        assert [job.key for job in await worker.stored()] == ["import"]
        hang.set()
        await worker.queue.start()
        assert await worker.ran_keys(2) == ["import", "import"]
        assert await worker.stored() == []


async def test_a_job_s_progress_noted_while_it_runs_does_not_run_it_again(
    database: Database,
) -> None:
    async def note_progress(job: Job) -> None:
        async with database.session() as tx:
            await worker.queue.note(tx, job.key, "test", {"step": 1, "done": ["a"]})
        stored = await worker.queue.stored(job.key)
        assert stored is not None
        assert (stored.payload, stored.revision) == ({"step": 1, "done": ["a"]}, job.revision)

    async with Worker(database, note_progress) as worker:
        await worker.put("import", step=1)
        assert await worker.ran_keys(1) == ["import"]
        await asyncio.sleep(0.3)
        assert worker.ran == [("import", {"step": 1})]  # once
        assert await worker.stored() == []
        assert await worker.queue.stored("import") is None

    # a key with no job (a run by hand) gets one, due now: a stop before the end resumes it
    resumed = Worker(database)
    async with database.session() as tx:
        await resumed.queue.note(tx, "by-hand", "test", {"plan": [1, 2]})
    async with resumed:
        assert await resumed.ran_keys(1) == ["by-hand"]
        assert resumed.ran == [("by-hand", {"plan": [1, 2]})]
