"""Deleting a task or a whole batch takes its events, mirrored-result rows and files
with it; a task being sent to Kie stops the delete, all or nothing."""

from __future__ import annotations

import pytest

from app.actions.manage import delete_batch, delete_task
from app.actions.result import ErrorKind
from app.store.models import GenerationTask, ResultFile, TaskBatch, TaskEvent
from app.store.status import TaskStatus
from tests.history.support import (add_batch, add_finished, add_result_file, add_task, count,
                                   task_ids)

pytestmark = pytest.mark.usefixtures("storage_dir")


@pytest.mark.asyncio
async def test_delete_task_removes_its_events_and_files(db_engine, storage_dir):
    task = add_finished(db_engine, 0)
    other = add_finished(db_engine, 1)
    files = [add_result_file(db_engine, storage_dir, task.id, n) for n in range(2)]
    kept = add_result_file(db_engine, storage_dir, other.id)
    result = await delete_task(task.id, db=db_engine)
    assert result.ok and result.data == task.id
    assert task_ids(db_engine) == {other.id}
    assert count(db_engine, TaskEvent, TaskEvent.task_id == task.id) == 0
    assert count(db_engine, ResultFile, ResultFile.task_id == task.id) == 0
    assert not any(f.exists() for f in files)
    assert kept.exists() and count(db_engine, TaskEvent) == 4


@pytest.mark.asyncio
async def test_delete_task_refuses_while_it_is_being_submitted(db_engine, storage_dir):
    task = add_task(db_engine, status=TaskStatus.SUBMITTING, events=[(None, "queued", "create")])
    result = await delete_task(task.id, db=db_engine)
    assert result.error_kind is ErrorKind.CONFLICT
    assert task_ids(db_engine) == {task.id} and count(db_engine, TaskEvent) == 1
    assert (await delete_task("nope", db=db_engine)).error_kind is ErrorKind.NOT_FOUND


def _batch_of(db, storage_dir, batch_id=None, statuses=(TaskStatus.SUCCEEDED,) * 3, **values):
    batch = add_batch(db, size=len(statuses), **values)
    tasks = [add_finished(db, n, batch_id=batch.id, status=status, owner_id=batch.owner_id)
             for n, status in enumerate(statuses)]
    files = [add_result_file(db, storage_dir, t.id) for t in tasks]
    return batch, tasks, files


@pytest.mark.asyncio
async def test_delete_batch_removes_every_task_event_and_file(db_engine, storage_dir):
    batch, tasks, files = _batch_of(db_engine, storage_dir)
    other, other_tasks, other_files = _batch_of(db_engine, storage_dir)
    result = await delete_batch(batch.id, db=db_engine)
    assert result.ok, result.message
    assert result.data == {"batch_id": batch.id, "deleted_tasks": 3}
    assert task_ids(db_engine) == {t.id for t in other_tasks}
    assert count(db_engine, TaskBatch) == 1
    assert count(db_engine, TaskEvent) == 12 and count(db_engine, ResultFile) == 3
    assert not any(f.exists() for f in files) and all(f.exists() for f in other_files)
    assert (await delete_batch(batch.id, db=db_engine)).error_kind is ErrorKind.NOT_FOUND


@pytest.mark.asyncio
async def test_delete_batch_is_all_or_nothing_while_a_task_is_being_submitted(
        db_engine, storage_dir):
    batch, tasks, files = _batch_of(
        db_engine, storage_dir,
        statuses=(TaskStatus.SUCCEEDED, TaskStatus.SUBMITTING, TaskStatus.QUEUED))
    result = await delete_batch(batch.id, db=db_engine)
    assert result.error_kind is ErrorKind.CONFLICT
    assert "being sent to Kie" in result.message
    assert task_ids(db_engine) == {t.id for t in tasks}
    assert count(db_engine, TaskEvent) == 12 and count(db_engine, ResultFile) == 3
    assert count(db_engine, TaskBatch) == 1 and all(f.exists() for f in files)


@pytest.mark.asyncio
async def test_delete_batch_sees_only_the_callers_batches(db_engine, storage_dir):
    batch, tasks, _ = _batch_of(db_engine, storage_dir, owner_id="alice")
    refused = await delete_batch(batch.id, owner_id="bob", db=db_engine)
    assert refused.error_kind is ErrorKind.NOT_FOUND
    assert count(db_engine, GenerationTask) == 3
    assert (await delete_batch(batch.id, owner_id="alice", db=db_engine)).ok
    assert count(db_engine, GenerationTask) == 0
    for bad in ("", None, "../x", 5):
        assert (await delete_batch(bad, db=db_engine)).error_kind is ErrorKind.NOT_FOUND
