"""The engine drives created tasks to the simulator's true final state."""

from __future__ import annotations

import pytest

from app.actions.tasks import create_generation_task
from app.simulator.config import SimulatorConfig
from app.store.status import TaskStatus
from tests.engine.harness import engine_rig

pytestmark = pytest.mark.asyncio


def _all_terminal(tasks) -> bool:
    return bool(tasks) and all(t.status.is_terminal for t in tasks)


async def test_created_tasks_reach_their_true_final_state(db_engine):
    config = SimulatorConfig(time_scale=0.01, seed=3, failure_rate=0.3)
    async with engine_rig(db_engine, config) as rig:
        for index in range(12):
            result = await create_generation_task(
                "imagen4", {"prompt": f"a lighthouse number {index}"}, db=db_engine)
            assert result.ok, result.message
        await rig.wait_until(_all_terminal)
        tasks = rig.tasks()
        assert rig.sim.state.create_calls == 12  # each submitted exactly once
        for task in tasks:
            remote = rig.sim.state.tasks[task.provider_task_id]
            expected = TaskStatus.FAILED if remote.failure else TaskStatus.SUCCEEDED
            assert task.status == expected
            if expected is TaskStatus.SUCCEEDED:
                assert task.result_urls, "a succeeded task shows its results"
            else:
                assert task.fail_message
        assert any(t.status is TaskStatus.FAILED for t in tasks)
        assert any(t.status is TaskStatus.SUCCEEDED for t in tasks)


async def test_a_graceful_stop_lets_creates_finish_and_hands_leases_back(db_engine):
    # Every answer takes 0.4 s: the stop lands while creates are on the wire.
    config = SimulatorConfig(time_scale=1.0, seed=4, latency_ms=400)
    async with engine_rig(db_engine, config, rate_limit_creates=100) as rig:
        for index in range(3):
            result = await create_generation_task(
                "imagen4", {"prompt": f"a quiet harbour {index}"}, db=db_engine)
            assert result.ok, result.message
        await rig.wait_until(lambda tasks: all(t.status is TaskStatus.SUBMITTING for t in tasks))
        await rig.stop()
        tasks = rig.tasks()
        # Their answers were awaited, not abandoned: no unknown outcome was made.
        assert all(t.status is TaskStatus.PENDING and t.provider_task_id for t in tasks)
        assert rig.sim.state.create_calls == 3
        assert not any(t.lease_owner for t in tasks), "another engine may take over at once"
