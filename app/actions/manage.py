"""What a person can do to an existing task: stop tracking, retry or drop an unknown
submission, delete it (or a whole batch), and run the same request again."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from app.actions.inputs import is_task_id
from app.actions.result import ActionResult, ErrorKind, FieldProblem, never_raises
from app.actions.tasks import create_generation_task, wake_engine
from app.engine.notifier import TaskChange, notifier
from app.history.deletion import DeletedRows, delete_task_rows, remove_stored_files
from app.store.db import get_engine
from app.store.ownership import visible, visible_clauses
from app.store.models import EventSource, GenerationTask, TaskBatch, utcnow
from app.store.status import TaskStatus
from app.store.transitions import transition
from app.store.views import TaskPublic


def _load(session: Session, task_id: Any, owner_id: str | None) -> GenerationTask | None:
    if not is_task_id(task_id):
        return None
    task = session.get(GenerationTask, task_id)
    if task is None or not visible(task.owner_id, owner_id):
        return None
    return task


def _moved(session: Session, task_id: str, to: TaskStatus, detail: str,
           values: dict | None = None) -> ActionResult[TaskPublic]:
    if not transition(session, task_id, to, source=EventSource.USER, values=values, detail=detail):
        current = session.get(GenerationTask, task_id)
        session.refresh(current)
        return ActionResult.failure(
            ErrorKind.CONFLICT, f"The task is {current.status.value} now; that is no longer possible.")
    task = session.get(GenerationTask, task_id)
    session.refresh(task)
    notifier.publish(TaskChange(task_id=task_id, status=to.value, owner_id=task.owner_id,
                                finished=to.is_terminal))
    return ActionResult.success(TaskPublic.of(task))


@never_raises
async def cancel_task(task_id: Any, *, owner_id: str | None = None,
                      db: sa.Engine | None = None) -> ActionResult[TaskPublic]:
    """Stop tracking (Kie has no cancel endpoint: a running task may still be charged)."""
    with Session(db or get_engine(), expire_on_commit=False) as session:
        task = _load(session, task_id, owner_id)
        if task is None:
            return ActionResult.failure(ErrorKind.NOT_FOUND, "No such task.")
        return _moved(session, task.id, TaskStatus.CANCELED, "stopped by a person")


@never_raises
async def retry_unknown_submission(task_id: Any, *, owner_id: str | None = None,
                                   db: sa.Engine | None = None) -> ActionResult[TaskPublic]:
    """The person accepts the risk of paying twice: queue the task again."""
    with Session(db or get_engine(), expire_on_commit=False) as session:
        task = _load(session, task_id, owner_id)
        if task is None:
            return ActionResult.failure(ErrorKind.NOT_FOUND, "No such task.")
        result = _moved(session, task.id, TaskStatus.QUEUED, "retry chosen by a person",
                        {"next_poll_at": utcnow(), "fail_code": None, "fail_message": None,
                         "consecutive_errors": 0})
    wake_engine()
    return result


@never_raises
async def delete_task(task_id: Any, *, owner_id: str | None = None,
                      db: sa.Engine | None = None) -> ActionResult[str]:
    """Delete a task with its events and mirrored result files."""
    with Session(db or get_engine()) as session:
        task = _load(session, task_id, owner_id)
        if task is None:
            return ActionResult.failure(ErrorKind.NOT_FOUND, "No such task.")
        if task.status in (TaskStatus.SUBMITTING,):
            return _being_submitted()
        deleted = delete_task_rows(session, [task.id])
        if not _deletable(deleted):
            session.rollback()
            return _being_submitted()
        session.commit()
    remove_stored_files(deleted.paths)
    notifier.publish(TaskChange(task_id=task_id, status="deleted", owner_id=owner_id))
    return ActionResult.success(task_id, "Task deleted")


@never_raises
async def delete_batch(batch_id: Any, *, owner_id: str | None = None,
                       db: sa.Engine | None = None) -> ActionResult[dict[str, Any]]:
    """Delete every task of a batch (with events and files) and the batch itself; all
    or nothing: refused while any of its tasks is being sent to Kie."""
    if not is_task_id(batch_id):
        return ActionResult.failure(ErrorKind.NOT_FOUND, "No such batch.")
    with Session(db or get_engine()) as session:
        batch = session.get(TaskBatch, batch_id)
        if batch is not None and not visible(batch.owner_id, owner_id):
            return ActionResult.failure(ErrorKind.NOT_FOUND, "No such batch.")
        query = sa.select(GenerationTask.id).where(GenerationTask.batch_id == batch_id)
        query = query.where(*visible_clauses(GenerationTask.owner_id, owner_id))
        ids = list(session.execute(query).scalars())
        if batch is None and not ids:
            return ActionResult.failure(ErrorKind.NOT_FOUND, "No such batch.")
        deleted = delete_task_rows(session, ids)
        if not _deletable(deleted):
            session.rollback()
            return _being_submitted(batch=True)
        if batch is not None:
            session.execute(sa.delete(TaskBatch.__table__)
                            .where(TaskBatch.__table__.c.id == batch_id))
        session.commit()
    remove_stored_files(deleted.paths)
    for gone in deleted.tasks:
        notifier.publish(TaskChange(task_id=gone, status="deleted", owner_id=owner_id))
    count = len(deleted.tasks)
    return ActionResult.success({"batch_id": batch_id, "deleted_tasks": count},
                                f"Batch deleted ({count} tasks)")


def _deletable(deleted: DeletedRows) -> bool:
    # Checked on the deleted rows themselves (DELETE … RETURNING status), so a task that
    # moved to `submitting` after it was read is caught too, and the delete rolled back:
    # the engine must find its row when Kie answers.
    return TaskStatus.SUBMITTING not in deleted.tasks.values()


def _being_submitted(batch: bool = False) -> ActionResult:
    what = "A task of this batch is" if batch else "The task is"
    return ActionResult.failure(ErrorKind.CONFLICT,
                                f"{what} being sent to Kie; try again in a moment.")


@never_raises
async def run_again(task_id: Any, *, owner_id: str | None = None,
                    new_owner_id: str | None = None,
                    db: sa.Engine | None = None) -> ActionResult[TaskPublic]:
    """A new task with the same model, parameters and tags, owned by `new_owner_id`
    (the person asking; defaults to `owner_id`)."""
    with Session(db or get_engine()) as session:
        task = _load(session, task_id, owner_id)
        if task is None:
            return ActionResult.failure(ErrorKind.NOT_FOUND, "No such task.")
        api_type, params, tags = task.api_type, dict(task.params), list(task.tags)
    if not isinstance(params, dict):
        return ActionResult.invalid([FieldProblem("params", "stored parameters are unreadable")])
    return await create_generation_task(api_type, params, tags=tags,
                                        owner_id=new_owner_id or owner_id, db=db)
