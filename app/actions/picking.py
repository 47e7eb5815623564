"""Picking: what a person marks on finished work — favourites, the chosen result, tags —
and, for a batch, the one chosen variant.

A batch's choice lives on its tasks, without a column of its own: at most one task of a
batch holds `selected_result` at a time. Choosing a result of a batch task (through
`select_result` or `select_batch_result`) clears every sibling in the same UPDATE, so
the invariant holds whichever door is used and however many people click at once
(the last click wins, whole).

These are not status changes: no audit event, and `updated_at` is left alone (the
engine reads it as the age of the provider's state, not of a person's marks).
Every write is one UPDATE in a transaction of its own (any read happens before, apart),
so SQLite never has to turn a read into a write under concurrency.
"""

from __future__ import annotations

import unicodedata
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel
from sqlmodel import Session, select

from app.actions.inputs import is_task_id, unstorable_text
from app.actions.result import ActionResult, ErrorKind, FieldProblem, never_raises
from app.actions.tasks import TAG_MAX, TAGS_MAX
from app.engine.notifier import TaskChange, notifier
from app.store.db import get_engine
from app.store.ownership import visible, visible_clauses
from app.store.models import GenerationTask, TaskBatch
from app.store.status import TaskStatus
from app.store.views import TaskPublic

_TASK = GenerationTask.__table__
# Control characters, lone surrogates, and line/paragraph separators: none belongs in a
# one-line label. (Format characters such as the emoji zero-width joiner are kept.)
_REFUSED_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})


class BatchChoice(BaseModel):
    """The batch's chosen variant: one result of one of its tasks, or none."""

    batch_id: str
    task_id: str | None
    position: int | None
    result_url: str | None


# --- shared checks -------------------------------------------------------------------

def has_refused_characters(text: str) -> bool:
    return unstorable_text(text) or any(unicodedata.category(c) in _REFUSED_CATEGORIES
                                        for c in text)


def clean_tags(tags: Any) -> tuple[list[str], list[FieldProblem]]:
    """Tags as stored: trimmed, NFC, de-duplicated ignoring case (first spelling kept)."""
    if tags is None:
        return [], []
    if not isinstance(tags, (list, tuple)) or not all(isinstance(t, str) for t in tags):
        return [], [FieldProblem("tags", "must be a list of strings")]
    cleaned: list[str] = []
    seen: set[str] = set()
    for raw in tags:
        if has_refused_characters(raw):
            return [], [FieldProblem("tags", "must not contain control characters")]
        tag = unicodedata.normalize("NFC", raw.strip())
        if not tag or len(tag) > TAG_MAX:
            return [], [FieldProblem("tags", f"each tag must be 1–{TAG_MAX} characters")]
        if tag.casefold() not in seen:
            seen.add(tag.casefold())
            cleaned.append(tag)
    if len(cleaned) > TAGS_MAX:
        return [], [FieldProblem("tags", f"at most {TAGS_MAX} different tags")]
    return cleaned, []


def load_task(session: Session, task_id: Any, owner_id: str | None) -> GenerationTask | None:
    if not is_task_id(task_id):
        return None
    task = session.get(GenerationTask, task_id)
    return task if task is not None and visible(task.owner_id, owner_id) else None


def load_batch(session: Session, batch_id: Any, owner_id: str | None) -> TaskBatch | None:
    if not is_task_id(batch_id):
        return None
    batch = session.get(TaskBatch, batch_id)
    return batch if batch is not None and visible(batch.owner_id, owner_id) else None


def _not_found() -> ActionResult:
    return ActionResult.failure(ErrorKind.NOT_FOUND, "No such task.")


def _visible_to(owner_id: str | None) -> list[sa.ColumnElement]:
    return visible_clauses(_TASK.c.owner_id, owner_id)


def _update(db: sa.Engine, where: list, values: dict) -> int:
    with db.begin() as connection:
        return connection.execute(sa.update(_TASK).where(*where).values(**values)).rowcount


def _changed(db: sa.Engine, task_ids: list[str]) -> list[GenerationTask]:
    """Re-read the changed rows and tell open browsers (the rows are the news)."""
    with Session(db, expire_on_commit=False) as session:
        tasks = [task for task_id in task_ids
                 if (task := session.get(GenerationTask, task_id)) is not None]
    for task in tasks:
        notifier.publish(TaskChange(task_id=task.id, status=task.status.value,
                                    owner_id=task.owner_id))
    return tasks


async def _mark(task_id: Any, values: dict, owner_id: str | None,
                db: sa.Engine | None) -> ActionResult[TaskPublic]:
    if not is_task_id(task_id):
        return _not_found()
    engine = db or get_engine()
    if _update(engine, [_TASK.c.id == task_id, *_visible_to(owner_id)], values) == 0:
        return _not_found()
    changed = _changed(engine, [task_id])
    if not changed:  # deleted between the write and the read
        return _not_found()
    return ActionResult.success(TaskPublic.of(changed[0]))


# --- the actions ---------------------------------------------------------------------

@never_raises
async def set_favourite(task_id: Any, favourite: Any, *, owner_id: str | None = None,
                        db: sa.Engine | None = None) -> ActionResult[TaskPublic]:
    if not isinstance(favourite, bool):
        return ActionResult.invalid([FieldProblem("favourite", "must be true or false")])
    return await _mark(task_id, {"favourite": favourite}, owner_id, db)


@never_raises
async def set_tags(task_id: Any, tags: Any, *, owner_id: str | None = None,
                   db: sa.Engine | None = None) -> ActionResult[TaskPublic]:
    """Replace the task's tags (an empty list clears them)."""
    if tags is None:
        return ActionResult.invalid([FieldProblem("tags", "must be a list of strings")])
    cleaned, problems = clean_tags(tags)
    if problems:
        return ActionResult.invalid(problems)
    return await _mark(task_id, {"tags": cleaned}, owner_id, db)


def _check_position(task: GenerationTask, position: Any) -> ActionResult | None:
    """None when `position` may be chosen for this task; otherwise the failure."""
    if position is None:
        return None
    if isinstance(position, bool) or not isinstance(position, int):
        return ActionResult.invalid([FieldProblem("position", "must be a whole number or null")])
    if task.status is not TaskStatus.SUCCEEDED:
        return ActionResult.failure(
            ErrorKind.CONFLICT,
            f"Only a succeeded task's results can be chosen; this one is {task.status.value}.")
    count = len(task.result_urls or [])
    if not 0 <= position < count:
        allowed = f"from 0 to {count - 1}" if count else "impossible: it has no results"
        return ActionResult.invalid([FieldProblem("position", f"must index a result ({allowed})")])
    return None


def _holders(db: sa.Engine, batch_id: str) -> list[str]:
    """The tasks of a batch holding a choice (one, unless a write is under way)."""
    with Session(db) as session:
        return list(session.exec(select(GenerationTask.id).where(
            GenerationTask.batch_id == batch_id, GenerationTask.selected_result.is_not(None))))


def _clear_batch(db: sa.Engine, batch_id: str) -> list[str]:
    holders = _holders(db, batch_id)
    _update(db, [_TASK.c.batch_id == batch_id], {"selected_result": None})
    return holders


def _choose(db: sa.Engine, task: GenerationTask, position: int | None) -> list[str]:
    """Write the choice; returns the ids of every task whose mark may have changed."""
    if task.batch_id is None or position is None:
        # Clearing one task cannot break the one-choice-per-batch rule.
        where = [_TASK.c.id == task.id]
        if position is not None:
            where.append(_TASK.c.status == TaskStatus.SUCCEEDED)
        return [task.id] if _update(db, where, {"selected_result": position}) else []
    holders = _holders(db, task.batch_id)
    # One statement over the whole batch: the new choice and the siblings' clearing
    # land together, and concurrent choosers serialize on the same rows.
    chosen = sa.case((_TASK.c.id == task.id, sa.literal(position)), else_=sa.null())
    _update(db, [_TASK.c.batch_id == task.batch_id], {"selected_result": chosen})
    return [task.id, *(other for other in holders if other != task.id)]


@never_raises
async def select_result(task_id: Any, position: Any, *, owner_id: str | None = None,
                        db: sa.Engine | None = None) -> ActionResult[TaskPublic]:
    """Choose result `position` of a succeeded task (None clears). For a batch task this
    is the batch's choice: the other tasks of the batch lose theirs."""
    engine = db or get_engine()
    with Session(engine, expire_on_commit=False) as session:
        task = load_task(session, task_id, owner_id)
    if task is None:
        return _not_found()
    refused = _check_position(task, position)
    if refused is not None:
        return refused
    changed = _changed(engine, _choose(engine, task, position))
    mine = next((t for t in changed if t.id == task.id), None)
    if mine is None:
        return _not_found()
    return ActionResult.success(TaskPublic.of(mine))


@never_raises
async def select_batch_result(batch_id: Any, task_id: Any, position: Any, *,
                              owner_id: str | None = None,
                              db: sa.Engine | None = None) -> ActionResult[BatchChoice]:
    """The batch's chosen variant: result `position` of its task `task_id`. With
    position None the batch's choice is cleared, whichever task held it (task_id may
    then be None)."""
    engine = db or get_engine()
    with Session(engine, expire_on_commit=False) as session:
        batch = load_batch(session, batch_id, owner_id)
        if batch is None:
            return ActionResult.failure(ErrorKind.NOT_FOUND, "No such batch.")
        task = None if task_id is None else load_task(session, task_id, owner_id)
    if task_id is not None and (task is None or task.batch_id != batch.id):
        return ActionResult.failure(ErrorKind.NOT_FOUND, "No such task in this batch.",
                                    [FieldProblem("task_id", "is not a task of this batch")])
    if position is None:
        _changed(engine, _clear_batch(engine, batch.id))
        return ActionResult.success(BatchChoice(batch_id=batch.id, task_id=None, position=None,
                                                result_url=None), "Choice cleared")
    if task is None:
        return ActionResult.invalid([FieldProblem("task_id", "name the task whose result is chosen")])
    result = await select_result(task.id, position, owner_id=owner_id, db=engine)
    if not result.ok:
        return result
    picked = result.data
    return ActionResult.success(BatchChoice(batch_id=batch.id, task_id=picked.id,
                                            position=position,
                                            result_url=picked.result_urls[position]))
