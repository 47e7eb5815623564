"""Tells every interested listener (browser sessions, tests) that a task changed.

In-process fan-out by default; with `REDIS_URL` set, changes also travel over Redis
pub/sub so browsers attached to another Atelier process hear them too. A change is a
small record (task id, status, owner): listeners read the row itself from the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass

logger = logging.getLogger("atelier.notifier")

CHANNEL = "atelier:task-changes"
QUEUE_SIZE = 1000


@dataclass(frozen=True)
class TaskChange:
    task_id: str
    status: str
    owner_id: str | None = None
    # True when the task just reached a terminal status (toast-worthy).
    finished: bool = False
    origin: str = ""


class Notifier:
    def __init__(self) -> None:
        self._listeners: set[asyncio.Queue[TaskChange]] = set()
        self._origin = f"{os.getpid()}-{id(self)}"
        self._redis = None
        self._redis_task: asyncio.Task | None = None

    # --- publishing -------------------------------------------------------------
    def publish(self, change: TaskChange) -> None:
        """Deliver locally at once; forward to Redis when connected. Never blocks."""
        self._deliver_locally(change)
        if self._redis is not None:
            payload = json.dumps(asdict(change) | {"origin": self._origin})
            task = asyncio.get_running_loop().create_task(self._redis.publish(CHANNEL, payload))
            task.add_done_callback(_log_failure)

    def _deliver_locally(self, change: TaskChange) -> None:
        for queue in list(self._listeners):
            try:
                queue.put_nowait(change)
            except asyncio.QueueFull:
                # A stalled listener loses detail, not correctness: it re-reads rows.
                pass

    # --- listening --------------------------------------------------------------
    @contextlib.asynccontextmanager
    async def listen(self) -> AsyncIterator[asyncio.Queue[TaskChange]]:
        queue: asyncio.Queue[TaskChange] = asyncio.Queue(maxsize=QUEUE_SIZE)
        self._listeners.add(queue)
        try:
            yield queue
        finally:
            self._listeners.discard(queue)

    @property
    def listener_count(self) -> int:
        return len(self._listeners)

    # --- Redis bridge -----------------------------------------------------------
    async def connect_redis(self, url: str) -> None:
        import redis.asyncio as redis

        self._redis = redis.from_url(url)
        pubsub = self._redis.pubsub()
        # Subscribed before this returns: no change published afterwards is missed.
        await pubsub.subscribe(CHANNEL)
        self._redis_task = asyncio.get_running_loop().create_task(self._relay_from_redis(pubsub))

    async def _relay_from_redis(self, pubsub) -> None:
        try:
            async for message in pubsub.listen():
                if message.get("type") != "message":
                    continue
                data = json.loads(message["data"])
                if data.get("origin") == self._origin:
                    continue  # already delivered locally
                self._deliver_locally(TaskChange(**data))
        finally:
            await pubsub.aclose()

    async def close(self) -> None:
        if self._redis_task is not None:
            self._redis_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._redis_task
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None


def _log_failure(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.warning("could not publish a task change to Redis: %s", task.exception())


# One per process: the engine, the actions and the pages share it.
notifier = Notifier()
