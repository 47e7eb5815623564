"""The mirroring loop: runs beside the engine's polling (on its own thread, see
MirrorThread), never inside it.

It claims succeeded tasks that still lack copies, mirrors at most `concurrency` of them
at once (each task's files one after another, so at most `concurrency` downloads run),
and keeps its leases alive while they run. It yields to sending: while tasks wait for
Kie's rate limit, only long-deferred copies are made. The engine wakes it when a task
succeeds; it also looks by the clock, for tasks that succeeded elsewhere (the query
action, another process) and for work a crashed process left behind.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import timedelta

import httpx
import sqlalchemy as sa
from sqlmodel import Session

from app.results import claims
from app.results.mirror import MirrorConfig, mirror_task
from app.results.sources import guarded_client
from app.results.storage import sweep_partials
from app.settings import Settings
from app.store.models import utcnow

logger = logging.getLogger("atelier.results")

# Looking for work by the clock costs one query; a wake is what usually starts work.
RESCAN_SECONDS = 10.0
# A burst of successes wakes the loop once per task: look at most this often.
MIN_TICK_SECONDS = 0.2
# Leases are renewed every third of their length, so one missed renewal is harmless.
LEASE_SECONDS = 60.0
# Temporary files of interrupted downloads are swept at start, then this often.
SWEEP_SECONDS = 3600.0
# While tasks wait to be sent, only results older than this are mirrored (see _start_jobs).
MAX_DEFER_SECONDS = 900.0


class ResultMirror:
    def __init__(self, config: MirrorConfig, db: sa.Engine, *, concurrency: int = 2,
                 lease_seconds: float = LEASE_SECONDS, rescan_seconds: float = RESCAN_SECONDS,
                 http: httpx.AsyncClient | None = None, owner: str | None = None) -> None:
        self.config = config
        self.db = db
        self.concurrency = concurrency
        self.lease_seconds = lease_seconds
        self.rescan_seconds = rescan_seconds
        self.owner = owner or f"mirror-{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self._http = http
        self._own_http = http is None
        self._jobs: dict[str, asyncio.Task] = {}
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = False
        self._renewed_at = 0.0
        self._swept_at: float | None = None
        # Told each task id whose results are now kept (from the mirror's own thread):
        # the engine uses it to tell open pages, which then show Atelier's copies.
        self.on_mirrored: Callable[[str], None] | None = None

    @classmethod
    def from_settings(cls, settings: Settings, db: sa.Engine,
                      provider_urls: tuple[str | None, ...] = ()) -> ResultMirror | None:
        """None when mirroring is switched off (MIRROR_RESULTS=false)."""
        if not settings.mirror_results:
            return None
        return cls(MirrorConfig.from_settings(settings, provider_urls), db,
                   concurrency=settings.mirror_concurrency)

    # --- control ------------------------------------------------------------------
    def wake(self) -> None:
        """A task succeeded: look for work now. Safe from any thread."""
        loop = self._loop
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if loop is None or loop.is_closed() or running is loop:
            self._wake.set()
        else:
            loop.call_soon_threadsafe(self._wake.set)

    def request_stop(self) -> None:
        """Safe from any thread; `run` returns soon after (downloads are dropped)."""
        self._stopping = True
        self.wake()

    async def stop(self) -> None:
        self.request_stop()

    @property
    def active(self) -> int:
        return len(self._jobs)

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        if self._http is None:
            self._http = guarded_client(self.config.exempt,
                                        connections=max(2, self.concurrency * 2))
        try:
            while not self._stopping:
                self._wake.clear()
                try:
                    await self._housekeeping()
                    self._start_jobs()
                except Exception:
                    logger.exception("result mirror tick failed; continuing")
                await self._sleep()
        finally:
            await self._shut_down()

    # --- the loop -------------------------------------------------------------------
    async def _housekeeping(self) -> None:
        now = time.monotonic()
        if self._jobs and now - self._renewed_at >= self.lease_seconds / 3:
            self._renewed_at = now
            with Session(self.db) as session:
                claims.renew(session, self.owner, self.lease_seconds)
        if self._swept_at is None or now - self._swept_at >= SWEEP_SECONDS:
            self._swept_at = now
            removed = await asyncio.to_thread(
                sweep_partials, self.config.storage_dir,
                older_than_seconds=self.config.timeout_seconds + self.lease_seconds)
            if removed:
                logger.info("removed %d temporary file(s) of interrupted downloads", removed)

    def _start_jobs(self) -> None:
        room = self.concurrency - len(self._jobs)
        if room <= 0 or self._stopping:
            return
        with Session(self.db) as session:
            # Sending comes first: while tasks wait for their turn at Kie's rate limit,
            # downloads would compete with them for the machine (and in demo mode with
            # the simulator in this very process). Kie keeps files for days, so copies
            # can wait for the queue to drain; a long queue defers them a bounded time.
            deferred = claims.sends_waiting(session)
            claimed = claims.claim_unmirrored(
                session, self.owner, self.lease_seconds, self.config.retention_days, room,
                completed_before=utcnow() - timedelta(seconds=MAX_DEFER_SECONDS)
                if deferred else None)
        if claimed:
            self._renewed_at = time.monotonic()
        for task_id in claimed:
            job = asyncio.get_running_loop().create_task(self._mirror(task_id))
            self._jobs[task_id] = job
            job.add_done_callback(lambda _, task_id=task_id: self._job_done(task_id))

    def _job_done(self, task_id: str) -> None:
        self._jobs.pop(task_id, None)
        self._wake.set()  # a slot is free

    async def _mirror(self, task_id: str) -> None:
        try:
            await mirror_task(task_id, db=self.db, http=self._http, config=self.config)
        except asyncio.CancelledError:
            raise  # stopping: the lease is handed back with all the others
        except Exception:
            # The database, most likely: keep the lease so it lapses and the task is
            # tried again a lease later, not in a tight loop.
            logger.exception("task %s: mirroring failed; will retry", task_id)
            return
        with Session(self.db) as session:
            claims.release(session, self.owner, task_id)
        if self.on_mirrored is not None:
            self.on_mirrored(task_id)

    async def _sleep(self) -> None:
        if self._stopping:
            return
        # A wake meanwhile stays set, so it is only postponed, not lost.
        await asyncio.sleep(MIN_TICK_SECONDS)
        wait = self.rescan_seconds
        if self._jobs:
            wait = min(wait, self.lease_seconds / 3)
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=wait)
        except TimeoutError:
            pass

    async def _shut_down(self) -> None:
        for job in list(self._jobs.values()):
            job.cancel()
        await asyncio.gather(*self._jobs.values(), return_exceptions=True)
        try:
            with Session(self.db) as session:
                claims.release(session, self.owner)
        except Exception:
            logger.exception("could not hand back mirror leases; they will lapse instead")
        if self._own_http and self._http is not None:
            await self._http.aclose()
            self._http = None


class MirrorThread:
    """Runs a ResultMirror on its own event loop in its own thread.

    The engine's loop is also the loop serving every browser (a Reflex lifespan task):
    the mirror's database calls, disk writes and hashing must not queue behind, or in
    front of, its polls and creates. Downloads are safe to drop, so the thread is a
    daemon and a stop does not wait for them.
    """

    def __init__(self, mirror: ResultMirror) -> None:
        self.mirror = mirror
        self._thread = threading.Thread(target=self._main, name="result-mirror", daemon=True)

    def _main(self) -> None:
        try:
            asyncio.run(self.mirror.run())
        except Exception:
            logger.exception("result mirror stopped by an error")

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        self.mirror.wake()

    async def stop(self, timeout: float = 10.0) -> None:
        self.mirror.request_stop()
        await asyncio.to_thread(self._thread.join, timeout)
