"""The background loop: resumes after a restart, never mirrors a task twice, claims
only what still needs work."""

from __future__ import annotations

import asyncio
import os
import time
from datetime import timedelta

import pytest
from sqlmodel import Session

from app.results import claims
from app.results import loop as loop_module
from app.results.loop import ResultMirror
from app.results.storage import PARTIAL_DIR, results_root
from app.store.models import GenerationTask, ResultFile, ResultState, utcnow
from app.store.status import TaskStatus
from tests.results.support import (
    PNG, file_host, files_in, mirror_config, old, result_rows, succeeded_task, task_row,
)

pytestmark = pytest.mark.asyncio


async def _until(predicate, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


def _mirror(config, db, owner: str, **options) -> ResultMirror:
    options = {"concurrency": 2, "lease_seconds": 1.0, "rescan_seconds": 0.05} | options
    return ResultMirror(config, db, owner=owner, **options)


async def _stop(mirror: ResultMirror, runner: asyncio.Task) -> None:
    await mirror.stop()
    await asyncio.wait_for(runner, 10)


@pytest.mark.parametrize("how", ["crash", "graceful stop"])
async def test_a_restart_mid_way_resumes_where_it_stopped(db_engine, tmp_path, monkeypatch, how):
    storage = tmp_path / "files"
    with file_host() as host:
        urls = [host.url("/n/first.png"), host.url("/slow"), host.url("/n/third.png")]
        task_id = succeeded_task(db_engine, urls)
        config = mirror_config(storage, host)

        first = _mirror(config, db_engine, "first")
        runner = asyncio.create_task(first.run())
        # Position 0 is stored; position 1 is half downloaded.
        await _until(lambda: len(result_rows(db_engine, task_id)) == 1 and host.hits["/slow"])
        await _until(lambda: any((results_root(storage) / PARTIAL_DIR).iterdir()))
        if how == "crash":
            # A process that dies hands nothing back: its lease must lapse.
            monkeypatch.setattr(loop_module.claims, "release", lambda *args, **kwargs: 0)
        await _stop(first, runner)
        monkeypatch.undo()
        assert not any((results_root(storage) / PARTIAL_DIR).iterdir()), "no half file left"
        held_by = task_row(db_engine, task_id).lease_owner
        assert held_by == ("first" if how == "crash" else None)
        # What a crash mid-download leaves on disk: swept when the next process starts.
        stale = results_root(storage) / PARTIAL_DIR / "dead.part"
        stale.write_bytes(PNG[:100])
        os.utime(stale, (time.time() - 86400, time.time() - 86400))

        host.release_slow.set()
        second = _mirror(config, db_engine, "second")
        runner = asyncio.create_task(second.run())
        await _until(lambda: len(result_rows(db_engine, task_id)) == 3)
        await _stop(second, runner)

    rows = result_rows(db_engine, task_id)
    assert [(r.position, r.state) for r in rows] == [(i, ResultState.MIRRORED) for i in range(3)]
    assert host.hits["/n/first.png"] == 1, "what was done is not done again"
    assert host.hits["/slow"] == 2  # cut off once, then whole
    assert all((storage / r.storage_path).read_bytes() == PNG for r in rows)
    assert files_in(storage) == sorted(storage / r.storage_path for r in rows)
    assert task_row(db_engine, task_id).lease_owner is None


async def test_two_processes_never_mirror_the_same_task_twice(db_engine, tmp_path):
    storage = tmp_path / "files"
    with file_host() as host:
        tasks = [succeeded_task(db_engine, [host.url(f"/n/{i}-{j}.png") for j in range(2)])
                 for i in range(8)]
        config = mirror_config(storage, host)
        mirrors = [_mirror(config, db_engine, owner, concurrency=3) for owner in ("a", "b")]
        runners = [asyncio.create_task(m.run()) for m in mirrors]
        for mirror in mirrors:
            mirror.wake()
        await _until(lambda: len(result_rows(db_engine)) == 16)
        for mirror, runner in zip(mirrors, runners):
            await _stop(mirror, runner)
    rows = result_rows(db_engine)
    assert {(r.task_id, r.position) for r in rows} == {(t, j) for t in tasks for j in range(2)}
    assert all(r.state is ResultState.MIRRORED for r in rows)
    assert sorted(host.hits.values()) == [1] * 16, "each file was downloaded once"
    assert len(files_in(storage)) == 16


async def test_only_succeeded_recent_unfinished_unleased_tasks_are_claimed(db_engine):
    url = "http://files.example/a.png"
    wanted = succeeded_task(db_engine, [url, url])
    half_done = succeeded_task(db_engine, [url, url])
    succeeded_task(db_engine, [])                                  # nothing to keep
    succeeded_task(db_engine, [url], completed_at=old(15))         # Kie deleted it
    succeeded_task(db_engine, [url], status=TaskStatus.FAILED)     # not a success
    done = succeeded_task(db_engine, [url])
    leased = succeeded_task(db_engine, [url], lease_owner="other",
                            lease_expires_at=utcnow() + timedelta(minutes=1))
    lapsed = succeeded_task(db_engine, [url], lease_owner="dead",
                            lease_expires_at=utcnow() - timedelta(seconds=1))
    with Session(db_engine) as session:
        session.add(ResultFile(task_id=half_done, position=0, source_url=url,
                               state=ResultState.FAILED, detail="x"))
        session.add(ResultFile(task_id=done, position=0, source_url=url,
                               state=ResultState.REFUSED, detail="x"))
        session.commit()
        claimed = claims.claim_unmirrored(session, "me", 30, 14, limit=10)
        assert sorted(claimed) == sorted([wanted, half_done, lapsed])
        assert claims.claim_unmirrored(session, "you", 30, 14, limit=10) == []
        assert claims.release(session, "me") == 3
    assert task_row(db_engine, wanted).lease_owner is None


async def test_mirroring_waits_while_tasks_wait_to_be_sent(db_engine, tmp_path):
    storage = tmp_path / "files"
    with file_host() as host:
        fresh = succeeded_task(db_engine, [host.url("/n/fresh.png")])
        overdue = succeeded_task(db_engine, [host.url("/n/overdue.png")],
                                 completed_at=utcnow() - timedelta(minutes=20))
        waiting = succeeded_task(db_engine, [], status=TaskStatus.QUEUED, completed_at=None)
        mirror = _mirror(mirror_config(storage, host), db_engine, "m")
        runner = asyncio.create_task(mirror.run())
        # A queue to send: only a copy deferred too long is made.
        await _until(lambda: len(result_rows(db_engine)) == 1)
        await asyncio.sleep(0.3)
        assert [r.task_id for r in result_rows(db_engine)] == [overdue]
        # The queue drained: the rest follows.
        with Session(db_engine) as session:
            session.get(GenerationTask, waiting).status = TaskStatus.CANCELED
            session.commit()
        mirror.wake()
        await _until(lambda: len(result_rows(db_engine)) == 2)
        await _stop(mirror, runner)
    assert host.hits["/n/fresh.png"] == 1 and fresh in {r.task_id for r in result_rows(db_engine)}
