"""What leaves the server about a task or a file: no secrets, no engine internals."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, Field
from sqlmodel import Session

from app.results.links import result_path
from app.store.models import GenerationTask, ResultFile, ResultState, TaskEvent, UploadedFile


class ResultPublic(BaseModel):
    """One result of a task, as the UI shows it."""

    position: int  # index into result_urls
    # What to show: Atelier's own copy when mirrored, else the provider's URL.
    url: str
    provider_url: str
    mirrored: bool
    # mirrored / refused / failed; None while no copy was tried yet (or not looked up).
    mirror_state: str | None = None
    mirror_detail: str | None = None
    mime_type: str | None = None
    size_bytes: int | None = None


def _results(task: GenerationTask, files: Iterable[ResultFile]) -> list[ResultPublic]:
    by_position = {f.position: f for f in files}
    results = []
    for position, provider_url in enumerate(task.result_urls or []):
        row = by_position.get(position)
        mirrored = row is not None and row.state is ResultState.MIRRORED
        results.append(ResultPublic(
            position=position, provider_url=provider_url, mirrored=mirrored,
            url=result_path(task.id, position) if mirrored else provider_url,
            mirror_state=row.state.value if row else None,
            mirror_detail=row.detail if row else None,
            mime_type=row.mime_type if row else None,
            size_bytes=row.size_bytes if row else None,
        ))
    return results


def provider_expiry(task: GenerationTask, retention_days: float | None = None) -> datetime | None:
    """When Kie deletes this task's files: its end plus Kie's retention."""
    if not task.result_urls or task.completed_at is None:
        return None
    if retention_days is None:
        from app.settings import get_settings

        retention_days = get_settings().result_retention_days
    return task.completed_at + timedelta(days=retention_days)


def result_files_of(session: Session, task_ids: Sequence[str]) -> dict[str, list[ResultFile]]:
    """Every ResultFile row of these tasks, in one query (for a page of tasks)."""
    found: dict[str, list[ResultFile]] = {task_id: [] for task_id in task_ids}
    if not task_ids:
        return found
    rows = session.execute(
        sa.select(ResultFile).where(ResultFile.task_id.in_(list(task_ids)))).scalars()
    for row in rows:
        found[row.task_id].append(row)
    return found


class TaskPublic(BaseModel):
    id: str
    provider_task_id: str | None
    service: str
    model: str
    api_type: str
    media_kind: str
    status: str
    provider_state: str | None
    params: dict[str, Any]
    prompt: str | None
    result_urls: list[str]
    extra_outputs: dict[str, list[str]]
    progress: float | None
    fail_code: str | None
    fail_message: str | None
    credits: float | None
    created_at: datetime
    submitted_at: datetime | None
    updated_at: datetime
    completed_at: datetime | None
    batch_id: str | None
    tags: list[str]
    favourite: bool = False
    selected_result: int | None = None
    duration_seconds: float | None = None
    # One entry per result_urls item; see `of_many` for the mirror state of each.
    results: list[ResultPublic] = Field(default_factory=list)
    # When the provider's copies are deleted (completed_at + RESULT_RETENTION_DAYS).
    provider_expires_at: datetime | None = None

    @classmethod
    def of(cls, task: GenerationTask, files: Iterable[ResultFile] = ()) -> TaskPublic:
        """`files`: the task's ResultFile rows. Without them every result shows the
        provider's URL (right for a task that has not succeeded, unknown otherwise):
        use `of_many` wherever a session is at hand."""
        extra = (task.result_json or {}).get("extra_outputs") or {}
        return cls(
            id=task.id, provider_task_id=task.provider_task_id, service=task.service,
            model=task.model, api_type=task.api_type, media_kind=task.media_kind,
            status=task.status.value, provider_state=task.provider_state, params=task.params,
            prompt=task.prompt, result_urls=task.result_urls, extra_outputs=extra,
            progress=task.progress, fail_code=task.fail_code, fail_message=task.fail_message,
            credits=task.credits, created_at=task.created_at, submitted_at=task.submitted_at,
            updated_at=task.updated_at, completed_at=task.completed_at,
            batch_id=task.batch_id, tags=task.tags, favourite=bool(task.favourite),
            selected_result=task.selected_result, duration_seconds=task.duration_seconds,
            results=_results(task, files), provider_expires_at=provider_expiry(task),
        )

    @classmethod
    def of_many(cls, session: Session, tasks: Sequence[GenerationTask]) -> list[TaskPublic]:
        """A page of tasks with their mirror states: one query for the whole page."""
        files = result_files_of(session, [task.id for task in tasks])
        return [cls.of(task, files[task.id]) for task in tasks]


class EventPublic(BaseModel):
    from_status: str | None
    to_status: str
    source: str
    detail: str | None
    created_at: datetime

    @classmethod
    def of(cls, event: TaskEvent) -> EventPublic:
        return cls(from_status=event.from_status, to_status=event.to_status,
                   source=event.source.value, detail=event.detail, created_at=event.created_at)


class UploadPublic(BaseModel):
    id: str
    original_name: str
    size_bytes: int
    mime_type: str
    sha256: str
    remote_url: str | None
    remote_expires_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, upload: UploadedFile) -> UploadPublic:
        return cls(id=upload.id, original_name=upload.original_name,
                   size_bytes=upload.size_bytes, mime_type=upload.mime_type,
                   sha256=upload.sha256, remote_url=upload.remote_url,
                   remote_expires_at=upload.remote_expires_at, created_at=upload.created_at)
