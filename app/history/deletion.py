"""Deleting tasks with everything that hangs off them: audit events, mirrored-result
rows, and the mirrored files on disk.

Rows go first, in the caller's transaction; files go after the commit. A crash in
between leaves at worst unreferenced private files (an operator can reclaim them with
`app.results.storage.sweep_orphans`; it is not automatic, since against a wrong
DATABASE_URL every file would look unreferenced), never a row pointing at a file that
is gone, and a rolled-back delete never costs a file.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlmodel import Session

from app.results.storage import remove_files
from app.settings import get_settings
from app.store.models import GenerationTask, ResultFile, TaskEvent
from app.store.status import TaskStatus

_TASK = GenerationTask.__table__
_EVENT = TaskEvent.__table__
_FILE = ResultFile.__table__


@dataclass
class DeletedRows:
    # task id -> its status when the DELETE removed it (callers refuse some statuses).
    tasks: dict[str, TaskStatus] = field(default_factory=dict)
    events: int = 0
    files: int = 0
    bytes: int = 0
    # Storage-relative paths of mirrored files to remove once the transaction commits.
    paths: list[str] = field(default_factory=list)


def delete_task_rows(session: Session, task_ids: Sequence[str]) -> DeletedRows:
    """Delete these tasks, their events and result-file rows; the caller commits (or
    rolls back, e.g. when `tasks` shows a status it must not delete)."""
    deleted = DeletedRows()
    ids = list(task_ids)
    if not ids:
        return deleted
    if session.get_bind().dialect.name == "postgresql":
        # Lock the tasks first: a result file mirrored meanwhile would otherwise be
        # removed by the cascade without its path reaching us (an orphaned file).
        session.execute(sa.select(_TASK.c.id).where(_TASK.c.id.in_(ids)).with_for_update())
    files = session.execute(
        sa.delete(_FILE).where(_FILE.c.task_id.in_(ids))
        .returning(_FILE.c.storage_path, _FILE.c.size_bytes)).all()
    deleted.files = sum(1 for path, _ in files if path)
    deleted.bytes = sum(size or 0 for path, size in files if path)
    deleted.paths = [path for path, _ in files if path]
    deleted.events = session.execute(
        sa.delete(_EVENT).where(_EVENT.c.task_id.in_(ids))).rowcount or 0
    rows = session.execute(
        sa.delete(_TASK).where(_TASK.c.id.in_(ids)).returning(_TASK.c.id, _TASK.c.status)).all()
    deleted.tasks = {task_id: TaskStatus(status) for task_id, status in rows}
    return deleted


def remove_stored_files(paths: Iterable[str]) -> int:
    """Remove mirrored files (paths relative to the private storage dir) after the rows
    that named them are gone; return how many went. Never raises: a file that cannot go
    is logged and left for the results package's sweep of unreferenced files."""
    return remove_files(get_settings().storage_dir, paths)
