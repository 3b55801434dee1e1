"""Post-processing: a finished download of a configured category goes into its media folder."""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel

from haul_engine.commands import api_command
from haul_engine.controller import Controller
from haul_engine.db.jobs import JobQueue
from haul_engine.errors import InvalidInput, NotFound, Unavailable
from haul_engine.events import EventName
from haul_engine.postprocessing.naming import Placement, plan
from haul_engine.torrents.controller import InfoHash  # noqa: TC001 - pydantic reads it at runtime

if TYPE_CHECKING:
    from haul_engine.db.jobs import Job
    from haul_engine.engine import Engine
    from haul_engine.events import Event
    from haul_engine.settings import PostProcessRule

_LOGGER = logging.getLogger(__name__)
Action = Literal["move", "copy", "hardlink"]


class PlacedFile(BaseModel):
    """One file put into the media folder."""

    source: str
    target: str
    how: Literal["moved", "copied", "hardlinked", "present"]


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

    The work is a durable job (a restart in the middle does it again; placed files are kept),
    started by `torrent_completed` and retried while the torrent is still moving out of the
    incomplete folder. Torrents of the request gate are the *arrs' to import: they are left alone.
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
        async with self.engine.database.session() as session, session.begin():
            await self.jobs.put(session, f"import:{data['hash']}", "import", {"hash": data["hash"]})
        self.jobs.wake()

    async def _run_job(self, job: Job) -> None:
        try:
            await self.run(job.payload["hash"])
        except (InvalidInput, NotFound) as err:  # removed, unfinished, no rule: nothing to do
            _LOGGER.warning("post-processing %s: %s", job.payload["hash"], err)

    @api_command("postprocessing/run", method="POST", path="/postprocessing/{info_hash}")
    async def run(self, info_hash: InfoHash) -> ImportResult:
        """Place a finished torrent's files by its category's rule now (again: nothing is lost).

        404 for an unknown torrent, 400 when it is unfinished or its category has no rule (or a
        different file is in the way), 503 while it still moves out of the incomplete folder.
        """
        async with self._placing:  # a run by hand meeting the job's would copy into its partial
            return await self._place(info_hash)

    async def _place(self, info_hash: str) -> ImportResult:
        """Place a finished torrent's files (one run at a time)."""
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
        location = Path(view.location)
        sources = [location / placement.source for placement in placements]
        if rule.action == "move":  # the torrent cannot seed files that leave: it goes first
            # but not while a file is in the way: the torrent would be gone and the move undone
            for source, target in zip(sources, targets, strict=True):
                if await asyncio.to_thread(_in_the_way, source, target):
                    msg = f"{target} exists and is another file: left as it is"
                    raise InvalidInput(msg)
            await torrents.remove([found], delete_files=False)
        placed = [
            await asyncio.to_thread(_place, source, target, rule.action)
            for source, target in zip(sources, targets, strict=True)
        ]
        result = ImportResult(
            hash=found, name=view.name, category=rule.category, action=rule.action,
            folder=str(folder), refreshed=0,
            files=[
                PlacedFile(source=placement.source, target=placement.target, how=how)
                for placement, how in zip(placements, placed, strict=True)
            ],
            left=_left(files, placements),
        )  # fmt: skip
        _LOGGER.info(
            "post-processing %s: %d file(s) %s into %s", view.name, len(placed), rule.action, folder
        )
        for shown in sorted({str(target.parent) for target in targets}):
            outcomes = await self.engine.mediaservers.refresh(shown)
            result.refreshed = max(result.refreshed, sum(outcome.ok for outcome in outcomes))
        self.engine.events.publish(
            EventName.POSTPROCESSING_COMPLETED, result.model_dump(mode="json")
        )
        return result

    def problems(self) -> list[str]:
        """Say which job keeps failing."""
        return [self.jobs.problem] if self.jobs.problem else []


def _left(files: list[tuple[str, int]], placements: list[Placement]) -> list[str]:
    placed = {placement.source for placement in placements}
    return [path for path, _size in files if path not in placed]


Placed = Literal["moved", "copied", "hardlinked", "present"]


def _place(source: Path, target: Path, action: Action) -> Placed:
    """Put one file at target (which an earlier run may have put there already)."""
    if _in_the_way(source, target):
        msg = f"{target} exists and is another file: left as it is"
        raise InvalidInput(msg)
    if target.exists():
        return "present"
    target.parent.mkdir(parents=True, exist_ok=True)
    done = _link_or_rename(source, target, action)
    if done is not None:
        return done
    partial = target.with_name(f".{target.name}.haul-partial")
    shutil.copyfile(source, partial)  # a half-written copy never carries the final name
    with partial.open("rb+") as handle:
        os.fsync(handle.fileno())
    partial.replace(target)
    if action == "move":
        source.unlink()
        return "moved"
    return "copied"


def _in_the_way(source: Path, target: Path) -> bool:
    """Whether another file holds the target's name (an earlier run's own placing does not)."""
    if not target.exists() or not source.exists() or target.samefile(source):
        return False
    return target.stat().st_size != source.stat().st_size


def _link_or_rename(source: Path, target: Path, action: Action) -> Placed | None:
    """Hard-link or rename where the file system allows it; None: copy instead."""
    try:
        if action == "hardlink":
            target.hardlink_to(source)
            return "hardlinked"
        if action == "move":
            source.rename(target)
            return "moved"
    except OSError as err:
        if err.errno not in {errno.EXDEV, errno.EPERM, errno.EMLINK}:
            raise
        _LOGGER.warning("cannot %s %s across file systems: copying it", action, source.name)
    return None
