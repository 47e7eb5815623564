"""Which succeeded tasks still need mirroring, and who is mirroring them.

A task needs mirroring while it has fewer ResultFile rows than result URLs, within
Kie's retention (older files are gone). Work is claimed the engine's way (see
app/engine/claims.py): a compare-and-set UPDATE of `lease_owner` and `lease_expires_at`
on rows whose lease is free (picked with `FOR UPDATE SKIP LOCKED` on PostgreSQL), so
two processes never mirror the same task, and a crashed process's lease lapses and
another resumes.

On a succeeded row these two columns mean only "someone is mirroring its results":
the status machine clears them when a task becomes terminal, and nothing else reads
them on terminal rows (the engine's claims and releases all filter on active statuses).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from app.store.models import GenerationTask, ResultFile, utcnow
from app.store.status import TaskStatus

_TASK = GenerationTask.__table__
_FILE = ResultFile.__table__


def _lease_free(now: datetime):
    return sa.or_(_TASK.c.lease_expires_at.is_(None), _TASK.c.lease_expires_at < now)


def _unfinished(now: datetime, retention_days: float):
    rows = (sa.select(sa.func.count()).select_from(_FILE)
            .where(_FILE.c.task_id == _TASK.c.id).scalar_subquery())
    # json_array_length: the same name and meaning in SQLite and PostgreSQL (json type).
    return sa.and_(
        _TASK.c.status == TaskStatus.SUCCEEDED,
        _TASK.c.completed_at >= now - timedelta(days=retention_days),
        sa.func.json_array_length(_TASK.c.result_urls) > rows,
    )


def sends_waiting(session: Session) -> bool:
    """Whether tasks wait to be sent to Kie (queued, or being sent)."""
    found = session.execute(
        sa.select(_TASK.c.id)
        .where(_TASK.c.status.in_((TaskStatus.QUEUED, TaskStatus.SUBMITTING))).limit(1)
    ).first()
    session.rollback()
    return found is not None


def claim_unmirrored(session: Session, owner: str, lease_seconds: float,
                     retention_days: float, limit: int,
                     completed_before: datetime | None = None) -> list[str]:
    """Lease up to `limit` tasks whose results are not all mirrored; oldest first (the
    closest to Kie's deletion); only those completed before `completed_before` if set."""
    if limit <= 0:
        return []
    now = utcnow()
    due = (sa.select(_TASK.c.id)
           .where(_unfinished(now, retention_days), _lease_free(now))
           .order_by(_TASK.c.completed_at, _TASK.c.id)
           .limit(limit))
    if completed_before is not None:
        due = due.where(_TASK.c.completed_at < completed_before)
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        # Locked until our commit: another process's look skips these rows.
        due = due.with_for_update(of=_TASK, skip_locked=True)
    # Read first, write only when there is work: the loop looks often, and on SQLite
    # every write statement takes the one writer's lock, even one changing no row.
    candidates = list(session.execute(due).scalars())
    if not candidates or not postgres:
        # SQLite: end the read before writing (a read transaction that later writes
        # is refused if another writer committed meanwhile); the WHERE below re-checks.
        session.rollback()
    if not candidates:
        return []
    claimed = session.execute(
        sa.update(_TASK)
        .where(_TASK.c.id.in_(candidates), _TASK.c.status == TaskStatus.SUCCEEDED,
               _lease_free(now))
        .values(lease_owner=owner, lease_expires_at=now + timedelta(seconds=lease_seconds))
        .returning(_TASK.c.id)
        .execution_options(synchronize_session=False)
    ).scalars().all()
    session.commit()
    return list(claimed)


def renew(session: Session, owner: str, lease_seconds: float) -> int:
    """Keep our leases alive while long downloads run."""
    result = session.execute(
        sa.update(_TASK)
        .where(_TASK.c.lease_owner == owner, _TASK.c.status == TaskStatus.SUCCEEDED)
        .values(lease_expires_at=utcnow() + timedelta(seconds=lease_seconds))
    )
    session.commit()
    return result.rowcount


def release(session: Session, owner: str, task_id: str | None = None) -> int:
    """Hand back one task's lease (or all of ours, on a graceful stop)."""
    where = [_TASK.c.lease_owner == owner, _TASK.c.status == TaskStatus.SUCCEEDED]
    if task_id is not None:
        where.append(_TASK.c.id == task_id)
    result = session.execute(
        sa.update(_TASK).where(*where).values(lease_owner=None, lease_expires_at=None))
    session.commit()
    return result.rowcount
