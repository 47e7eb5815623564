"""Reading a history document (`document.py`, version 1) back into the database.

- All or nothing: the whole document is checked before anything is written, then
  written in one transaction. A refused document names what is wrong
  ("tasks[3].status: ...") and leaves the database as it was.
- Idempotent: a task whose id, idempotency key or Kie task id is already stored is
  skipped (with its events), so importing the same file twice adds nothing the second
  time. The report counts imported and skipped tasks.
- Nothing is sent to Kie. A task that was still unfinished in the exporting database
  (queued, submitting, pending, processing, needs_attention) is stored as canceled,
  with `previous_status` = its exported status, fail code `imported_unfinished`, and
  one more audit event saying so: the engine never submits or polls it (it could cost
  money twice, or poll with another account's key). "Run again" sends it anew on
  purpose. Finished tasks are stored exactly as exported.
- Secrets and engine bookkeeping are not part of the format; a document that carries
  them (or any unknown field) is refused rather than half-read.

The document is parsed whole (a size-limited request body, or a file the CLI reads):
memory grows with the document, unlike the streamed export.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from pydantic import (AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter,
                      ValidationError)
from sqlmodel import Session

from app.actions.inputs import unstorable_text
from app.actions.result import ActionResult, ErrorKind, FieldProblem, never_raises
from app.history.document import FORMAT, VERSION
from app.store.db import get_engine
from app.store.models import (FAIL_MESSAGE_MAX, PROMPT_MAX, EventSource, GenerationTask,
                              TaskEvent)
from app.store.status import TaskStatus

PROBLEMS_MAX = 20
WRITE_ROWS = 500
UNFINISHED_CODE = "imported_unfinished"
# A stored task with the same value in any of these is the same task: skipped.
MATCHED_BY = ("id", "idempotency_key", "provider_task_id")

_TASK = GenerationTask.__table__
_EVENT = TaskEvent.__table__


@dataclass(frozen=True)
class ImportReport:
    imported: int
    skipped: int               # already stored (same id, idempotency key or Kie task id)
    canceled_unfinished: int   # of the imported: unfinished when exported, now canceled


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EventIn(_Strict):
    from_status: TaskStatus | None = None
    to_status: TaskStatus
    source: EventSource
    detail: str | None = Field(default=None, max_length=500)
    created_at: AwareDatetime


class TaskIn(_Strict):
    id: str = Field(pattern=r"^[0-9A-Za-z_-]{1,32}$")
    idempotency_key: str = Field(min_length=1, max_length=128)
    provider_task_id: str | None = Field(default=None, max_length=128)
    service: str = Field(max_length=64)
    model: str = Field(max_length=128)
    api_type: str = Field(max_length=64)
    api_family: str = Field(max_length=32)
    media_kind: str = Field(max_length=16)
    status: TaskStatus
    previous_status: TaskStatus | None = None
    provider_state: str | None = Field(default=None, max_length=64)
    prompt: str | None = Field(default=None, max_length=PROMPT_MAX)
    params: dict[str, Any] = Field(default_factory=dict)
    provider_body: dict[str, Any] = Field(default_factory=dict)
    result_json: dict[str, Any] | None = None
    result_urls: list[str] = Field(default_factory=list)
    progress: float | None = Field(default=None, ge=0, le=1)
    fail_code: str | None = Field(default=None, max_length=64)
    fail_message: str | None = Field(default=None, max_length=FAIL_MESSAGE_MAX)
    credits: float | None = None
    created_at: AwareDatetime
    submitted_at: AwareDatetime | None = None
    updated_at: AwareDatetime
    completed_at: AwareDatetime | None = None
    duration_seconds: float | None = None
    owner_id: str | None = Field(default=None, max_length=64)
    batch_id: str | None = Field(default=None, max_length=32)
    tags: list[str] = Field(default_factory=list)
    favourite: bool = False
    selected_result: int | None = Field(default=None, ge=0)
    events: list[EventIn] = Field(default_factory=list)


_TASKS = TypeAdapter(list[TaskIn])


def parse_document(raw: bytes | str) -> ActionResult[Any]:
    """JSON text to a document value, or a failure saying why it is not JSON."""
    try:
        # UTF-8 as exported (a byte-order mark an editor added is tolerated).
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
        return ActionResult.success(json.loads(text))
    except UnicodeDecodeError:
        problem = "is not UTF-8 text"
    except json.JSONDecodeError as error:
        problem = f"is not JSON: {error.msg} (line {error.lineno}, column {error.colno})"
    except RecursionError:
        problem = "is nested too deeply to be an Atelier history"
    return ActionResult.invalid([FieldProblem("document", problem)])


@never_raises
async def import_history(document: Any, *, owner_id: str | None = None,
                         db: sa.Engine | None = None,
                         now: datetime | None = None) -> ActionResult[ImportReport]:
    """Import a parsed history document (see the module notes). With `owner_id` (a
    caller who sees only their own tasks) every imported task becomes theirs, so an
    import cannot write into someone else's history; None keeps the document's owners."""
    checked = check_document(document)
    if not checked.ok:
        return checked
    tasks = checked.data
    if owner_id is not None:
        tasks = [task.model_copy(update={"owner_id": owner_id}) for task in tasks]
    try:
        report = await asyncio.to_thread(_write, db or get_engine(), tasks,
                                         now or datetime.now(timezone.utc))
    except sa.exc.IntegrityError:
        return ActionResult.failure(
            ErrorKind.CONFLICT, "Another write stored some of these tasks at the same "
                                "moment; nothing was imported. Run the import again.")
    return ActionResult.success(
        report, f"Imported {report.imported} tasks, skipped {report.skipped} already present")


def check_document(document: Any) -> ActionResult[list[TaskIn]]:
    """Every check, before anything is written; failures name the place."""
    if not isinstance(document, dict):
        return ActionResult.invalid([FieldProblem(
            "document", "must be a JSON object with format, version and tasks")])
    header: list[FieldProblem] = []
    if document.get("format") != FORMAT:
        header.append(FieldProblem("format", f"must be {FORMAT!r} (an Atelier history export)"))
    if document.get("version") != VERSION:
        header.append(FieldProblem(
            "version", f"this Atelier reads version {VERSION}; the document says "
                       f"{str(document.get('version'))[:20]!r}"))
    if not isinstance(document.get("tasks"), list):
        header.append(FieldProblem("tasks", "must be a list of tasks"))
    if header:
        return ActionResult.invalid(header)
    raw_tasks = document["tasks"]
    problems = list(_unstorable(raw_tasks, "tasks"))
    if problems:
        return ActionResult.invalid(problems[:PROBLEMS_MAX])
    try:
        tasks = _TASKS.validate_python(raw_tasks)
    except ValidationError as error:
        return ActionResult.invalid([
            FieldProblem(_place(item["loc"]), item["msg"])
            for item in error.errors(include_url=False)[:PROBLEMS_MAX]])
    problems = _repeated(tasks)
    if problems:
        return ActionResult.invalid(problems[:PROBLEMS_MAX])
    return ActionResult.success(tasks)


def _place(loc: tuple[Any, ...]) -> str:
    text = "tasks"
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def _unstorable(value: Any, place: str, depth: int = 0):
    """Text no database can store (NUL, unpaired surrogates), anywhere in the tasks."""
    if isinstance(value, str):
        if unstorable_text(value):
            yield FieldProblem(place, "holds text no database can store (a NUL character "
                                      "or an unpaired surrogate)")
    elif depth < 64 and isinstance(value, dict):
        for key, item in value.items():
            yield from _unstorable(key, place, depth + 1)
            yield from _unstorable(item, f"{place}.{key}", depth + 1)
    elif depth < 64 and isinstance(value, list):
        for index, item in enumerate(value):
            yield from _unstorable(item, f"{place}[{index}]", depth + 1)


def _repeated(tasks: list[TaskIn]) -> list[FieldProblem]:
    problems = []
    for name in MATCHED_BY:
        counts = Counter(getattr(t, name) for t in tasks if getattr(t, name) is not None)
        for index, task in enumerate(tasks):
            if counts.get(getattr(task, name), 0) > 1:
                problems.append(FieldProblem(f"tasks[{index}].{name}",
                                             "appears more than once in the document"))
    return problems


def _write(db: sa.Engine, tasks: list[TaskIn], now: datetime) -> ImportReport:
    with Session(db) as session:
        present = _already_stored(session, tasks)
        task_rows: list[dict[str, Any]] = []
        event_rows: list[dict[str, Any]] = []
        canceled = 0
        for task in tasks:
            if any(getattr(task, name) in present[name] for name in MATCHED_BY):
                continue
            row, events = _rows(task, now)
            canceled += not task.status.is_terminal
            task_rows.append(row)
            event_rows.extend(events)
        # Tasks before events (the events' foreign key), all in this one transaction.
        for rows, table in ((task_rows, _TASK), (event_rows, _EVENT)):
            for start in range(0, len(rows), WRITE_ROWS):
                session.execute(sa.insert(table), rows[start:start + WRITE_ROWS])
        session.commit()
    return ImportReport(imported=len(task_rows), skipped=len(tasks) - len(task_rows),
                        canceled_unfinished=canceled)


def _already_stored(session: Session, tasks: list[TaskIn]) -> dict[str, set[str]]:
    """Per matching field, the values of the document's tasks already stored."""
    present: dict[str, set[str]] = {}
    for name in MATCHED_BY:
        column = _TASK.c[name]
        values = [v for v in (getattr(t, name) for t in tasks) if v is not None]
        present[name] = set()
        for start in range(0, len(values), WRITE_ROWS):
            present[name].update(session.execute(
                sa.select(column).where(column.in_(values[start:start + WRITE_ROWS]))
            ).scalars())
    return present


def _rows(task: TaskIn, now: datetime) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    row = task.model_dump(exclude={"events"})
    row.update(
        # Engine bookkeeping starts empty: nothing here is due, leased or awaited.
        next_poll_at=None, poll_attempts=0, consecutive_errors=0, lease_owner=None,
        lease_expires_at=None, deadline_at=None, callback_token=None, fail_traceback=None,
        previous_status=task.previous_status.value if task.previous_status else None,
    )
    events = [dict(event.model_dump(), task_id=task.id,
                   from_status=event.from_status.value if event.from_status else None,
                   to_status=event.to_status.value) for event in task.events]
    if not task.status.is_terminal:
        row.update(status=TaskStatus.CANCELED, previous_status=task.status.value,
                   fail_code=UNFINISHED_CODE, updated_at=now, completed_at=now,
                   fail_message=f"Imported while {task.status.value}: not sent to Kie or "
                                f"followed here. Use Run again to send it anew.")
        events.append(dict(task_id=task.id, from_status=task.status.value,
                            to_status=TaskStatus.CANCELED.value, source=EventSource.ENGINE,
                            detail="imported unfinished: canceled, never resubmitted",
                            created_at=now))
    return row, events
