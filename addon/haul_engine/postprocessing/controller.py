"""Post-processing: a finished download of a configured category goes into its media folder."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from haul_engine.commands import api_command
from haul_engine.controller import Controller
from haul_engine.db.jobs import JobQueue
from haul_engine.errors import InvalidInput, NotFound, Unavailable
from haul_engine.events import EventName
from haul_engine.postprocessing.naming import Placement, plan
from haul_engine.postprocessing.placing import Action, InTheWay, Placed, in_the_way, place_file
from haul_engine.torrents.controller import InfoHash  # noqa: TC001 - pydantic reads it at runtime

if TYPE_CHECKING:
    from haul_engine.db.jobs import Job
    from haul_engine.engine import Engine
    from haul_engine.events import Event
    from haul_engine.settings import PostProcessRule

_LOGGER = logging.getLogger(__name__)


class PlacedFile(BaseModel):
    """One file put into the media folder."""

    source: str
    target: str
    how: Placed


class PlannedFile(BaseModel):
    """One file of an import's plan: from where, to where, how big."""

    source: str  # relative to the torrent's location
    target: str  # relative to the media folder
    size: int


class Plan(BaseModel):
    """An import decided, stored in its job before the first file is touched."""

    hash: str
    name: str
    category: str
    action: Action
    folder: str
    location: str
    files: list[PlannedFile]
    left: list[str]


class ImportResult(BaseModel):
    """What post-processing did with one torrent."""

    hash: str
    name: str
    category: str
    action: Action
    folder: str
    files: list[PlacedFile]
    left: list[str]  # the torrent's other files (samples, extras, .nfo), where they were
    refreshed: int  # media servers refreshed for the new folders


class PostProcessingController(Controller):
    """Places each finished torrent of a configured category, then refreshes the media servers.

    The work is a durable job holding its plan (a restart in the middle finishes it, even once a
    moved torrent is gone), started by `torrent_completed` and retried while the torrent is still
    moving out of the incomplete folder or a file is in a move's way. Torrents of the request
    gate are the *arrs' to import: they are left alone.
    """

    feature = "postprocessing"

    def __init__(self, engine: Engine) -> None:
        """Prepare the job queue; nothing runs until setup."""
        super().__init__(engine)
        self.jobs = JobQueue(
            engine.database, "postprocess", self._run_job, retry_on=(Unavailable,),
            backoff=2.0, max_backoff=300.0, idle=3600.0,
        )  # fmt: skip
        self._unsubscribe: Any = None
        self._placing = asyncio.Lock()

    @property
    def rules(self) -> dict[str, PostProcessRule]:
        """The configured rule of each category."""
        return {rule.category: rule for rule in self.engine.settings.post_processing}

    async def setup(self) -> None:
        """Follow finished torrents and resume the jobs a stop interrupted."""
        self._unsubscribe = self.engine.events.subscribe(
            self._on_completed, [EventName.TORRENT_COMPLETED]
        )
        await self.jobs.start()

    async def close(self) -> None:
        """Stop following; unfinished jobs wait for the next start."""
        if self._unsubscribe is not None:
            self._unsubscribe()
        await self.jobs.close()

    async def _on_completed(self, event: Event) -> None:
        data = event.data
        if data.get("category") not in self.rules or data.get("request_id"):
            return
        async with self.engine.database.session() as tx:
            await self.jobs.put(  # a waiting job (with its plan, maybe) wins
                tx, _key(data["hash"]), "import", {"hash": data["hash"]}, replace=False
            )
        self.jobs.wake()

    async def _run_job(self, job: Job) -> None:
        async with self._placing:
            stored = await self.jobs.stored(job.key)
            if stored is None:  # a run by hand did it meanwhile
                return
            try:
                await self._import(job.payload["hash"], stored.payload)
            except (InvalidInput, NotFound) as err:  # removed, unfinished, no rule: nothing to do
                _LOGGER.warning("post-processing %s: %s", job.payload["hash"], err)

    @api_command("postprocessing/run", method="POST", path="/postprocessing/{info_hash}")
    async def run(self, info_hash: InfoHash) -> ImportResult:
        """Place a finished torrent's files by its category's rule now (again: nothing is lost).

        An import a stop interrupted is finished by its stored plan (a moved torrent is gone).
        404 for an unknown torrent, 400 when it is unfinished or its category has no rule (or a
        different file is in the way), 503 while it still moves out of the incomplete folder.
        """
        async with self._placing:  # a run by hand meeting the job's would copy into its partial
            known = self.engine.torrents.resolve(info_hash) or info_hash.lower()
            stored = await self.jobs.stored(_key(known))
            return await self._import(info_hash, stored.payload if stored else {})

    async def _import(self, info_hash: str, payload: dict[str, Any]) -> ImportResult:
        """Carry out the stored plan of a torrent's import, or plan it and store the plan first.

        The plan is in the import's durable job before the first file or the torrent is touched;
        the job ends (and the notice goes out) once every file is in place.
        """
        torrents = self.engine.torrents
        if "plan" in payload:
            plan = Plan.model_validate(payload["plan"])
        else:
            plan = await self._plan(info_hash)
            async with self.engine.database.durable_session() as tx:  # even a power cut
                await self.jobs.note(
                    tx,
                    _key(plan.hash),
                    "import",
                    {"hash": plan.hash, "plan": plan.model_dump(mode="json")},
                )
        # a stored plan too stays inside the roots as they are now (its own file names unresolved)
        folder = torrents.folders.confine(plan.folder)
        targets = [torrents.folders.confine(folder / item.target) for item in plan.files]
        sources = [
            torrents.folders.confine((Path(plan.location) / item.source).parent)
            / Path(item.source).name
            for item in plan.files
        ]
        if plan.action == "move" and plan.hash in torrents.records:
            # the torrent cannot seed files that leave: it goes first, but not while a file is in
            # the way (the torrent would be gone and the move undone)
            for source, target in zip(sources, targets, strict=True):
                if await asyncio.to_thread(in_the_way, source, target):
                    await self._forget(plan.hash)
                    msg = f"{target} exists and is another file: left as it is"
                    raise InvalidInput(msg)
            await torrents.remove([plan.hash], delete_files=False)
        result = await self._carry_out(plan, sources, targets)
        # every file is in place now: only a scan from now on sees them all (one sent while they
        # were copied, for another import of the folder, does not stand for this one)
        for shown in sorted({str(target.parent) for target in targets}):
            outcomes = await self.engine.mediaservers.refresh(shown)
            result.refreshed = max(result.refreshed, sum(outcome.ok for outcome in outcomes))
        await self._forget(plan.hash)
        self.engine.events.publish(
            EventName.POSTPROCESSING_COMPLETED, result.model_dump(mode="json")
        )
        return result

    async def _plan(self, info_hash: str) -> Plan:
        """Where each file of a finished torrent goes by its category's rule (nothing touched)."""
        torrents = self.engine.torrents
        found = torrents.find(info_hash)
        view = torrents.view(found)
        rule = self.rules.get(view.record.category)
        if rule is None:
            msg = f"category {view.record.category!r} has no post-processing rule"
            raise InvalidInput(msg)
        if not view.status.finished:
            msg = f"{view.name} is not finished"
            raise InvalidInput(msg)
        if view.status.moving:
            msg = f"{view.name} is still moving out of the incomplete folder"
            raise Unavailable(msg)
        files = [(entry.path, entry.size) for entry in torrents.files(found)]
        placements = plan(view.name, files, rule.media, rule.pattern)
        if not placements:
            msg = f"{view.name}: no video with a name to give it"
            raise InvalidInput(msg)
        folder = torrents.folders.confine(rule.folder)
        targets = [torrents.folders.confine(folder / placement.target) for placement in placements]
        if any(not target.is_relative_to(folder) for target in targets):
            msg = f"{view.name}: the pattern leads outside {folder}"
            raise InvalidInput(msg)
        sizes = dict(files)
        return Plan(
            hash=found, name=view.name, category=rule.category, action=rule.action,
            folder=str(folder), location=view.location,
            files=[
                PlannedFile(source=item.source, target=item.target, size=sizes[item.source])
                for item in placements
            ],
            left=_left(files, placements),
        )  # fmt: skip

    async def _carry_out(
        self, plan: Plan, sources: list[Path], targets: list[Path]
    ) -> ImportResult:
        """Place every file of the plan not yet in place; raise once the others are placed."""
        placed: list[PlacedFile] = []
        gone: list[str] = []
        for item, source, target in zip(plan.files, sources, targets, strict=True):
            try:
                how = await asyncio.to_thread(place_file, source, target, item.size, plan.action)
            except InTheWay as err:
                if plan.action == "move":  # the torrent is gone: the plan waits for the way
                    msg = f"{err}; move it away and the import goes on"
                    raise Unavailable(msg) from None
                await self._forget(plan.hash)  # the torrent still has it all: run it again later
                raise
            if how is None:
                gone.append(item.source)
            else:
                placed.append(PlacedFile(source=item.source, target=item.target, how=how))
        if gone:
            await self._forget(plan.hash)
            msg = f"{plan.name}: {', '.join(gone)} in neither the download nor the media folder"
            raise InvalidInput(msg)
        _LOGGER.info(
            "post-processing %s: %d file(s) %s into %s",
            plan.name,
            len(placed),
            plan.action,
            plan.folder,
        )
        return ImportResult(
            hash=plan.hash, name=plan.name, category=plan.category, action=plan.action,
            folder=plan.folder, files=placed, left=plan.left, refreshed=0,
        )  # fmt: skip

    async def _forget(self, info_hash: str) -> None:
        """Drop the import's job (and its plan): done, or nothing to do."""
        async with self.engine.database.session() as tx:
            await self.jobs.drop(tx, _key(info_hash))

    def problems(self) -> list[str]:
        """Say which job keeps failing."""
        return [self.jobs.problem] if self.jobs.problem else []


def _key(info_hash: str) -> str:
    return f"import:{info_hash}"


def _left(files: list[tuple[str, int]], placements: list[Placement]) -> list[str]:
    placed = {placement.source for placement in placements}
    return [path for path, _size in files if path not in placed]
