"""Building a history to export, import, clean up and delete."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from app.history.export import open_export
from app.results.storage import new_relative_path
from app.store.models import (EventSource, GenerationTask, ResultFile, ResultState,
                              TaskBatch, TaskEvent)
from app.store.status import TaskStatus
from tests.factories import make_task
from tests.databases import count  # noqa: F401  (the tests import it from here)

T0 = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=timezone.utc)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def add_task(db: sa.Engine, *, events: Iterable[tuple[str | None, str, str]] = (),
             **values: Any) -> GenerationTask:
    """A task row plus its events, given as (from_status, to_status, source)."""
    task = make_task(**values)
    with Session(db, expire_on_commit=False) as session:
        session.add(task)
        session.commit()
        for index, (from_status, to_status, source) in enumerate(events):
            session.add(TaskEvent(task_id=task.id, from_status=from_status, to_status=to_status,
                                  source=EventSource(source), detail=f"step {index}",
                                  created_at=task.created_at + timedelta(seconds=index + 1)))
            session.commit()  # one by one: event ids follow the order given
    return task


FINISHED_EVENTS = [(None, "queued", "create"), ("queued", "submitting", "submit"),
                   ("submitting", "pending", "submit"), ("pending", "succeeded", "poll")]


def add_finished(db: sa.Engine, seconds: float, **values: Any) -> GenerationTask:
    values.setdefault("status", TaskStatus.SUCCEEDED)
    return add_task(db, created_at=at(seconds), updated_at=at(seconds + 5),
                    events=FINISHED_EVENTS, **values)


def add_result_file(db: sa.Engine, storage_dir: Path, task_id: str, position: int = 0,
                    content: bytes = b"\x89PNG fake image bytes") -> Path:
    """A mirrored result: its row and its file under the private storage dir."""
    relative = new_relative_path("png")
    path = storage_dir / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    with Session(db) as session:
        session.add(ResultFile(task_id=task_id, position=position,
                               source_url=f"https://tempfile.example/{task_id}/{position}.png",
                               state=ResultState.MIRRORED, storage_path=relative,
                               size_bytes=len(content), mime_type="image/png"))
        session.commit()
    return path


def add_batch(db: sa.Engine, **values: Any) -> TaskBatch:
    batch = TaskBatch(api_type="imagen4", size=values.pop("size", 2), **values)
    with Session(db, expire_on_commit=False) as session:
        session.add(batch)
        session.commit()
    return batch


def export_text(db: sa.Engine, fmt: str = "json", task_filter=None) -> str:
    return "".join(open_export(fmt, db, task_filter, now=T0).chunks)


def export_doc(db: sa.Engine, task_filter=None) -> dict[str, Any]:
    return json.loads(export_text(db, "json", task_filter))




def task_ids(db: sa.Engine) -> set[str]:
    with db.connect() as connection:
        return set(connection.execute(sa.select(GenerationTask.__table__.c.id)).scalars())
