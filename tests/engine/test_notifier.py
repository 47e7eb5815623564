"""Changes reach every listener: in one process at once, across processes over Redis."""

from __future__ import annotations

import asyncio
import socket

import pytest

from app.engine.notifier import Notifier, TaskChange

pytestmark = pytest.mark.asyncio

REDIS_URL = "redis://127.0.0.1:6379/0"


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


async def _next(queue: asyncio.Queue, timeout: float = 5.0) -> TaskChange:
    return await asyncio.wait_for(queue.get(), timeout)


async def test_every_local_listener_hears_each_change_once():
    notifier = Notifier()
    async with notifier.listen() as first, notifier.listen() as second:
        notifier.publish(TaskChange("t1", "succeeded", finished=True))
        for queue in (first, second):
            change = await _next(queue)
            assert (change.task_id, change.status, change.finished) == ("t1", "succeeded", True)
            assert queue.empty()
    assert notifier.listener_count == 0


@pytest.mark.skipif(not _redis_up(), reason="Redis at 127.0.0.1:6379 is not reachable")
async def test_a_change_in_one_process_reaches_listeners_of_another_over_redis():
    # Two notifiers stand for two Atelier processes sharing one Redis.
    here, there = Notifier(), Notifier()
    await here.connect_redis(REDIS_URL)
    await there.connect_redis(REDIS_URL)
    try:
        async with here.listen() as local, there.listen() as remote:
            here.publish(TaskChange("t2", "processing"))
            assert (await _next(remote)).task_id == "t2"
            assert (await _next(local)).task_id == "t2"
            await asyncio.sleep(0.2)
            assert local.empty(), "its own change is not delivered twice"
            assert remote.empty()
    finally:
        await here.close()
        await there.close()
