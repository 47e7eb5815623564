"""Batches: one request run several times, recorded at once and followed as one.

Seed walk: when the model declares a seed field (`CatalogEntry.seed_field`), run i uses
seed start + i, where start is the seed given or a random one, chosen so that every
run's seed stays within the field's limits. Without a seed field the same params run
`count` times (the provider's own randomness varies them).

The batch row and all its tasks are written in one transaction, after every run's
params passed the catalog: a refused or failed batch leaves nothing behind.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel
from sqlmodel import Session, select

from app.actions.inputs import unstorable_params
from app.actions.picking import BatchChoice, clean_tags, has_refused_characters, load_batch
from app.actions.result import ActionResult, ErrorKind, FieldProblem, never_raises
# Reused rather than copied, so a batch and a single create accept the same input.
from app.actions.tasks import (UNSTORABLE, check_idempotency_key, wake_engine,
                               without_field_prefix)
from app.catalog import CatalogValidationError, ValidatedRequest, validate_request, with_seed
from app.catalog.fields import SEED_MAX
from app.engine.notifier import TaskChange, notifier
from app.store.db import get_engine
from app.store.models import EventSource, GenerationTask, TaskBatch, new_id, utcnow
from app.store.status import TERMINAL_STATUSES, TaskStatus
from app.store.transitions import record_creation, transition
from app.store.views import TaskPublic

BATCH_MAX = 16
LABEL_MAX = 200  # the column's limit


class BatchStatus(str, enum.Enum):
    """A batch's status, derived from its tasks' (never stored: the tasks are the truth)."""

    RUNNING = "running"                  # at least one task is still moving
    NEEDS_ATTENTION = "needs_attention"  # none moving; a submission outcome awaits a person
    SUCCEEDED = "succeeded"              # every task succeeded
    PARTLY_FAILED = "partly_failed"      # all ended; some succeeded, others failed or stopped
    FAILED = "failed"                    # all ended, none succeeded, at least one failed
    CANCELED = "canceled"                # every task was stopped by a person
    EMPTY = "empty"                      # every task of the batch was deleted


class BatchPublic(BaseModel):
    id: str
    api_type: str
    size: int
    seed_start: int | None
    label: str | None
    created_at: datetime
    status: str
    # Mean over the tasks; an ended task counts as complete, whatever its outcome.
    progress: float
    counts: dict[str, int]
    choice: BatchChoice | None
    tasks: list[TaskPublic]


class BatchCancel(BaseModel):
    canceled: int
    # Unfinished tasks that could not be stopped now (being sent to Kie this moment).
    not_stopped: int
    batch: BatchPublic


def aggregate_status(statuses: list[TaskStatus]) -> BatchStatus:
    if not statuses:
        return BatchStatus.EMPTY
    if any(status.is_active for status in statuses):
        return BatchStatus.RUNNING
    if TaskStatus.NEEDS_ATTENTION in statuses:
        return BatchStatus.NEEDS_ATTENTION
    succeeded = statuses.count(TaskStatus.SUCCEEDED)
    if succeeded == len(statuses):
        return BatchStatus.SUCCEEDED
    if statuses.count(TaskStatus.CANCELED) == len(statuses):
        return BatchStatus.CANCELED
    return BatchStatus.PARTLY_FAILED if succeeded else BatchStatus.FAILED


def _progress(task: GenerationTask) -> float:
    if task.status.is_terminal:
        return 1.0
    return min(max(task.progress or 0.0, 0.0), 1.0)


def _view(session: Session, batch: TaskBatch) -> BatchPublic:
    tasks = list(session.exec(select(GenerationTask).where(GenerationTask.batch_id == batch.id)
                              .order_by(GenerationTask.created_at, GenerationTask.id)))
    statuses = [task.status for task in tasks]
    holder = next((t for t in tasks if t.selected_result is not None), None)
    choice = None if holder is None else BatchChoice(
        batch_id=batch.id, task_id=holder.id, position=holder.selected_result,
        result_url=(holder.result_urls[holder.selected_result]
                    if holder.selected_result < len(holder.result_urls) else None))
    return BatchPublic(
        id=batch.id, api_type=batch.api_type, size=batch.size, seed_start=batch.seed_start,
        label=batch.label, created_at=batch.created_at,
        status=aggregate_status(statuses).value,
        progress=sum(_progress(t) for t in tasks) / len(tasks) if tasks else 0.0,
        counts={status.value: statuses.count(status) for status in TaskStatus},
        choice=choice, tasks=[TaskPublic.of(t) for t in tasks],
    )


# --- creating ------------------------------------------------------------------------

def _check_inputs(api_type: Any, params: Any, count: Any, label: Any,
                  idempotency_key: Any) -> list[FieldProblem]:
    problems = check_idempotency_key(idempotency_key)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= BATCH_MAX:
        problems.append(FieldProblem("count", f"must be a whole number from 1 to {BATCH_MAX}"))
    if label is not None and (not isinstance(label, str) or len(label.strip()) > LABEL_MAX
                              or has_refused_characters(label)):
        problems.append(FieldProblem(
            "label", f"must be text of at most {LABEL_MAX} characters, without control characters"))
    if not isinstance(api_type, str):
        problems.append(FieldProblem("api_type", "must be the id of a catalog model"))
    problems += [FieldProblem(name, UNSTORABLE) for name in unstorable_params(params)]
    return problems


def _seed_walk(request: ValidatedRequest, count: int) -> tuple[int | None, list[FieldProblem]]:
    """The first run's seed (None without a seed field), or why the walk cannot fit."""
    name = request.entry.seed_field
    if name is None:
        return None, []
    spec = request.entry.field(name)
    low = int(spec.min) if spec.min is not None else 0
    high = int(spec.max) if spec.max is not None else SEED_MAX
    last_start = high - count + 1
    given = request.params.get(name)
    if given is None:
        if last_start < low:
            return None, [FieldProblem("count", f"this model has only {high - low + 1} seeds")]
        return low + secrets.randbelow(last_start - low + 1), []
    if given > last_start:
        # Wrapping around would silently repeat or reorder seeds; say so instead.
        return None, [FieldProblem(name, f"with {count} runs the seeds would pass {high}; "
                                         f"start at {last_start} or lower")]
    return given, []


def _runs(api_type: str, request: ValidatedRequest, start: int | None,
          count: int) -> list[ValidatedRequest]:
    if start is None:
        return [request] * count
    # Each run goes through the same door as a single create, so its stored params and
    # provider body are exactly what creating it alone would store.
    return [validate_request(api_type, with_seed(request, start + i)) for i in range(count)]


def batch_id_for(key: str, owner_id: str | None) -> str:
    """Same key and owner, same batch id: the primary key makes the key unique, with no
    extra column. Scoped by owner so two people's keys never meet."""
    return hashlib.sha256(f"{owner_id or ''}\n{key}".encode()).hexdigest()[:32]


def _task_row(run: ValidatedRequest, batch_id: str, index: int, tags: list[str],
              owner_id: str | None, at: datetime) -> GenerationTask:
    return GenerationTask(
        # Derived from the batch id: a replay of the batch can never add tasks.
        idempotency_key=f"batch-{batch_id}-{index}", service=run.entry.service,
        model=run.provider_model, api_type=run.entry.api_type, api_family=run.family.value,
        media_kind=run.media_kind.value, params=run.params, provider_body=run.body,
        prompt=run.prompt, tags=list(tags), batch_id=batch_id, owner_id=owner_id,
        # A microsecond apart: the batch lists, and the engine submits, in run order.
        created_at=at + timedelta(microseconds=index),
        next_poll_at=at + timedelta(microseconds=index),
        callback_token=secrets.token_urlsafe(24),
    )


def _same_request(session: Session, batch: TaskBatch, request: ValidatedRequest,
                  count: int) -> ActionResult[BatchPublic]:
    seed_name = request.entry.seed_field
    first = session.exec(select(GenerationTask).where(GenerationTask.batch_id == batch.id)
                         .order_by(GenerationTask.created_at, GenerationTask.id)).first()

    def without_seed(params: dict) -> dict:
        return {k: v for k, v in params.items() if k != seed_name}

    given_seed = request.params.get(seed_name) if seed_name else None
    same = (batch.api_type == request.entry.api_type and batch.size == count
            and (given_seed is None or given_seed == batch.seed_start)
            and (first is None or without_seed(first.params) == without_seed(request.params)))
    if not same:
        return ActionResult.failure(
            ErrorKind.CONFLICT, "This idempotency key was already used for a different batch.",
            [FieldProblem("idempotency_key", "already used for a different request")])
    return ActionResult.success(_view(session, batch), "Same request as before: same batch")


@never_raises
async def create_batch(
    api_type: Any,
    params: Any,
    count: Any,
    *,
    label: Any = None,
    tags: Any = None,
    owner_id: str | None = None,
    idempotency_key: Any = None,
    db: sa.Engine | None = None,
) -> ActionResult[BatchPublic]:
    """Record `count` queued tasks of one request as one batch; the engine submits them."""
    cleaned_tags, tag_problems = clean_tags(tags)
    problems = _check_inputs(api_type, params, count, label, idempotency_key) + tag_problems
    if problems:
        return ActionResult.invalid(problems)
    try:
        request = validate_request(api_type, params)
        start, walk_problems = _seed_walk(request, count)
        if walk_problems:
            return ActionResult.invalid(walk_problems)
        runs = _runs(api_type, request, start, count)
    except CatalogValidationError as error:
        return ActionResult.invalid([FieldProblem(e.field, without_field_prefix(e.field, e.message))
                                     for e in error.errors])

    batch_id = batch_id_for(idempotency_key, owner_id) if idempotency_key else new_id()
    now = utcnow()
    with Session(db or get_engine(), expire_on_commit=False) as session:
        existing = session.get(TaskBatch, batch_id)
        if existing is not None:
            return _same_request(session, existing, request, count)
        batch = TaskBatch(id=batch_id, api_type=api_type, size=count, seed_start=start,
                          label=(label or "").strip() or None, owner_id=owner_id, created_at=now)
        tasks = [_task_row(run, batch_id, i, cleaned_tags, owner_id, now)
                 for i, run in enumerate(runs)]
        try:
            session.add(batch)
            for i, task in enumerate(tasks):
                record_creation(session, task, detail=f"{request.entry.display_name}, batch run "
                                                      f"{i + 1} of {count}")
            session.commit()
        except sa.exc.IntegrityError:
            # Another request with the same key won the race: answer with its batch.
            session.rollback()
            existing = session.get(TaskBatch, batch_id)
            if existing is None:
                raise
            return _same_request(session, existing, request, count)
        view = _view(session, batch)
    for task in tasks:
        notifier.publish(TaskChange(task_id=task.id, status=task.status.value, owner_id=owner_id))
    wake_engine()
    return ActionResult.success(view, f"{count} tasks queued")


# --- following and stopping ----------------------------------------------------------

@never_raises
async def batch_status(batch_id: Any, *, owner_id: str | None = None,
                       db: sa.Engine | None = None) -> ActionResult[BatchPublic]:
    with Session(db or get_engine()) as session:
        batch = load_batch(session, batch_id, owner_id)
        if batch is None:
            return ActionResult.failure(ErrorKind.NOT_FOUND, "No such batch.")
        return ActionResult.success(_view(session, batch))


@never_raises
async def cancel_batch(batch_id: Any, *, owner_id: str | None = None,
                       db: sa.Engine | None = None) -> ActionResult[BatchCancel]:
    """Stop tracking every unfinished task of the batch, as cancel_task does for one
    (Kie has no cancel: a running task may still be charged). Ended tasks are untouched."""
    with Session(db or get_engine(), expire_on_commit=False) as session:
        batch = load_batch(session, batch_id, owner_id)
        if batch is None:
            return ActionResult.failure(ErrorKind.NOT_FOUND, "No such batch.")
        unfinished = list(session.exec(select(GenerationTask.id, GenerationTask.owner_id).where(
            GenerationTask.batch_id == batch.id,
            GenerationTask.status.not_in(list(TERMINAL_STATUSES)))))
        canceled = 0
        for task_id, task_owner in unfinished:
            # Compare-and-set per task: one that ended (or is being submitted) meanwhile
            # keeps its status.
            if transition(session, task_id, TaskStatus.CANCELED, source=EventSource.USER,
                          detail="stopped by a person, with its batch"):
                canceled += 1
                notifier.publish(TaskChange(task_id=task_id, status=TaskStatus.CANCELED.value,
                                            owner_id=task_owner, finished=True))
        session.expire_all()
        view = _view(session, batch)
    left = len(unfinished) - canceled
    message = f"Stopped {canceled} of the batch's tasks"
    if left:
        message += f"; {left} could not be stopped now (being sent to Kie, or just ended)"
    return ActionResult.success(BatchCancel(canceled=canceled, not_stopped=left, batch=view),
                                message)
