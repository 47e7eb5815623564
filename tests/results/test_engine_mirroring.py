"""End to end: the engine follows tasks on the simulator, its mirror keeps their results,
and Atelier's own API serves them byte for byte."""

from __future__ import annotations

import asyncio
import hashlib

import httpx
import pytest

from app.actions.tasks import create_generation_task
from app.engine.notifier import notifier
from app.engine.worker import Engine
from app.providers.kie import KieClient
from app.results.links import result_path
from app.store.models import ResultState
from app.store.status import TaskStatus
from tests.engine.harness import atelier_callback_route, engine_rig, engine_settings
from tests.results.support import files_in, result_rows

pytestmark = pytest.mark.asyncio

REQUESTS = [  # one of each kind; Midjourney makes 4 images, Suno 2 songs
    ("midjourney-generate", {"prompt": "a jet over the sea"}, "image/"),
    ("suno", {"prompt": "a calm song about the sea"}, "audio/"),
    ("sora2", {"prompt": "waves at night"}, "video/"),
]


async def test_results_are_mirrored_and_served_byte_identical(db_engine, database_url, tmp_path,
                                                              monkeypatch):
    storage = tmp_path / "files"
    monkeypatch.setenv("STORAGE_DIR", str(storage))  # read by the served API below
    # The tasks have no owner: single-user mode, where the one person reads them all.
    monkeypatch.setenv("SINGLE_USER", "true")
    async with engine_rig(db_engine, storage_dir=storage, mirror_results=True) as rig, \
            notifier.listen() as changes:
        kinds = {}
        for api_type, params, kind in REQUESTS:
            created = await create_generation_task(api_type, params, db=db_engine)
            assert created.ok, created.message
            kinds[created.data.id] = kind

        def all_kept(tasks) -> bool:
            return len(tasks) == len(REQUESTS) and all(
                t.status is TaskStatus.SUCCEEDED
                and len(result_rows(db_engine, t.id)) == len(t.result_urls) for t in tasks)

        await rig.wait_until(all_kept, timeout=90)
        tasks = rig.tasks()
        # Open pages hear of each task's copies (after its end), and show them.
        await asyncio.sleep(0.2)
        heard = [changes.get_nowait() for _ in range(changes.qsize())]
        assert {c.task_id for c in heard if c.status == "succeeded" and not c.finished} == set(kinds)
        assert sum(len(t.result_urls) for t in tasks) == 4 + 2 + 1

        with atelier_callback_route(database_url, rig.engine) as base:
            async with httpx.AsyncClient() as client:  # no bearer token: <img> sends none
                for task in tasks:
                    for row in result_rows(db_engine, task.id):
                        assert row.state is ResultState.MIRRORED, row.detail
                        assert row.source_url == task.result_urls[row.position]
                        served = await client.get(base + result_path(task.id, row.position))
                        original = await client.get(row.source_url)
                        assert served.status_code == 200 and original.status_code == 200
                        assert served.content == original.content
                        assert hashlib.sha256(served.content).hexdigest() == row.sha256
                        assert served.headers["content-type"].startswith(kinds[task.id])
    assert len(files_in(storage)) == 7
    assert not any(t.lease_owner for t in rig.tasks()), "leases handed back on stop"


async def test_mirroring_can_be_switched_off(db_engine):
    client = KieClient("key", "http://127.0.0.1:9", "http://127.0.0.1:9")
    try:
        assert Engine(engine_settings(mirror_results=False), client, db_engine).mirror is None
        engine = Engine(engine_settings(mirror_results=True), client, db_engine)
        assert engine.mirror is not None
        # The provider's own origin may be on loopback (the simulator); nothing else may.
        assert engine.mirror.config.exempt == {("http", "127.0.0.1", 9)}
    finally:
        await client.aclose()
