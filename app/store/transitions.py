"""Every status change goes through here: compare-and-set, plus its audit event.

`UPDATE … WHERE id = :id AND status IN (:allowed)` either changes one row or none;
none means another writer (a poll, a callback, a person) got there first. The event
is written in the same transaction, so the trail never misses or invents a change.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from app.store.models import EventSource, GenerationTask, TaskEvent, utcnow
from app.store.sql import seconds_between
from app.store.status import ALLOWED_FROM, TaskStatus

DETAIL_MAX = 500
_TASK = GenerationTask.__table__


def transition(
    session: Session,
    task_id: str,
    to: TaskStatus,
    *,
    source: EventSource,
    values: dict[str, Any] | None = None,
    only_from: set[TaskStatus] | None = None,
    detail: str | None = None,
) -> bool:
    """Move a task to `to` if it is in an allowed status; commit; report whether it won.

    `only_from` narrows the machine's allowed set (never widens it), for callers that
    know which status they saw.
    """
    allowed = set(ALLOWED_FROM[to])
    if only_from is not None:
        allowed &= set(only_from)
    if not allowed:
        return False
    now = utcnow()
    changes = dict(values or {})
    changes.update(status=to, updated_at=now)
    if to.is_terminal:
        changes.setdefault("completed_at", now)
        changes.setdefault("duration_seconds", seconds_between(_TASK.c.submitted_at, now))
        changes.update(lease_owner=None, lease_expires_at=None, next_poll_at=None)
    # One statement, no read first: SET evaluates `status` as it was before this
    # update, so `previous_status` captures the from-state atomically. (A read
    # before the write would let SQLite refuse the later write under concurrency.)
    changes["previous_status"] = _TASK.c.status
    previous = session.execute(
        sa.update(_TASK)
        .where(_TASK.c.id == task_id, _TASK.c.status.in_(allowed))
        .values(**changes)
        .returning(_TASK.c.previous_status)
    ).scalar_one_or_none()
    if previous is None:
        session.rollback()
        return False
    session.add(
        TaskEvent(
            task_id=task_id,
            from_status=TaskStatus(previous).value,
            to_status=to.value,
            source=source,
            detail=(detail or None) and detail[:DETAIL_MAX],
            created_at=now,
        )
    )
    session.commit()
    return True


def update_in_status(
    session: Session,
    task_id: str,
    expected: TaskStatus | set[TaskStatus],
    values: dict[str, Any],
) -> bool:
    """Change fields (progress, schedule, lease) only while the status is still `expected`.

    No event: these are not changes of state. Terminal rows are never touched.
    """
    statuses = {expected} if isinstance(expected, TaskStatus) else set(expected)
    statuses = {s for s in statuses if not s.is_terminal}
    if not statuses:
        return False
    result = session.execute(
        sa.update(_TASK)
        .where(_TASK.c.id == task_id, _TASK.c.status.in_(statuses))
        .values(updated_at=utcnow(), **values)
    )
    session.commit()
    return result.rowcount == 1


def record_creation(session: Session, task: GenerationTask, detail: str | None = None) -> None:
    """Insert a new task with its first event, in one transaction (the caller commits)."""
    session.add(task)
    session.flush()
    session.add(
        TaskEvent(
            task_id=task.id,
            from_status=None,
            to_status=task.status.value,
            source=EventSource.CREATE,
            detail=detail,
            created_at=task.created_at,
        )
    )
