"""create_generation_task and query_generation_task: plain async functions.

The UI's Reflex handlers, the JSON API and the tests all call these; none of them has
a second implementation.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from app.actions.errors import message_for_kie_error
from app.actions.inputs import is_task_id, unstorable_params, unstorable_text
from app.actions.result import ActionResult, ErrorKind, FieldProblem, never_raises
from app.catalog import CatalogValidationError, validate_request
from app.engine.apply import apply_snapshot
from app.engine.notifier import TaskChange, notifier
from app.providers.kie import KieClient, KieError
from app.providers.kie.families import ApiFamily
from app.store.db import get_engine
from app.store.ownership import visible
from app.store.models import EventSource, GenerationTask, utcnow
from app.store.status import TaskStatus
from app.store.transitions import record_creation
from app.store.views import TaskPublic

IDEMPOTENCY_KEY_MAX = 128
TAG_MAX, TAGS_MAX = 40, 20
# A row touched this recently is fresh enough; no live query is needed.
STALE_AFTER = timedelta(seconds=2)
UNSTORABLE = "must not contain NUL characters or unpaired surrogates"


def check_idempotency_key(key: Any) -> list[FieldProblem]:
    if key is None:
        return []
    if not isinstance(key, str) or not key.strip():
        return [FieldProblem("idempotency_key", "must be a non-empty string")]
    if len(key) > IDEMPOTENCY_KEY_MAX:
        return [FieldProblem("idempotency_key", f"must be at most {IDEMPOTENCY_KEY_MAX} characters")]
    if unstorable_text(key):
        return [FieldProblem("idempotency_key", UNSTORABLE)]
    return []


def _check_tags(tags: Any) -> list[FieldProblem]:
    if tags is None:
        return []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        return [FieldProblem("tags", "must be a list of strings")]
    if len(tags) > TAGS_MAX or any(len(t) > TAG_MAX or not t.strip() for t in tags):
        return [FieldProblem("tags", f"at most {TAGS_MAX} tags of 1–{TAG_MAX} characters")]
    if any(unstorable_text(t) for t in tags):
        return [FieldProblem("tags", UNSTORABLE)]
    return []


def without_field_prefix(field: str, message: str) -> str:
    # The catalog writes "prompt: is required"; ActionResult names the field itself.
    prefix = f"{field}:"
    return message[len(prefix):].strip() if message.startswith(prefix) else message


def scoped_key(key: str, owner_id: str | None) -> str:
    """The stored idempotency key: one person's key never meets another's (the column
    is unique across everyone), so a reused key can neither return nor reveal someone
    else's task."""
    if owner_id is None:
        return key
    return "o:" + hashlib.sha256(f"{owner_id}\n{key}".encode()).hexdigest()


def _find_by_key(session: Session, key: str) -> GenerationTask | None:
    return session.exec(select(GenerationTask).where(GenerationTask.idempotency_key == key)).first()


@never_raises
async def create_generation_task(
    api_type: Any,
    params: Any,
    *,
    service: Any = None,
    idempotency_key: Any = None,
    tags: Any = None,
    batch_id: str | None = None,
    owner_id: str | None = None,
    db: sa.Engine | None = None,
) -> ActionResult[TaskPublic]:
    """Validate, record the task (queued) and hand it to the engine. Nothing is paid here.

    The same idempotency key always returns the same task: a double click is one task.
    """
    problems = check_idempotency_key(idempotency_key) + _check_tags(tags)
    if not isinstance(api_type, str):
        problems.append(FieldProblem("api_type", "must be the id of a catalog model"))
    problems += [FieldProblem(name, UNSTORABLE) for name in unstorable_params(params)]
    if problems:
        return ActionResult.invalid(problems)
    try:
        request = validate_request(api_type, params, service=service)
    except CatalogValidationError as error:
        return ActionResult.invalid([FieldProblem(e.field, without_field_prefix(e.field, e.message))
                                     for e in error.errors])

    key = scoped_key(idempotency_key or uuid.uuid4().hex, owner_id)
    with Session(db or get_engine(), expire_on_commit=False) as session:
        existing = _find_by_key(session, key)
        if existing is not None:
            return _same_request_or_conflict(existing, api_type, request.params)
        task = GenerationTask(
            idempotency_key=key, service=request.entry.service, model=request.provider_model,
            api_type=api_type, api_family=request.family.value,
            media_kind=request.media_kind.value, params=request.params,
            provider_body=request.body, prompt=request.prompt, tags=list(tags or []),
            batch_id=batch_id, owner_id=owner_id, next_poll_at=utcnow(),
            callback_token=secrets.token_urlsafe(24),
        )
        try:
            record_creation(session, task, detail=f"{request.entry.display_name}")
            session.commit()
        except sa.exc.IntegrityError:
            # Another request with the same key won the race: answer with its task.
            session.rollback()
            existing = _find_by_key(session, key)
            if existing is None:
                raise
            return _same_request_or_conflict(existing, api_type, request.params)
    notifier.publish(TaskChange(task_id=task.id, status=task.status.value, owner_id=owner_id))
    wake_engine()
    return ActionResult.success(TaskPublic.of(task), "Task queued")


def _same_request_or_conflict(task: GenerationTask, api_type: str,
                              params: dict) -> ActionResult[TaskPublic]:
    if task.api_type != api_type or task.params != params:
        return ActionResult.failure(
            ErrorKind.CONFLICT,
            "This idempotency key was already used for a different request.",
            [FieldProblem("idempotency_key", "already used for a different request")],
        )
    return ActionResult.success(TaskPublic.of(task), "Same request as before: same task")


def wake_engine() -> None:
    from app.engine.runtime import get_runtime

    engine = get_runtime().engine
    if engine is not None:
        engine.wake()


@never_raises
async def query_generation_task(
    task_id: Any,
    *,
    refresh: bool = True,
    owner_id: str | None = None,
    client: KieClient | None = None,
    db: sa.Engine | None = None,
) -> ActionResult[TaskPublic]:
    """The stored task; when it is still running and its row is stale, a live status
    query is merged in and saved (the same rules as the engine's polls)."""
    if not is_task_id(task_id):
        return ActionResult.invalid([FieldProblem("task_id", "must be a task id")])
    engine = db or get_engine()
    with Session(engine, expire_on_commit=False) as session:
        task = session.get(GenerationTask, task_id)
        if task is None or not visible(task.owner_id, owner_id):
            return ActionResult.failure(ErrorKind.NOT_FOUND, "No such task.")
        stale = utcnow() - task.updated_at > STALE_AFTER
        if not (refresh and stale and task.provider_task_id
                and task.status in (TaskStatus.PENDING, TaskStatus.PROCESSING)):
            # With its mirrored copies: a finished task's results are served by Atelier.
            return ActionResult.success(TaskPublic.of_many(session, [task])[0])
        if client is None:
            from app.engine.runtime import get_runtime

            client = get_runtime().client
        try:
            snapshot = await client.get_task(ApiFamily(task.api_family), task.provider_task_id)
        except KieError as error:
            # The stored row is still the truth; say why it could not be refreshed.
            return ActionResult.success(
                TaskPublic.of(task), f"Showing the stored state: {message_for_kie_error(error)}")
        applied = apply_snapshot(session, task, snapshot, source=EventSource.POLL,
                                 next_poll_at=task.next_poll_at)
        session.expire_all()
        task = session.get(GenerationTask, task_id)
    if applied.changed:
        notifier.publish(TaskChange(task_id=task_id, status=applied.status.value,
                                    owner_id=task.owner_id, finished=applied.finished))
    return ActionResult.success(TaskPublic.of(task))
