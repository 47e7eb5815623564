"""An engine wired to a real simulator over loopback and a real database, for tests."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlmodel import Session, select

from app.engine import runtime as runtime_module
from app.engine.worker import Engine
from app.providers.kie import KieClient, RetryPolicy
from app.settings import Settings, get_settings
from app.simulator.config import SimulatorConfig
from app.simulator.testing import RunningSimulator, running_simulator, serving_app_sync
from app.store.db import get_engine
from app.store.models import GenerationTask, TaskEvent

FAST_RETRY = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05)
TEST_API_KEY = "test-key"


def engine_settings(**overrides) -> Settings:
    values = dict(kie_api_key=TEST_API_KEY, engine_tick_seconds=0.05, lease_seconds=2.0,
                  poll_min_interval_seconds=0.05, poll_max_interval_seconds=1.0,
                  kie_request_timeout_seconds=2.0, task_deadline_minutes=5,
                  # The engine alone: mirroring has its own tests (tests/results/).
                  mirror_results=False)
    values.update(overrides)
    return Settings(**values)


@dataclass
class EngineRig:
    engine: Engine
    sim: RunningSimulator
    db: sa.Engine
    client: KieClient
    runner: asyncio.Task | None = None
    callback_url: str | None = None
    _stopped: bool = field(default=False, repr=False)

    def start(self) -> None:
        """Start the engine's loop (for rigs made with start=False)."""
        assert self.runner is None, "already started"
        self.runner = asyncio.create_task(self.engine.run())

    async def stop(self) -> None:
        if self.runner is not None and not self._stopped:
            self._stopped = True
            await self.engine.stop()
            await asyncio.wait_for(self.runner, 10)

    def tasks(self) -> list[GenerationTask]:
        with Session(self.db) as session:
            return list(session.exec(select(GenerationTask)).all())

    def events(self, task_id: str) -> list[TaskEvent]:
        with Session(self.db) as session:
            return list(session.exec(select(TaskEvent).where(TaskEvent.task_id == task_id)
                                     .order_by(TaskEvent.id)).all())

    async def wait_until(self, predicate, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self.tasks()):
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"condition not met within {timeout}s: "
                             f"{sorted((t.status.value for t in self.tasks()))}")


@contextlib.contextmanager
def atelier_callback_route(database_url: str, engine: Engine | None,
                           hmac_key: str | None = None) -> Iterator[str]:
    """Serve Atelier's real API (`app.api.routes.build_api`, callback route included)
    on loopback, wired to this test's database and engine; yields its base URL.

    The route reads process-wide settings and runtime: they are pointed at the test's
    database for the duration and restored afterwards.
    """
    from app.api.routes import build_api

    names = {"DATABASE_URL": database_url, "KIE_API_KEY": TEST_API_KEY,
             "KIE_WEBHOOK_HMAC_KEY": hmac_key or ""}
    saved = {name: os.environ.get(name) for name in names}
    saved_runtime = runtime_module._runtime
    os.environ.update(names)
    get_settings.cache_clear()
    get_engine.cache_clear()
    try:
        settings = get_settings()
        runtime_module._runtime = runtime_module.Runtime(
            settings=settings, client=engine.client if engine else None, engine=engine)
        with serving_app_sync(build_api()) as base_url:
            yield base_url
    finally:
        runtime_module._runtime = saved_runtime
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        get_engine().dispose()
        get_engine.cache_clear()
        get_settings.cache_clear()


@contextlib.asynccontextmanager
async def engine_rig(db: sa.Engine, sim_config: SimulatorConfig | None = None,
                     callbacks: bool = False, start: bool = True, *,
                     database_url: str | None = None, hmac_key: str | None = None,
                     engine_time_scale: float | None = None, client_timeout: float = 2.0,
                     **setting_overrides) -> AsyncIterator[EngineRig]:
    """`callbacks=True` serves Atelier's callback route (needs `database_url`) and
    tells the simulator to call it. `engine_time_scale` scales the engine's duration
    priors (default: the simulator's time scale, so polling alone is well aimed)."""
    sim_config = sim_config or SimulatorConfig(time_scale=0.01, seed=7)
    async with running_simulator(sim_config) as sim:
        settings = engine_settings(**setting_overrides)
        client = KieClient(TEST_API_KEY, sim.base_url, sim.base_url, timeout=client_timeout,
                           retry=FAST_RETRY)
        scale = sim_config.time_scale if engine_time_scale is None else engine_time_scale
        engine = Engine(settings, client, db, time_scale=scale, callback_base_url=None)
        rig = EngineRig(engine=engine, sim=sim, db=db, client=client)
        with contextlib.ExitStack() as stack:
            if callbacks:
                assert database_url, "callbacks need the database URL for Atelier's route"
                base = stack.enter_context(atelier_callback_route(database_url, engine, hmac_key))
                engine.callback_base_url = base
                rig.callback_url = base
            if start:
                rig.start()
            try:
                yield rig
            finally:
                await rig.stop()
                await client.aclose()
