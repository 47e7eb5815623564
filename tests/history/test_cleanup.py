"""Retention cleanup: the dry run counts exactly what the real run deletes (tasks,
events, files on disk); unfinished and recent tasks stay; concurrent runs share the
work without double counting; the periodic loop runs it."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta

import pytest

from app.actions.result import ErrorKind
from app.history import cleanup as cleanup_module
from app.history.cleanup import cleanup_history, run_cleanup_loop, start_history_cleanup
from app.store.models import GenerationTask, ResultFile, TaskEvent
from app.store.status import TaskStatus
from tests.history.support import (T0, add_finished, add_result_file, add_task, at, count,
                                   task_ids)

pytestmark = pytest.mark.usefixtures("storage_dir")
NOW = T0 + timedelta(days=40)  # "now" for the cleanup; tasks at T0 are 40 days old


def _history(db, storage_dir):
    """Old finished tasks (with files), old unfinished ones, and recent ones."""
    old = [add_finished(db, 0, id="old-ok"),
           add_finished(db, 1, id="old-failed", status=TaskStatus.FAILED),
           add_finished(db, 2, id="old-canceled", status=TaskStatus.CANCELED)]
    files = [add_result_file(db, storage_dir, "old-ok", 0, b"a" * 1000),
             add_result_file(db, storage_dir, "old-ok", 1, b"b" * 234)]
    add_task(db, id="old-running", status=TaskStatus.PROCESSING, created_at=at(3),
             events=[(None, "queued", "create")])
    add_task(db, id="old-attention", status=TaskStatus.NEEDS_ATTENTION, created_at=at(4))
    recent = add_finished(db, 39 * 86400, id="recent-ok")
    kept_file = add_result_file(db, storage_dir, recent.id, 0, b"c" * 50)
    return [t.id for t in old], files, kept_file


@pytest.mark.asyncio
async def test_dry_run_counts_exactly_what_the_real_run_deletes(db_engine, storage_dir):
    old_ids, files, kept_file = _history(db_engine, storage_dir)
    before = task_ids(db_engine)
    preview = await cleanup_history(older_than_days=30, dry_run=True, db=db_engine, now=NOW)
    assert preview.ok, preview.message
    assert (preview.data.tasks, preview.data.events, preview.data.files,
            preview.data.bytes) == (3, 12, 2, 1234)
    assert preview.data.cutoff == NOW - timedelta(days=30)
    assert preview.message == "Would delete 3 tasks and 2 files"
    # A dry run changes nothing.
    assert task_ids(db_engine) == before and all(f.exists() for f in files)

    done = await cleanup_history(older_than_days=30, db=db_engine, now=NOW)
    assert done.ok
    assert (done.data.tasks, done.data.events, done.data.files, done.data.bytes) == (
        preview.data.tasks, preview.data.events, preview.data.files, preview.data.bytes)
    assert task_ids(db_engine) == before - set(old_ids)
    assert count(db_engine, TaskEvent, TaskEvent.task_id.in_(old_ids)) == 0
    assert count(db_engine, ResultFile, ResultFile.task_id.in_(old_ids)) == 0
    assert not any(f.exists() for f in files)
    assert kept_file.exists()
    # Nothing left to do at the same cutoff.
    again = await cleanup_history(older_than_days=30, dry_run=True, db=db_engine, now=NOW)
    assert again.data.tasks == 0


@pytest.mark.asyncio
async def test_the_retention_setting_is_the_default(db_engine, storage_dir, monkeypatch):
    from app.settings import get_settings

    _history(db_engine, storage_dir)
    monkeypatch.setenv("HISTORY_RETENTION_DAYS", "45")
    get_settings.cache_clear()
    result = await cleanup_history(dry_run=True, db=db_engine, now=NOW)
    assert (result.data.older_than_days, result.data.tasks) == (45.0, 0)
    monkeypatch.setenv("HISTORY_RETENTION_DAYS", "0.5")
    get_settings.cache_clear()
    result = await cleanup_history(dry_run=True, db=db_engine, now=NOW)
    assert result.data.tasks == 4  # recent-ok is a day old
    get_settings.cache_clear()


@pytest.mark.asyncio
async def test_no_retention_and_bad_days_are_refused_naming_the_field(db_engine, monkeypatch):
    from app.settings import get_settings

    monkeypatch.delenv("HISTORY_RETENTION_DAYS", raising=False)
    get_settings.cache_clear()
    for days in (None, 0, -1, "7", True, float("nan")):
        result = await cleanup_history(older_than_days=days, db=db_engine)
        assert result.error_kind is ErrorKind.INVALID_PARAMS, days
        assert result.field_errors[0].field == "older_than_days"


@pytest.mark.asyncio
async def test_concurrent_runs_share_the_work_without_double_counting(
        db_engine, storage_dir, monkeypatch):
    monkeypatch.setattr(cleanup_module, "BATCH_ROWS", 2)
    files = []
    for n in range(24):
        add_finished(db_engine, n, id=f"old{n:02d}")
        files.append(add_result_file(db_engine, storage_dir, f"old{n:02d}", 0, b"x" * 10))
    reports, start = [], threading.Barrier(3)

    def run():
        start.wait()
        reports.append(asyncio.run(cleanup_history(older_than_days=30, db=db_engine, now=NOW)))

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(report.ok for report in reports), [r.message for r in reports]
    assert sum(r.data.tasks for r in reports) == 24
    assert sum(r.data.events for r in reports) == 24 * 4
    assert sum(r.data.files for r in reports) == 24
    assert sum(r.data.bytes for r in reports) == 240
    assert count(db_engine, GenerationTask) == 0
    assert not any(f.exists() for f in files)


@pytest.mark.asyncio
async def test_the_periodic_loop_cleans_up(db_engine, storage_dir):
    add_finished(db_engine, 0, id="ancient")  # created in 2026-03, retention one day
    assert start_history_cleanup(None, db_engine) is None
    loop = asyncio.create_task(run_cleanup_loop(1, db_engine, interval=0.05, first_delay=0))
    try:
        for _ in range(200):
            if count(db_engine, GenerationTask) == 0:
                break
            await asyncio.sleep(0.05)
        assert count(db_engine, GenerationTask) == 0
        assert not loop.done()  # it keeps going
    finally:
        loop.cancel()


@pytest.mark.asyncio
async def test_the_runtime_starts_the_cleanup_with_the_retention_setting(monkeypatch):
    from app.engine import runtime
    from app.settings import get_settings

    started = []
    monkeypatch.setattr(runtime, "start_history_cleanup",
                        lambda days, db: started.append(days) or None)
    monkeypatch.setenv("ENGINE_ENABLED", "false")
    monkeypatch.setenv("HISTORY_RETENTION_DAYS", "30")
    get_settings.cache_clear()
    monkeypatch.setattr(runtime, "_runtime", None)
    try:
        await runtime.run_engine()
    finally:
        get_settings.cache_clear()
    assert started == [30.0]
