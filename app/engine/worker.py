"""The engine: one loop per process that submits queued tasks and follows running ones.

It lives on the server (a lifespan task), not in a browser tab, and keeps all of its
state in the database: leases say who works on a row, `next_poll_at` says when a row is
due. A crashed process's leases lapse and another engine (or the restarted one) takes
over. Creates are sent once; an unknown outcome is never silently resubmitted.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
import time
import traceback
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from app.accounts.kie_keys import key_for_owner
from app.engine import metrics
from app.engine.apply import apply_snapshot, describe_elapsed, fail_task
from app.engine.claims import (
    claim_due_polls,
    lapsed_submissions,
    make_due_now,
    next_due_at,
    queue_depth,
    queued_candidates,
    release,
    release_all,
    unless_poked_since,
)
from app.engine.durations import DurationBook
from app.engine.notifier import Notifier, TaskChange, notifier as default_notifier
from app.engine.rate_limit import SlidingWindowLimiter
from app.engine.shared_budget import SharedCreateBudget
from app.engine.schedule import AdaptiveSchedule, SchedulePolicy, ScheduleSettings, error_backoff
from app.providers.kie import (
    KieAuthError,
    KieClient,
    KieError,
    KieNotFoundError,
    KieRateLimitedError,
    KieUnknownOutcomeError,
)
from app.providers.kie.families import ApiFamily
from app.results.loop import MirrorThread, ResultMirror
from app.settings import Settings
from app.store.db import load_detached
from app.store.models import FAIL_MESSAGE_MAX, EventSource, GenerationTask, utcnow
from app.store.status import TaskStatus
from app.store.transitions import transition

logger = logging.getLogger("atelier.engine")

# Families whose create is refused without a callBackUrl (Suno).
CALLBACK_REQUIRED = frozenset({ApiFamily.SUNO.value})
UNREACHABLE_CALLBACK_BASE = "http://127.0.0.1:9"  # the discard port: nothing answers
# A just-created task can be unknown to Kie's status endpoint for a moment.
NOT_FOUND_GRACE_ATTEMPTS = 5
# The shortest sleep between two looks at the database.
MIN_SLEEP_SECONDS = 0.02
# How often lapsed submissions are looked for (leases last seconds, not milliseconds).
HOUSEKEEPING_SECONDS = 1.0
UNKNOWN_OUTCOME_REASON = (
    "Atelier lost contact with Kie while sending this task, so it may or may not have been "
    "accepted (and charged). Retry to send it again (which may charge twice) or drop it."
)


def _in(seconds: float) -> datetime:
    return utcnow() + timedelta(seconds=seconds)


class Engine:
    def __init__(
        self,
        settings: Settings,
        client: KieClient,
        db_engine: sa.Engine,
        *,
        callback_base_url: str | None = None,
        notifier: Notifier = default_notifier,
        time_scale: float = 1.0,
        max_concurrency: int = 64,
        limiter: SlidingWindowLimiter | None = None,
        policy: SchedulePolicy | None = None,
        mirror: ResultMirror | None = None,
    ) -> None:
        self.settings = settings
        self.client = client
        self.db = db_engine
        self.notifier = notifier
        self.callback_base_url = callback_base_url.rstrip("/") if callback_base_url else None
        self.owner = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.limiter = limiter or SlidingWindowLimiter(
            settings.rate_limit_creates, settings.rate_limit_window_seconds
        )
        # Other engines (processes, workers) may spend the same account: its budget is
        # also counted from the database (the local limiter still paces this process).
        self.shared_budget = SharedCreateBudget(db_engine, settings.rate_limit_creates,
                                                settings.rate_limit_window_seconds)
        self.schedule = ScheduleSettings(
            min_interval=settings.poll_min_interval_seconds,
            max_interval=settings.poll_max_interval_seconds,
        )
        # Atelier's adaptive schedule; benchmarks pass the baselines they compare with.
        self.policy: SchedulePolicy = policy or AdaptiveSchedule(self.schedule)
        self.durations = DurationBook(time_scale=time_scale)
        self.max_concurrency = max_concurrency
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._inflight: set[asyncio.Task] = set()
        self._submissions: set[asyncio.Task] = set()
        # Tasks a callback made due while we may hold their lease (see _poll).
        self._poked: set[str] = set()
        # loop.time() at which the loop plans to look again (see _wake_by).
        self._planned_wake = 0.0
        # Every slot was taken: the next finished job must wake the loop.
        self._saturated = False
        self._stopping = False
        self._rng = random.Random()
        self.last_tick_at: float | None = None
        self._housekeeping_at = 0.0
        self.started_at: float | None = None
        # Copies results before Kie deletes them, on its own thread so it never holds up
        # the polling (None when MIRROR_RESULTS is off). Results on the provider's own
        # origin are fetched even on loopback: that is the simulator in demo mode.
        self.mirror = mirror or ResultMirror.from_settings(
            settings, db_engine, (getattr(client, "base_url", None),
                                  getattr(client, "upload_base_url", None)))
        self._mirror_thread: MirrorThread | None = None

    # --- control ------------------------------------------------------------------
    def wake(self) -> None:
        """Something changed (a create, a callback): look for due work now.

        Safe from any thread: a callback receiver served by another thread (or a
        test's server) may call it; asyncio.Event itself is not thread-safe.
        """
        loop = self._loop
        if loop is None or loop.is_closed():
            self._wake.set()
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._wake.set()
        else:
            loop.call_soon_threadsafe(self._wake.set)

    def _wake_by(self, seconds: float) -> None:
        """Work becomes due in `seconds`: wake the loop if it plans to sleep longer."""
        if self._loop is not None and self._loop.time() + seconds < self._planned_wake:
            self._wake.set()

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.started_at = time.time()
        # No seeding of the local limiter from the database: the shared budget counts
        # every create an earlier process sent (see shared_budget.py) at each claim.
        logger.info("engine %s started", self.owner)
        if self.mirror is not None:
            loop = self._loop
            self.mirror.on_mirrored = lambda task_id: loop.call_soon_threadsafe(
                self.notifier.publish,
                TaskChange(task_id=task_id, status=TaskStatus.SUCCEEDED.value))
            self._mirror_thread = MirrorThread(self.mirror)
            self._mirror_thread.start()
        try:
            while not self._stopping:
                # Cleared before looking, so a wake during the look is not lost.
                self._wake.clear()
                try:
                    await self._tick()
                except Exception:
                    logger.exception("engine tick failed; continuing")
                await self._sleep_until_due()
        finally:
            await self._shut_down(drain=self._stopping)

    async def stop(self) -> None:
        """Stop gracefully: take no new work, let creates in flight get their answer."""
        self._stopping = True
        self.wake()

    async def _shut_down(self, drain: bool) -> None:
        if self._mirror_thread is not None:
            # Downloads are safe to drop: a half file is deleted, the task stays unmirrored.
            await self._mirror_thread.stop()
        # Polls are safe to drop (their leases are handed back below). A create in
        # flight is not: cut off, its outcome becomes unknown. On a graceful stop it
        # gets the client's timeout to finish; on cancellation, nothing more.
        for task in self._inflight - self._submissions:
            task.cancel()
        if drain and self._submissions:
            await asyncio.wait(set(self._submissions),
                               timeout=self.settings.kie_request_timeout_seconds + 1.0)
        for task in list(self._inflight):
            task.cancel()
        await asyncio.gather(*self._inflight, return_exceptions=True)
        try:
            with Session(self.db) as session:
                release_all(session, self.owner)
        except Exception:
            logger.exception("could not hand back leases; they will lapse instead")
        logger.info("engine %s stopped", self.owner)

    @property
    def inflight(self) -> int:
        return len(self._inflight)

    def health(self) -> dict:
        with Session(self.db) as session:
            depth = queue_depth(session)
        return {
            "owner": self.owner,
            "running": self.started_at is not None and not self._stopping,
            "seconds_since_tick": None if self.last_tick_at is None
            else round(time.time() - self.last_tick_at, 3),
            "inflight": self.inflight,
            "queue_depth": depth,
        }

    # --- the loop -------------------------------------------------------------------
    async def _tick(self) -> None:
        now = time.time()
        self.last_tick_at = now
        with Session(self.db) as session:
            # Housekeeping runs at most once a second, not on every wake: a callback's
            # wake should cost the claim and the query, nothing more.
            housekeeping = now - self._housekeeping_at >= HOUSEKEEPING_SECONDS
            if housekeeping:
                self._housekeeping_at = now
                self._recover_lapsed_submissions(session)
            self._start_submissions(session)
            self._start_polls(session)
            if housekeeping:
                metrics.QUEUE_DEPTH.set(queue_depth(session))

    async def _sleep_until_due(self) -> None:
        """Sleep until the next row is due, a slot frees, or someone wakes us.

        Work that cannot start now must not make the loop spin: queued rows while the
        rate limit is spent, anything while every concurrency slot is taken.
        """
        wait = self.settings.engine_tick_seconds * 8
        if self._stopping:
            return
        if self.inflight >= self.max_concurrency:
            self._saturated = True  # a finishing job wakes us
        else:
            with Session(self.db) as session:
                local_room = self.limiter.available() > 0
                can_submit = local_room and self.shared_budget.available(session) > 0
                due = next_due_at(session, include_queued=can_submit)
                if not can_submit:
                    slot_frees_in = self.limiter.seconds_until_available()
                    if local_room:
                        # Spent by other processes: their answers cannot wake us, so
                        # look again by the clock (at most the default wait).
                        slot_frees_in = self.shared_budget.seconds_until_available(session)
                        slot_frees_in = wait if slot_frees_in is None else slot_frees_in
            if due is not None:
                wait = min(wait, max(0.0, (due - utcnow()).total_seconds()))
            if not can_submit:
                if slot_frees_in is None:
                    self._saturated = True  # only an answer to a create frees a slot
                else:
                    wait = min(wait, slot_frees_in)
        wait = max(wait, MIN_SLEEP_SECONDS)
        loop = asyncio.get_running_loop()
        self._planned_wake = loop.time() + wait
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=wait)
        except TimeoutError:
            pass
        self._planned_wake = 0.0

    def _spawn(self, coroutine, *, submission: bool = False) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._inflight.add(task)
        if submission:
            self._submissions.add(task)
        task.add_done_callback(self._job_done)

    def _job_done(self, task: asyncio.Task) -> None:
        self._inflight.discard(task)
        self._submissions.discard(task)
        if self._saturated:
            self._saturated = False
            self._wake.set()

    def _start_submissions(self, session: Session) -> None:
        room = min(self.limiter.available(), self.max_concurrency - self.inflight)
        candidates = queued_candidates(session, room)
        if not candidates:
            return
        with self.shared_budget.exclusive():
            room = self.shared_budget.available(session)
            self._claim_submissions(session, candidates[:room])

    def _claim_submissions(self, session: Session, candidates: list[str]) -> None:
        lease = self.settings.kie_request_timeout_seconds + self.settings.lease_seconds
        for task_id in candidates:
            # Another engine may have taken it since we looked: then this loses.
            if transition(session, task_id, TaskStatus.SUBMITTING, source=EventSource.SUBMIT,
                          only_from={TaskStatus.QUEUED},
                          values={"lease_owner": self.owner, "lease_expires_at": _in(lease)}):
                slot = self.limiter.record()
                self._publish(task_id, TaskStatus.SUBMITTING)
                self._spawn(self._submit(task_id, slot), submission=True)

    def _start_polls(self, session: Session) -> None:
        room = self.max_concurrency - self.inflight
        claimed = claim_due_polls(session, self.owner, self.settings.lease_seconds, room)
        # Our query below answers any callback that arrived before it leaves.
        self._poked.difference_update(claimed)
        for task_id in claimed:
            self._spawn(self._poll(task_id))

    # --- submission -------------------------------------------------------------------
    def _callback_url(self, task: GenerationTask) -> str | None:
        if not task.callback_token:
            return None
        if self.callback_base_url:
            return f"{self.callback_base_url}/api/kie/callback/{task.callback_token}"
        if task.api_family in CALLBACK_REQUIRED:
            # Kie refuses these creates without a callback URL. With no public address
            # configured we give one it cannot reach (it tries, fails, and we poll).
            return f"{UNREACHABLE_CALLBACK_BASE}/api/kie/callback/{task.callback_token}"
        return None

    async def _submit(self, task_id: str, slot: int) -> None:
        try:
            await self._send_create(task_id)
        finally:
            # The answer is in (or the request is abandoned): the slot's window starts.
            # (`_job_done` then wakes the loop if it waited for this slot.)
            self.limiter.settle(slot)

    def _personal_key(self, owner_id: str | None) -> str | None:
        """The owner's own Kie key, if they set one (None: the client's shared key);
        demo mode as the engine's own settings say."""
        return key_for_owner(owner_id, db=self.db, demo_mode=self.settings.demo_mode)

    async def _send_create(self, task_id: str) -> None:
        task = load_detached(self.db, GenerationTask, task_id)
        family = ApiFamily(task.api_family)
        started = time.monotonic()
        try:
            provider_id = await self.client.create_task(
                family, task.provider_body, callback_url=self._callback_url(task),
                api_key=self._personal_key(task.owner_id),
            )
        except KieRateLimitedError:
            metrics.SUBMISSIONS.labels("rate_limited").inc()
            # Someone else spends the same account's budget: pause every create for a
            # full window. The task keeps its place in the queue (no per-task delay,
            # which would let younger tasks overtake it).
            self.limiter.back_off(self.settings.rate_limit_window_seconds)
            self._back_to_queue(task_id, 0.0, "Kie's rate limit: waiting for the next slot")
            return
        except KieUnknownOutcomeError as error:
            metrics.SUBMISSIONS.labels("unknown_outcome").inc()
            self._move(task_id, TaskStatus.NEEDS_ATTENTION, EventSource.SUBMIT,
                       {"fail_code": error.kind, "fail_message": UNKNOWN_OUTCOME_REASON,
                        "lease_owner": None, "lease_expires_at": None},
                       detail=f"unknown outcome: {error}")
            return
        except KieError as error:
            metrics.SUBMISSIONS.labels(error.kind).inc()
            if error.retryable and task.consecutive_errors + 1 < self.settings.poll_max_consecutive_errors:
                # Kie answered (5xx, maintenance, bad gateway) or we never connected:
                # nothing was accepted, so sending again later cannot pay twice.
                delay = error_backoff(task.consecutive_errors + 1, self.schedule, self._rng)
                self._back_to_queue(task_id, delay, f"Kie unavailable ({error.kind}); retrying",
                                    errors=task.consecutive_errors + 1)
                self._wake_by(delay)
                return
            self._move(task_id, TaskStatus.FAILED, EventSource.SUBMIT,
                       {"fail_code": error.kind, "fail_message": _person_message(error)},
                       detail=str(error))
            return
        except Exception:
            metrics.SUBMISSIONS.labels("internal").inc()
            logger.exception("task %s: submission crashed", task_id)
            self._move(task_id, TaskStatus.NEEDS_ATTENTION, EventSource.ENGINE,
                       {"fail_code": "internal", "fail_message": UNKNOWN_OUTCOME_REASON,
                        "fail_traceback": traceback.format_exc(),
                        "lease_owner": None, "lease_expires_at": None})
            return
        metrics.SUBMISSIONS.labels("accepted").inc()
        metrics.SUBMIT_SECONDS.observe(time.monotonic() - started)
        try:
            self._record_accepted(task, provider_id)
        except Exception:
            logger.exception("task %s: Kie accepted it as %s but recording failed",
                             task_id, provider_id)
            self._move(task_id, TaskStatus.NEEDS_ATTENTION, EventSource.ENGINE, {
                "fail_code": "internal", "lease_owner": None, "lease_expires_at": None,
                "fail_message": f"Kie accepted this task as {provider_id}, but Atelier could "
                                "not record it. Drop it, or retry (which may charge twice)."})

    def _record_accepted(self, task: GenerationTask, provider_id: str) -> None:
        task_id = task.id
        with Session(self.db) as session:
            expected = self.durations.expected(session, task.api_type)
            now = utcnow()
            deadline = now + timedelta(minutes=self.settings.task_deadline_minutes)
            first_query = self.policy.first(expected)
            # Kie may already have called back (a callback reconciled the row and made
            # it due): then this loses the compare-and-set, which is right.
            self._move(task_id, TaskStatus.PENDING, EventSource.SUBMIT, {
                "provider_task_id": provider_id, "submitted_at": now, "deadline_at": deadline,
                "next_poll_at": _in(first_query),
                "lease_owner": None, "lease_expires_at": None, "consecutive_errors": 0,
            }, detail=f"Kie task {provider_id}", session=session)
        self._wake_by(first_query)

    def _back_to_queue(self, task_id: str, delay: float, reason: str, errors: int = 0) -> None:
        self._move(task_id, TaskStatus.QUEUED, EventSource.ENGINE,
                   {"next_poll_at": _in(delay), "lease_owner": None, "lease_expires_at": None,
                    "consecutive_errors": errors}, detail=reason)

    def _move(self, task_id: str, to: TaskStatus, source: EventSource, values: dict,
              detail: str | None = None, session: Session | None = None) -> bool:
        if session is None:
            with Session(self.db) as own:
                won = transition(own, task_id, to, source=source, values=values, detail=detail)
        else:
            won = transition(session, task_id, to, source=source, values=values, detail=detail)
        if won:
            self._publish(task_id, to)
        return won

    def _publish(self, task_id: str, status: TaskStatus) -> None:
        metrics.TRANSITIONS.labels(status.value).inc()
        if status is TaskStatus.SUCCEEDED and self.mirror is not None:
            self.mirror.wake()
        self.notifier.publish(TaskChange(task_id=task_id, status=status.value,
                                         finished=status.is_terminal))

    # --- recovery -------------------------------------------------------------------
    def _recover_lapsed_submissions(self, session: Session) -> None:
        # The worker sending these died mid-request: Kie may hold a paid task we have
        # no id for. Never resend silently; a callback carrying the task's token can
        # still reconcile it (see app.engine.callbacks).
        for task_id in lapsed_submissions(session):
            metrics.LEASE_TAKEOVERS.inc()
            self._move(task_id, TaskStatus.NEEDS_ATTENTION, EventSource.ENGINE,
                       {"fail_code": "unknown_outcome", "fail_message": UNKNOWN_OUTCOME_REASON,
                        "lease_owner": None, "lease_expires_at": None},
                       detail="submission interrupted (worker stopped)", session=session)

    # --- polling --------------------------------------------------------------------
    async def _poll(self, task_id: str) -> None:
        task = load_detached(self.db, GenerationTask, task_id)
        if task is None or task.lease_owner != self.owner or not task.provider_task_id:
            return
        now = utcnow()
        started = task.submitted_at or task.created_at
        # A row reconciled from a callback has no deadline of its own yet.
        deadline = task.deadline_at or started + timedelta(
            minutes=self.settings.task_deadline_minutes)
        if now > deadline:
            elapsed = (now - started).total_seconds()
            self._fail(task_id, "timeout", f"Timed out after {describe_elapsed(elapsed)}: "
                       "Kie did not finish the task before Atelier's deadline.")
            return
        metrics.STATUS_QUERIES.inc()
        sent_at = utcnow()
        try:
            snapshot = await self.client.get_task(ApiFamily(task.api_family), task.provider_task_id,
                                                  api_key=self._personal_key(task.owner_id))
        except KieError as error:
            metrics.QUERY_ERRORS.labels(error.kind).inc()
            self._on_poll_error(task, error)
            return
        except Exception as error:
            metrics.QUERY_ERRORS.labels("internal").inc()
            logger.exception("task %s: status query crashed", task_id)
            self._on_poll_error(task, error)
            return
        with Session(self.db) as session:
            expected = self.durations.expected(session, task.api_type)
            elapsed = (utcnow() - (task.submitted_at or task.created_at)).total_seconds()
            delay = self.policy.next(elapsed, expected, snapshot.progress)
            # A callback that landed while our query was out is kept as "due now".
            next_poll_at = unless_poked_since(sent_at, _in(delay))
            applied = apply_snapshot(session, task, snapshot, source=EventSource.POLL,
                                     next_poll_at=next_poll_at, lease_owner=self.owner)
        if applied.changed:
            self._publish(task_id, applied.status)
        elif snapshot.progress is not None and snapshot.progress != task.progress:
            self.notifier.publish(TaskChange(task_id=task_id, status=applied.status.value))
        if not applied.status.is_terminal:
            if task_id in self._poked:
                self._poked.discard(task_id)
                self.wake()
            else:
                self._wake_by(delay)

    def _on_poll_error(self, task: GenerationTask, error: Exception) -> None:
        errors = task.consecutive_errors + 1
        is_not_found = isinstance(error, KieNotFoundError)
        if is_not_found and task.poll_attempts < NOT_FOUND_GRACE_ATTEMPTS:
            errors = task.consecutive_errors  # new ids can lag behind; not an error yet
        limit_reached = errors >= self.settings.poll_max_consecutive_errors
        if isinstance(error, KieAuthError) or limit_reached or (
            is_not_found and task.poll_attempts >= NOT_FOUND_GRACE_ATTEMPTS
        ):
            self._fail(task.id, getattr(error, "kind", "internal"),
                       f"Gave up after {errors} failed status queries: {_person_message(error)}")
            return
        delay = error_backoff(max(errors, 1), self.schedule, self._rng)
        with Session(self.db) as session:
            release(session, task.id, self.owner, _in(delay),
                    {"consecutive_errors": errors, "poll_attempts": task.poll_attempts + 1})
        self._wake_by(delay)

    def _fail(self, task_id: str, code: str, message: str) -> None:
        with Session(self.db) as session:
            if fail_task(session, task_id, code=code, message=message[:FAIL_MESSAGE_MAX]):
                self._publish(task_id, TaskStatus.FAILED)

    # --- callbacks ----------------------------------------------------------------------
    def poll_now(self, task_id: str) -> None:
        """A callback arrived: make the task due at once (the query is the proof).

        Safe from any thread (the receiver may run elsewhere).
        """
        with Session(self.db) as session:
            make_due_now(session, task_id)
        self._poked.add(task_id)
        self.wake()


def _person_message(error: Exception) -> str:
    if isinstance(error, KieError):
        from app.actions.errors import message_for_kie_error

        return message_for_kie_error(error)
    return "Atelier hit an internal error talking to Kie; see the server log."


ClientFactory = Callable[[], KieClient]
