"""Writing what Kie said about a task into its row: one place for polls, callbacks
and the query action, so they can never disagree on what an answer means."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from app.engine.claims import release
from app.providers.kie.types import TaskSnapshot
from app.store.models import FAIL_MESSAGE_MAX, EventSource, GenerationTask
from app.store.status import TaskStatus
from app.store.transitions import transition, update_in_status


@dataclass(frozen=True)
class Applied:
    status: TaskStatus
    changed: bool   # the status moved (an event was written)
    finished: bool  # it just became terminal


def result_fields(snapshot: TaskSnapshot) -> dict:
    result_json = {
        "extra_outputs": snapshot.extra_outputs,
        "result_object": snapshot.result_object,
        "media_expired": snapshot.media_expired,
        "cost_time_ms": snapshot.cost_time_ms,
    }
    return {
        "result_urls": list(snapshot.result_urls),
        "result_json": result_json,
        "credits": snapshot.credits,
    }


def apply_snapshot(
    session: Session,
    task: GenerationTask,
    snapshot: TaskSnapshot,
    *,
    source: EventSource,
    next_poll_at: datetime | None,
    lease_owner: str | None = None,
) -> Applied:
    """Move the row to what the snapshot says; otherwise record progress and reschedule."""
    common = {"provider_state": snapshot.raw_state[:64], "poll_attempts": task.poll_attempts + 1,
              "consecutive_errors": 0}
    if snapshot.status is TaskStatus.SUCCEEDED:
        values = common | result_fields(snapshot) | {"progress": 1.0}
        if snapshot.completed_at:
            values["completed_at"] = snapshot.completed_at
        won = transition(session, task.id, TaskStatus.SUCCEEDED, source=source, values=values,
                         detail=f"{len(snapshot.result_urls)} result(s)")
        return Applied(TaskStatus.SUCCEEDED, won, won)
    if snapshot.status is TaskStatus.FAILED:
        message = snapshot.fail_message or "Kie reported the generation as failed"
        values = common | result_fields(snapshot) | {
            "fail_code": (snapshot.fail_code or "")[:64] or None,
            "fail_message": message[:FAIL_MESSAGE_MAX],
        }
        won = transition(session, task.id, TaskStatus.FAILED, source=source, values=values,
                         detail=message)
        return Applied(TaskStatus.FAILED, won, won)

    values = common | {"progress": snapshot.progress, "next_poll_at": next_poll_at}
    if snapshot.status is TaskStatus.PROCESSING and task.status is not TaskStatus.PROCESSING:
        won = transition(session, task.id, TaskStatus.PROCESSING, source=source,
                         values=values | {"lease_owner": None, "lease_expires_at": None},
                         detail=snapshot.raw_state)
        if won:
            return Applied(TaskStatus.PROCESSING, True, False)
    if lease_owner is not None:
        release(session, task.id, lease_owner, next_poll_at, {k: v for k, v in values.items()
                                                               if k != "next_poll_at"})
    else:
        update_in_status(session, task.id, {TaskStatus.PENDING, TaskStatus.PROCESSING}, values)
    return Applied(task.status, False, False)


def fail_task(session: Session, task_id: str, *, code: str, message: str,
              source: EventSource = EventSource.ENGINE, traceback: str | None = None) -> bool:
    values = {"fail_code": code[:64], "fail_message": message[:FAIL_MESSAGE_MAX]}
    if traceback:
        values["fail_traceback"] = traceback
    return transition(session, task_id, TaskStatus.FAILED, source=source, values=values,
                      detail=message)


def describe_elapsed(seconds: float) -> str:
    return str(timedelta(seconds=int(seconds)))

