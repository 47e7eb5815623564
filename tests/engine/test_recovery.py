"""SIGKILL an engine mid-flight, start another: nothing is lost, nothing is paid twice.

The engine runs as its own process (`python -m app.engine`), exactly as it does in
production, against a simulator on loopback and a real database. It is killed while
creates are in flight, some tasks are already running at Kie and others still wait
in the queue. A second engine takes over from what the database says.

ATELIER_RECOVERY_TASKS sets the number of tasks (60 by default; the benchmark runs 500).
"""

from __future__ import annotations

import asyncio
import collections
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from app.actions.tasks import create_generation_task
from app.settings import PROJECT_ROOT, Settings
from app.simulator.config import SimulatorConfig
from app.simulator.testing import RunningSimulator, running_simulator_sync
from app.store.models import GenerationTask, utcnow
from app.store.status import TaskStatus

TASKS = int(os.environ.get("ATELIER_RECOVERY_TASKS", "60"))
LIMIT, WINDOW = 20, 1.0
LEASE_SECONDS, REQUEST_TIMEOUT = 1.0, 2.0
STOP_TIMEOUT = 10.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _engine_env(database_url: str, sim: RunningSimulator) -> dict[str, str]:
    # Nothing from this machine's own Atelier settings leaks into the engine under test.
    own = {name.upper() for name in Settings.model_fields}
    env = {key: value for key, value in os.environ.items() if key not in own}
    env.update(
        DATABASE_URL=database_url, KIE_API_KEY="test-key",
        KIE_BASE_URL=sim.base_url, KIE_UPLOAD_BASE_URL=sim.base_url,
        LEASE_SECONDS=str(LEASE_SECONDS), KIE_REQUEST_TIMEOUT_SECONDS=str(REQUEST_TIMEOUT),
        ENGINE_TICK_SECONDS="0.05", POLL_MIN_INTERVAL_SECONDS="0.1",
        POLL_MAX_INTERVAL_SECONDS="1.0", TASK_DEADLINE_MINUTES="5",
        RATE_LIMIT_CREATES=str(LIMIT), RATE_LIMIT_WINDOW_SECONDS=str(WINDOW),
        PYTHONUNBUFFERED="1",
        # The engine alone (mirroring has its own tests), and nothing written to ./data.
        MIRROR_RESULTS="false",
    )
    return env


class EngineProcess:
    """One `python -m app.engine` child, its output kept in a log file."""

    def __init__(self, env: dict[str, str], log: Path, args: list[str]) -> None:
        self.log = log
        self._out = log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "app.engine", *args], cwd=PROJECT_ROOT, env=env,
            stdout=self._out, stderr=subprocess.STDOUT,
        )

    def tail(self, lines: int = 30) -> str:
        self._out.flush()
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(5)
        self._out.close()

    def terminate(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(STOP_TIMEOUT)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait(5)
            self._out.close()

    def assert_alive(self) -> None:
        assert self.process.poll() is None, f"engine exited early:\n{self.tail()}"


def _tasks(db: sa.Engine) -> list[GenerationTask]:
    with Session(db) as session:
        return list(session.exec(select(GenerationTask)).all())


def _wait(condition, timeout: float, what: str, engine: EngineProcess) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        engine.assert_alive()
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {timeout}s; engine log:\n{engine.tail()}")
        time.sleep(0.02)


def _true_status(sim_task) -> TaskStatus:
    return TaskStatus.FAILED if sim_task.failure else TaskStatus.SUCCEEDED


async def _create_all(db: sa.Engine) -> None:
    for index in range(TASKS):
        result = await create_generation_task("imagen4", {"prompt": f"recovery {index}"}, db=db)
        assert result.ok, result.message


@pytest.mark.parametrize("callbacks", [True, False], ids=["callbacks", "polling"])
def test_a_killed_engine_loses_nothing_and_pays_nothing_twice(
        db_engine, database_url, tmp_path, callbacks):
    # Kie makes each task at once but its answer takes 0.5 s to come back: the kill
    # lands while Kie holds tasks whose ids this side has not heard yet. With
    # callbacks, tasks run longer than an engine takes to restart, so Kie's callbacks
    # for those find the second engine listening.
    config = SimulatorConfig(time_scale=0.5 if callbacks else 0.05, seed=31,
                             failure_rate=0.3, timeout_rate=1.0, timeout_sleep_seconds=0.5,
                             rate_limit_creates=LIMIT, rate_limit_window_seconds=WINDOW)
    with running_simulator_sync(config) as sim:
        asyncio.run(_create_all(db_engine))
        env = _engine_env(database_url, sim)
        args = ["--time-scale", str(config.time_scale)]
        if callbacks:
            args += ["--serve-port", str(_free_port())]

        first = EngineProcess(env, tmp_path / "engine-1.log", args)
        counts: collections.Counter = collections.Counter()

        def mid_flight() -> bool:
            tasks = _tasks(db_engine)
            counts.clear()
            counts.update(t.status for t in tasks)
            counts["sent"] = sum(1 for t in tasks if t.provider_task_id)
            # A later wave of creates out long enough for Kie to have made the tasks
            # (their answers still on the way), an earlier wave running at Kie, and
            # tasks still waiting for their turn.
            made_at_kie = utcnow() - timedelta(seconds=0.2)
            on_the_wire = [t for t in tasks if t.status is TaskStatus.SUBMITTING]
            return (bool(on_the_wire) and all(t.updated_at < made_at_kie for t in on_the_wire)
                    and counts[TaskStatus.QUEUED] > 0 and counts["sent"] >= min(LIMIT, TASKS // 3))

        _wait(mid_flight, 30, "creates in flight, others sent and others queued", first)
        first.kill()
        interrupted = {t.id for t in _tasks(db_engine) if t.status is TaskStatus.SUBMITTING}
        assert interrupted, "the kill cut creates off mid-request"

        second = EngineProcess(env, tmp_path / "engine-2.log", args)

        def settled() -> bool:
            tasks = _tasks(db_engine)
            done = all(t.status.is_terminal or t.status is TaskStatus.NEEDS_ATTENTION
                       for t in tasks)
            # Callbacks still on their way could reconcile a task: wait for them too.
            return done and not sim.state.background

        # The queue drains at the rate limit; then the longest task runs out.
        _wait(settled, 30 + TASKS / LIMIT * WINDOW * 2, "every task settled", second)
        exit_code = second.terminate()
        assert exit_code == 0, f"SIGTERM must stop the engine cleanly:\n{second.tail()}"

    tasks = _tasks(db_engine)
    by_prompt: dict[str, list] = collections.defaultdict(list)
    for sim_task in sim.state.tasks.values():
        by_prompt[sim_task.prompt].append(sim_task)
    assert len(tasks) == TASKS, "none lost"
    endings: collections.Counter = collections.Counter()
    for task in tasks:
        remote = by_prompt.get(task.prompt, [])
        assert len(remote) <= 1, f"{task.prompt!r} sent to Kie {len(remote)} times"
        if task.provider_task_id:
            assert [r.task_id for r in remote] == [task.provider_task_id]
            assert task.status is _true_status(remote[0]), task.prompt
            endings[task.status.value] += 1
            continue
        # No id: only a create the kill cut off, and it waits for a person.
        assert task.id in interrupted, f"{task.prompt!r} ({task.status.value}) has no Kie id"
        assert task.status is TaskStatus.NEEDS_ATTENTION
        assert task.fail_code == "unknown_outcome" and task.fail_message
        if remote and callbacks:
            # Kie has it: its callback must have found no engine listening.
            deliveries = [c for c in sim.state.callbacks_sent if c.task_id == remote[0].task_id]
            assert deliveries and all(c.status_code is None for c in deliveries), task.prompt
        endings["needs_attention (Kie has it)" if remote else "needs_attention"] += 1

    reconciled = sum(1 for t in tasks if t.id in interrupted and t.provider_task_id)
    finished_at_kill = counts[TaskStatus.SUCCEEDED] + counts[TaskStatus.FAILED]
    print(f"\nrecovery ({'callbacks' if callbacks else 'polling'}), {TASKS} tasks: at the kill "
          f"{counts['sent']} sent ({finished_at_kill} finished), {len(interrupted)} mid-request, "
          f"{counts[TaskStatus.QUEUED]} queued; after: {dict(endings)}; "
          f"{reconciled} of the cut-off creates reconciled")
    # Every create that reached Kie made exactly one task, each known by its id here
    # or waiting for a person.
    assert sim.state.create_calls == len(sim.state.tasks)
    assert len(sim.state.tasks) == (sum(1 for t in tasks if t.provider_task_id)
                                    + endings["needs_attention (Kie has it)"])
    if callbacks:
        assert reconciled > 0, "cut-off creates were reconciled by their callbacks"
