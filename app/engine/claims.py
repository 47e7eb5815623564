"""Claiming due work with leases, so no task is polled by two workers at once.

A claim is one UPDATE over a sub-select of due rows: atomic under SQLite's single
writer, and `FOR UPDATE SKIP LOCKED` on PostgreSQL so concurrent engines take
disjoint rows without waiting on each other. A lease that lapses (its owner died)
makes the row claimable again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from app.store.models import GenerationTask, utcnow
from app.store.status import TaskStatus

_TASK = GenerationTask.__table__
POLLABLE = (TaskStatus.PENDING, TaskStatus.PROCESSING)


def _lease_free(now: datetime):
    return sa.or_(_TASK.c.lease_expires_at.is_(None), _TASK.c.lease_expires_at < now)


def _due_ids(session: Session, statuses, now: datetime, limit: int, order_by):
    query = (
        sa.select(_TASK.c.id)
        .where(_TASK.c.status.in_(statuses), _TASK.c.next_poll_at <= now, _lease_free(now))
        .order_by(order_by)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return query


def claim_due_polls(session: Session, owner: str, lease_seconds: float, limit: int) -> list[str]:
    """Lease up to `limit` tasks whose next status query is due; return their ids.

    A leased row is next due when its lease lapses (its worker died), so
    `next_poll_at` moves there too: "the earliest due row" stays one indexed MIN.
    """
    if limit <= 0:
        return []
    now = utcnow()
    expires = now + timedelta(seconds=lease_seconds)
    due = _due_ids(session, POLLABLE, now, limit, _TASK.c.next_poll_at)
    claimed = session.execute(
        sa.update(_TASK)
        .where(_TASK.c.id.in_(due), _TASK.c.status.in_(POLLABLE), _lease_free(now))
        .values(lease_owner=owner, lease_expires_at=expires, next_poll_at=expires)
        .returning(_TASK.c.id)
        .execution_options(synchronize_session=False)
    ).scalars().all()
    session.commit()
    return list(claimed)


def queued_candidates(session: Session, limit: int) -> list[str]:
    """Queued tasks whose turn has come, oldest first (the queue order people see)."""
    if limit <= 0:
        return []
    now = utcnow()
    rows = session.execute(
        sa.select(_TASK.c.id)
        .where(_TASK.c.status == TaskStatus.QUEUED, _TASK.c.next_poll_at <= now,
               _lease_free(now))
        .order_by(_TASK.c.created_at, _TASK.c.id)
        .limit(limit)
    ).scalars().all()
    session.rollback()  # end the read transaction before anyone writes
    return list(rows)


def lapsed_submissions(session: Session) -> list[str]:
    """Tasks left in `submitting` by a worker whose lease ran out (it crashed)."""
    now = utcnow()
    rows = session.execute(
        sa.select(_TASK.c.id).where(
            _TASK.c.status == TaskStatus.SUBMITTING,
            _TASK.c.lease_expires_at.is_not(None), _TASK.c.lease_expires_at < now,
        )
    ).scalars().all()
    session.rollback()
    return list(rows)


def release(session: Session, task_id: str, owner: str, next_poll_at: datetime | None,
            values: dict | None = None) -> bool:
    """Give a lease back and set when the task is next due (only if we still hold it)."""
    result = session.execute(
        sa.update(_TASK)
        .where(_TASK.c.id == task_id, _TASK.c.lease_owner == owner,
               _TASK.c.status.in_(POLLABLE))
        .values(lease_owner=None, lease_expires_at=None, next_poll_at=next_poll_at,
                updated_at=utcnow(), **(values or {}))
    )
    session.commit()
    return result.rowcount == 1


def release_all(session: Session, owner: str) -> int:
    """On a graceful stop: hand back every poll lease `owner` holds, so another engine
    takes those tasks over at once instead of waiting for the leases to lapse."""
    result = session.execute(
        sa.update(_TASK)
        .where(_TASK.c.lease_owner == owner, _TASK.c.status.in_(POLLABLE))
        .values(lease_owner=None, lease_expires_at=None, next_poll_at=utcnow())
    )
    session.commit()
    return result.rowcount


def make_due_now(session: Session, task_id: str) -> bool:
    """A callback arrived: the task's next status query is due now.

    Written even while another worker holds the lease: that worker's own rescheduling
    keeps this (see `unless_poked_since`), so a hint that lands mid-query is not lost.
    """
    result = session.execute(
        sa.update(_TASK)
        .where(_TASK.c.id == task_id, _TASK.c.status.in_(POLLABLE))
        .values(next_poll_at=utcnow())
    )
    session.commit()
    return result.rowcount == 1


def unless_poked_since(sent_at: datetime, next_poll_at: datetime):
    """`next_poll_at` as an SQL value for a worker giving its lease back: it keeps a
    callback's "due now" written after `sent_at` (the moment our query left), since
    the callback may know more than our answer. Untouched, a leased row's
    `next_poll_at` equals its lease expiry (see `claim_due_polls`)."""
    poked = sa.and_(_TASK.c.next_poll_at > sent_at,
                    _TASK.c.next_poll_at < _TASK.c.lease_expires_at)
    return sa.case((poked, _TASK.c.next_poll_at), else_=next_poll_at)


def next_due_at(session: Session, *, include_queued: bool = True) -> datetime | None:
    """The earliest moment any active task becomes due (to sleep until then).

    `include_queued=False` when no create may go out now (rate limit): queued tasks
    are due but cannot be served, so they must not make the engine spin.
    """
    statuses = (TaskStatus.QUEUED, *POLLABLE) if include_queued else POLLABLE
    # A leased row says its lease expiry here (see claim_due_polls); its worker wakes
    # the engine itself when it reschedules the row.
    value = session.execute(
        sa.select(sa.func.min(_TASK.c.next_poll_at)).where(_TASK.c.status.in_(statuses))
    ).scalar_one_or_none()
    session.rollback()
    return value


def queue_depth(session: Session) -> int:
    value = session.execute(
        sa.select(sa.func.count()).select_from(_TASK).where(_TASK.c.status == TaskStatus.QUEUED)
    ).scalar_one()
    session.rollback()
    return int(value)
