"""Two engines on one database (two processes, or two workers of one) share one Kie
account: together they never send more creates per window than Kie allows, and never
send one task twice."""

from __future__ import annotations

import asyncio

import pytest

from app.actions.tasks import create_generation_task
from app.engine.worker import Engine
from app.providers.kie import KieClient
from app.simulator.config import SimulatorConfig
from tests.engine.harness import FAST_RETRY, TEST_API_KEY, engine_rig, engine_settings
from tests.engine.test_rate_limit import most_in_any_window

pytestmark = pytest.mark.asyncio

TASKS = 120
LIMIT = 10
WINDOW = 1.0  # Kie's 10 s, compressed


def _count_creates(client: KieClient, counts: dict[str, int], name: str) -> None:
    create = client.create_task

    async def counted(*args, **kwargs):
        counts[name] += 1
        return await create(*args, **kwargs)

    client.create_task = counted


async def test_two_engines_spend_one_budget_between_them(db_engine):
    config = SimulatorConfig(time_scale=0.01, seed=21, rate_limit_creates=LIMIT,
                             rate_limit_window_seconds=WINDOW)
    limits = dict(rate_limit_creates=LIMIT, rate_limit_window_seconds=WINDOW)
    async with engine_rig(db_engine, config, start=False, **limits) as rig:
        # A second engine, as another Atelier process would run it: own limiter, own
        # client, same database and same Kie account.
        other_client = KieClient(TEST_API_KEY, rig.sim.base_url, rig.sim.base_url,
                                 timeout=2.0, retry=FAST_RETRY)
        other = Engine(engine_settings(**limits), other_client, db_engine, time_scale=0.01)
        sent = {"first": 0, "second": 0}
        _count_creates(rig.engine.client, sent, "first")
        _count_creates(other_client, sent, "second")
        for index in range(TASKS):
            result = await create_generation_task("imagen4", {"prompt": f"shared {index}"},
                                                  db=db_engine)
            assert result.ok, result.message
        rig.start()
        other_run = asyncio.create_task(other.run())
        try:
            await rig.wait_until(lambda tasks: all(t.status.is_terminal for t in tasks),
                                 timeout=TASKS / LIMIT * WINDOW * 3 + 20)
        finally:
            await other.stop()
            await asyncio.wait_for(other_run, 10)
            await other_client.aclose()

        sim = rig.sim.state
        # Every create reached Kie once and none was refused (a 429 makes no task).
        assert sim.create_calls == len(sim.tasks) == TASKS
        arrivals = [task.created_at for task in sim.tasks.values()]
        assert most_in_any_window(arrivals, WINDOW - 0.002) <= LIMIT
        # Both engines did submit: the budget was shared, not won by one.
        assert sent["first"] > 0 and sent["second"] > 0, sent
        assert sent["first"] + sent["second"] == TASKS
