"""Retention: finished tasks older than N days are deleted with their events and files.

"Older" is by `created_at` (a task ends within its deadline of being created) and only
finished tasks (succeeded, failed, canceled) go; anything still moving is left alone.
A dry run counts exactly what a real run at the same cutoff deletes: both use
`_expired`, and finished tasks never change status, so the set cannot drift.

Several processes may run this at once (each web process runs the periodic loop):
PostgreSQL hands them disjoint batches (`FOR UPDATE SKIP LOCKED`), SQLite's single
writer serialises them, a row or a file already deleted by another is skipped, and
each reports only what it deleted itself.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from app.actions.result import ActionResult, FieldProblem, never_raises
from app.history.deletion import delete_task_rows, remove_stored_files
from app.settings import get_settings
from app.store.db import get_engine
from app.store.models import GenerationTask, ResultFile, TaskEvent
from app.store.status import TERMINAL_STATUSES

logger = logging.getLogger("atelier.history")

BATCH_ROWS = 500
CLEANUP_INTERVAL_SECONDS = 3600.0
FIRST_RUN_DELAY_SECONDS = 60.0

_TASK = GenerationTask.__table__
_EVENT = TaskEvent.__table__
_FILE = ResultFile.__table__


@dataclass(frozen=True)
class CleanupReport:
    dry_run: bool
    older_than_days: float
    cutoff: datetime          # tasks created before this moment
    tasks: int
    events: int
    files: int                # mirrored result files on disk
    bytes: int                # their recorded sizes


def _expired(cutoff: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(_TASK.c.status.in_(TERMINAL_STATUSES), _TASK.c.created_at < cutoff)


@never_raises
async def cleanup_history(*, older_than_days: Any = None, dry_run: bool = False,
                          db: sa.Engine | None = None,
                          now: datetime | None = None) -> ActionResult[CleanupReport]:
    """Delete (or with `dry_run`, count) finished tasks older than `older_than_days`
    (default: the `history_retention_days` setting)."""
    days = older_than_days if older_than_days is not None else get_settings().history_retention_days
    if days is None:
        return ActionResult.invalid([FieldProblem(
            "older_than_days", "no retention is set: set HISTORY_RETENTION_DAYS or give a "
                               "number of days")])
    if isinstance(days, bool) or not isinstance(days, (int, float)) or not 0 < days < 100_000:
        return ActionResult.invalid([FieldProblem(
            "older_than_days", "must be a number of days greater than 0")])
    cutoff = (now or datetime.now(timezone.utc)) - timedelta(days=float(days))
    work = _preview if dry_run else _delete_expired
    report = await asyncio.to_thread(work, db or get_engine(), cutoff)
    report = CleanupReport(dry_run=dry_run, older_than_days=float(days), cutoff=cutoff, **report)
    verb = "Would delete" if dry_run else "Deleted"
    return ActionResult.success(report, f"{verb} {report.tasks} tasks and {report.files} files")


def _preview(db: sa.Engine, cutoff: datetime) -> dict[str, int]:
    expired_ids = sa.select(_TASK.c.id).where(_expired(cutoff))
    with db.connect() as connection:
        tasks = connection.execute(
            sa.select(sa.func.count()).select_from(_TASK).where(_expired(cutoff))).scalar_one()
        events = connection.execute(
            sa.select(sa.func.count()).select_from(_EVENT)
            .where(_EVENT.c.task_id.in_(expired_ids))).scalar_one()
        files, size = connection.execute(
            sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(_FILE.c.size_bytes), 0))
            .where(_FILE.c.task_id.in_(expired_ids), _FILE.c.storage_path.is_not(None))).one()
    return {"tasks": int(tasks), "events": int(events), "files": int(files), "bytes": int(size)}


def _delete_expired(db: sa.Engine, cutoff: datetime) -> dict[str, int]:
    totals = {"tasks": 0, "events": 0, "files": 0, "bytes": 0}
    while True:
        with Session(db) as session:
            query = (sa.select(_TASK.c.id).where(_expired(cutoff))
                     .order_by(_TASK.c.created_at, _TASK.c.id).limit(BATCH_ROWS))
            if db.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            ids = session.execute(query).scalars().all()
            if not ids:
                return totals
            deleted = delete_task_rows(session, ids)
            session.commit()
        remove_stored_files(deleted.paths)
        totals["tasks"] += len(deleted.tasks)
        totals["events"] += deleted.events
        totals["files"] += deleted.files
        totals["bytes"] += deleted.bytes


def start_history_cleanup(retention_days: float | None, db: sa.Engine | None = None,
                          *, interval: float = CLEANUP_INTERVAL_SECONDS,
                          first_delay: float = FIRST_RUN_DELAY_SECONDS) -> asyncio.Task | None:
    """The periodic cleanup as a task of the running loop; None when retention is off."""
    if retention_days is None:
        return None
    return asyncio.create_task(run_cleanup_loop(retention_days, db, interval=interval,
                                                first_delay=first_delay),
                               name="history-cleanup")


async def run_cleanup_loop(retention_days: float, db: sa.Engine | None = None, *,
                           interval: float = CLEANUP_INTERVAL_SECONDS,
                           first_delay: float = FIRST_RUN_DELAY_SECONDS) -> None:
    # Jitter: processes started together should not all clean at the same second.
    delay = first_delay * random.uniform(0.5, 1.0)
    while True:
        await asyncio.sleep(delay)
        result = await cleanup_history(older_than_days=retention_days, db=db)
        if result.ok and result.data.tasks:
            logger.info("history cleanup: %s (created before %s)", result.message,
                        result.data.cutoff.isoformat())
        elif not result.ok:
            logger.warning("history cleanup failed: %s", result.message)
        delay = interval * random.uniform(0.9, 1.1)
