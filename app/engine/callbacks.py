"""Receiving Kie's callbacks: check the per-task token (and HMAC), then query now.

A callback is a hint; the status query is the proof. The receiver never writes a
final status from a callback body: it makes the task due at once and wakes the engine.
One exception: a task whose submission outcome was unknown (no Kie id recorded) is
reconciled here, because the callback URL carries that task's secret token.
"""

from __future__ import annotations

import enum
import hmac
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlmodel import Session, select

from app.engine import metrics
from app.engine.claims import make_due_now
from app.engine.notifier import TaskChange, notifier
from app.providers.kie import InvalidCallbackError, parse_callback, verify_signature
from app.store.models import EventSource, GenerationTask, utcnow
from app.store.status import TaskStatus
from app.store.transitions import transition

if TYPE_CHECKING:
    from app.engine.worker import Engine

logger = logging.getLogger("atelier.callbacks")

_UNRECONCILED = {TaskStatus.SUBMITTING, TaskStatus.NEEDS_ATTENTION}


class CallbackOutcome(str, enum.Enum):
    ACCEPTED = "accepted"          # a running task: queried now
    RECONCILED = "reconciled"      # an unknown submission outcome resolved
    ALREADY_FINAL = "already_final"  # a duplicate, or late: nothing to do
    UNKNOWN_TOKEN = "unknown_token"
    BAD_SIGNATURE = "bad_signature"
    MALFORMED = "malformed"
    MISMATCH = "mismatch"          # token and task id disagree


@dataclass(frozen=True)
class CallbackResult:
    outcome: CallbackOutcome
    task_id: str | None = None

    @property
    def http_status(self) -> int:
        return {CallbackOutcome.UNKNOWN_TOKEN: 404, CallbackOutcome.BAD_SIGNATURE: 401,
                CallbackOutcome.MALFORMED: 400, CallbackOutcome.MISMATCH: 409}.get(
                    self.outcome, 200)


def handle_callback(
    db: sa.Engine,
    token: str,
    payload: Any,
    headers: dict[str, str],
    hmac_key: str | None,
    *,
    engine: Engine | None = None,
) -> CallbackResult:
    """`headers` with lower-case names. `engine`: the one to wake; by default this
    process's running engine, if any (else the row is made due for whichever engine
    runs elsewhere)."""
    result = _handle(db, token, payload, headers, hmac_key, engine)
    metrics.CALLBACKS.labels(result.outcome.value).inc()
    return result


def _handle(db, token, payload, headers, hmac_key, engine) -> CallbackResult:
    if not isinstance(payload, dict):
        return CallbackResult(CallbackOutcome.MALFORMED)
    try:
        hint = parse_callback(payload)
    except InvalidCallbackError:
        return CallbackResult(CallbackOutcome.MALFORMED)
    if hmac_key and not verify_signature(
        hmac_key, hint.task_id, headers.get("x-webhook-timestamp", ""),
        headers.get("x-webhook-signature", ""),
    ):
        return CallbackResult(CallbackOutcome.BAD_SIGNATURE)
    # Tokens are ours (token_urlsafe, at most the column's 64): anything else is no
    # token, and a NUL or lone surrogate would not even survive a PostgreSQL query.
    if len(token) > 64 or not token.isprintable():
        return CallbackResult(CallbackOutcome.UNKNOWN_TOKEN)
    with Session(db, expire_on_commit=False) as session:
        task = session.exec(
            select(GenerationTask).where(GenerationTask.callback_token == token)
        ).first()
        if task is None or not hmac.compare_digest(task.callback_token or "", token):
            return CallbackResult(CallbackOutcome.UNKNOWN_TOKEN)
        if task.status.is_terminal:
            return CallbackResult(CallbackOutcome.ALREADY_FINAL, task.id)
        if task.provider_task_id and task.provider_task_id != hint.task_id:
            return CallbackResult(CallbackOutcome.MISMATCH, task.id)
        if task.provider_task_id is None and task.status in _UNRECONCILED:
            # A Kie id another task already holds cannot be this task's too.
            if session.exec(select(GenerationTask.id).where(
                    GenerationTask.provider_task_id == hint.task_id)).first() is not None:
                return CallbackResult(CallbackOutcome.MISMATCH, task.id)
            if transition(session, task.id, TaskStatus.PENDING, source=EventSource.CALLBACK,
                          only_from=_UNRECONCILED,
                          values={"provider_task_id": hint.task_id, "submitted_at": utcnow(),
                                  "next_poll_at": utcnow(), "lease_owner": None,
                                  "lease_expires_at": None, "fail_code": None,
                                  "fail_message": None},
                          detail=f"reconciled from a callback: Kie task {hint.task_id}"):
                notifier.publish(TaskChange(task_id=task.id, status=TaskStatus.PENDING.value,
                                            owner_id=task.owner_id))
                _poll_now(db, task.id, engine)
                return CallbackResult(CallbackOutcome.RECONCILED, task.id)
        _poll_now(db, task.id, engine)
        return CallbackResult(CallbackOutcome.ACCEPTED, task.id)


def _poll_now(db: sa.Engine, task_id: str, engine: Engine | None) -> None:
    from app.engine.runtime import current_engine

    engine = engine or current_engine()
    if engine is not None:
        engine.poll_now(task_id)
        return
    # No engine in this process (the receiver runs apart from it): the row itself
    # says "due now", and the engine elsewhere sees it on its next look.
    with Session(db) as session:
        make_due_now(session, task_id)
