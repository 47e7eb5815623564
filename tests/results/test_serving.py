"""Serving mirrored files, what TaskPublic tells the UI about them, and removing them."""

from __future__ import annotations

import os
import time
from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from app.results.mirror import mirror_task
from app.results.sources import guarded_client
from app.results.storage import remove_task_files, results_root, sweep_orphans
from app.store.models import GenerationTask
from app.store.status import TaskStatus
from app.store.views import TaskPublic
from tests.results.support import (
    PNG, file_host, files_in, mirror_config, result_rows, results_server, succeeded_task,
)

pytestmark = pytest.mark.asyncio


async def _mirrored_task(db, storage, host, paths=("/png", "/html-as-png")) -> str:
    task_id = succeeded_task(db, [host.url(p) for p in paths])
    config = mirror_config(storage, host)
    async with guarded_client(config.exempt) as http:
        await mirror_task(task_id, db=db, http=http, config=config)
    return task_id


async def test_a_mirrored_file_is_served_whole_in_ranges_and_nothing_else(db_engine, tmp_path):
    storage = tmp_path / "files"
    with file_host() as host:
        task_id = await _mirrored_task(db_engine, storage, host)  # 0 mirrored, 1 refused
    with results_server(db_engine, storage) as base:
        async with httpx.AsyncClient(base_url=base) as client:
            whole = await client.get(f"/api/results/{task_id}/0")
            assert whole.status_code == 200 and whole.content == PNG
            assert whole.headers["content-type"] == "image/png"
            assert whole.headers["content-length"] == str(len(PNG))
            assert whole.headers["x-content-type-options"] == "nosniff"
            part = await client.get(f"/api/results/{task_id}/0", headers={"Range": "bytes=100-199"})
            assert part.status_code == 206 and part.content == PNG[100:200]
            head = await client.head(f"/api/results/{task_id}/0")
            assert head.status_code == 200 and head.headers["content-length"] == str(len(PNG))

            for path in (f"/api/results/{task_id}/1",        # refused: no copy
                         f"/api/results/{task_id}/2",        # no such result
                         f"/api/results/{task_id}/abc", f"/api/results/{task_id}/-1",
                         f"/api/results/{task_id}/%C2%B2",   # a digit, but not 0-9
                         "/api/results/nosuchtask/0",
                         "/api/results/..%2F..%2Fetc/0", "/api/results/x/..%2F..%2Fpasswd",
                         f"/api/results/{'a' * 500}/0"):
                answer = await client.get(path)
                assert answer.status_code == 404, path

            # The row says mirrored but the file is gone: 404, not a crash.
            [row] = [r for r in result_rows(db_engine, task_id) if r.storage_path]
            (storage / row.storage_path).unlink()
            assert (await client.get(f"/api/results/{task_id}/0")).status_code == 404


async def test_the_ownership_seam_can_hide_a_result(db_engine, tmp_path):
    class OnlyAlice:
        def may_read(self, owner_id):
            return owner_id == "alice"

    storage = tmp_path / "files"
    with file_host() as host:
        task_id = await _mirrored_task(db_engine, storage, host, paths=("/png",))
    with results_server(db_engine, storage, access=OnlyAlice()) as base:
        assert httpx.get(f"{base}/api/results/{task_id}/0").status_code == 404
        with Session(db_engine) as session:
            session.execute(sa.update(GenerationTask).where(GenerationTask.id == task_id)
                            .values(owner_id="alice"))
            session.commit()
        assert httpx.get(f"{base}/api/results/{task_id}/0").content == PNG


async def test_task_public_shows_copies_and_expiry_with_one_query_per_page(db_engine, tmp_path):
    storage = tmp_path / "files"
    with file_host() as host:
        mirrored = await _mirrored_task(db_engine, storage, host)
        untried = succeeded_task(db_engine, [host.url("/png")])
    queued = succeeded_task(db_engine, [], status=TaskStatus.QUEUED, completed_at=None)
    with Session(db_engine, expire_on_commit=False) as session:
        tasks = list(session.exec(select(GenerationTask).order_by(GenerationTask.created_at)))
        statements: list[str] = []

        def count(connection, cursor, statement, *args):
            statements.append(statement)

        sa.event.listen(db_engine, "before_cursor_execute", count)
        try:
            page = {view.id: view for view in TaskPublic.of_many(session, tasks)}
        finally:
            sa.event.remove(db_engine, "before_cursor_execute", count)
    assert len(statements) == 1, statements

    shown = page[mirrored]
    copy, refused = shown.results
    assert (copy.url, copy.mirrored, copy.mirror_state) == (
        f"/api/results/{mirrored}/0", True, "mirrored")
    assert copy.provider_url == host.url("/png") and copy.mime_type == "image/png"
    assert (refused.url, refused.mirrored, refused.mirror_state) == (
        host.url("/html-as-png"), False, "refused")
    assert "image" in refused.mirror_detail
    task = next(t for t in tasks if t.id == mirrored)
    assert shown.provider_expires_at == task.completed_at + timedelta(days=14)
    assert [(r.url, r.mirror_state) for r in page[untried].results] == [(host.url("/png"), None)]
    assert page[queued].results == [] and page[queued].provider_expires_at is None
    # Existing callers, without the rows: provider URLs, still valid.
    alone = TaskPublic.of(task)
    assert [r.url for r in alone.results] == task.result_urls and alone.result_urls == task.result_urls


async def test_deleting_a_task_can_remove_its_files_and_leftovers_are_swept(db_engine, tmp_path):
    storage = tmp_path / "files"
    with file_host() as host:
        doomed = await _mirrored_task(db_engine, storage, host, paths=("/png", "/png-octet"))
        kept = await _mirrored_task(db_engine, storage, host, paths=("/png",))
    assert len(files_in(storage)) == 3
    assert remove_task_files([doomed], db_engine, storage) == 2
    assert remove_task_files([doomed], db_engine, storage) == 0  # already gone: fine
    [survivor] = files_in(storage)
    assert survivor == storage / result_rows(db_engine, kept)[0].storage_path

    # A file no row names (a crash between storing and recording): an operator's
    # sweep removes it once old.
    orphan = results_root(storage) / "ab" / "orphan.png"
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(PNG)
    assert sweep_orphans(db_engine, storage, older_than_seconds=3600) == 0  # young
    os.utime(orphan, (time.time() - 7200, time.time() - 7200))
    assert sweep_orphans(db_engine, storage, older_than_seconds=3600) == 1
    assert files_in(storage) == [survivor]
