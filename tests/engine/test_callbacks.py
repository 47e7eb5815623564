"""Callbacks through Atelier's real route: a verified hint, then one query as proof.

The engine's duration priors are left at real-world scale while the simulator runs
20x faster, so polling alone would find each result seconds late: how quickly rows
change shows what the callbacks did.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from datetime import timedelta

import httpx
import pytest
from sqlmodel import Session

from app.actions.tasks import create_generation_task
from app.engine.callbacks import CallbackOutcome, handle_callback
from app.providers.kie import sign
from app.simulator.config import SimulatorConfig
from app.store.models import GenerationTask, utcnow
from app.store.status import TaskStatus
from tests.engine.harness import TEST_API_KEY, engine_rig
from tests.factories import make_task

pytestmark = pytest.mark.asyncio



HMAC_KEY = "webhook-secret"
# Polling alone: the first query goes out at 85% of Imagen's real 15 s median.
SLOW_POLLING = dict(engine_time_scale=1.0, poll_max_interval_seconds=30.0)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _true_status(sim_task) -> TaskStatus:
    return TaskStatus.FAILED if sim_task.failure else TaskStatus.SUCCEEDED


async def _create(db, prompt: str) -> str:
    result = await create_generation_task("imagen4", {"prompt": prompt}, db=db)
    assert result.ok, result.message
    return result.data.id


def _market_callback(provider_id: str, state: str = "success") -> dict:
    return {"code": 200, "msg": "success", "data": {"taskId": provider_id, "state": state,
                                                    "model": "google/imagen4-fast"}}


def _signed_headers(provider_id: str, timestamp: int | None = None, key: str = HMAC_KEY) -> dict:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return {"X-Webhook-Timestamp": stamp, "X-Webhook-Signature": sign(key, provider_id, stamp)}


async def test_callbacks_bring_results_in_at_once_with_one_query_each(db_engine, database_url):
    # Time scale 0.2: tasks end over ~4 s, a steady stream of callbacks rather than
    # one burst (the simulator, the receiver and the engine share one process here).
    config = SimulatorConfig(time_scale=0.2, seed=5, failure_rate=0.3, rate_limit_creates=0,
                             webhook_hmac_key=HMAC_KEY)
    async with engine_rig(db_engine, config, callbacks=True, database_url=database_url,
                          hmac_key=HMAC_KEY, rate_limit_creates=100, **SLOW_POLLING) as rig:
        for i in range(24):
            await _create(db_engine, f"a harbour at dawn {i}")
        await rig.wait_until(lambda tasks: all(t.status.is_terminal for t in tasks), timeout=20)

        sim = rig.sim.state
        delays, queries = [], []
        for task in rig.tasks():
            remote = sim.tasks[task.provider_task_id]
            assert task.status is _true_status(remote)
            delays.append((task.updated_at - remote.finished_at).total_seconds())
            queries.append(sim.query_counts[task.provider_task_id])
        p50, p95 = _percentile(delays, 0.5), _percentile(delays, 0.95)
        print(f"\ncallback detection delay over {len(delays)} tasks: p50 {p50 * 1000:.0f} ms, "
              f"p95 {p95 * 1000:.0f} ms, max {max(delays) * 1000:.0f} ms; status queries per "
              f"task: mean {statistics.mean(queries):.2f}, max {max(queries)}")
        assert min(delays) >= 0, "a row never turns final before Kie finished"
        # Polling alone would first ask ~12.75 s after submission, some 9 s after these
        # tasks end: every row turning final within 6 s can only be the callbacks' doing,
        # even on a busy machine. (How fast exactly is measured by `make bench`.)
        assert max(delays) < 6.0
        # The callback's verifying query, and at most one more.
        assert max(queries) <= 2
        assert statistics.mean(queries) < 1.25


async def test_duplicate_callbacks_change_nothing(db_engine, database_url):
    # Kie may deliver the same event twice: here every callback comes twice.
    config = SimulatorConfig(time_scale=0.1, seed=12, failure_rate=0.3, rate_limit_creates=0,
                             callback_duplicate_rate=1.0)
    async with engine_rig(db_engine, config, callbacks=True, database_url=database_url,
                          rate_limit_creates=100, **SLOW_POLLING) as rig:
        for i in range(8):
            await _create(db_engine, f"an echo in a canyon {i}")
        await rig.wait_until(lambda tasks: all(t.status.is_terminal for t in tasks), timeout=10)
        sim = rig.sim.state
        await _wait_for(lambda: len(sim.callbacks_sent) == 16)
        assert all(c.status_code == 200 for c in sim.callbacks_sent)
        for task in rig.tasks():
            assert task.status is _true_status(sim.tasks[task.provider_task_id])
            terminal = [e for e in rig.events(task.id) if e.to_status == task.status.value]
            assert len(terminal) == 1, "the copy wrote nothing"
            assert sim.query_counts[task.provider_task_id] <= 2


async def test_a_replayed_callback_for_a_finished_task_changes_nothing(db_engine, database_url):
    config = SimulatorConfig(time_scale=0.05, seed=6)
    async with engine_rig(db_engine, config, callbacks=True, database_url=database_url,
                          **SLOW_POLLING) as rig:
        task_id = await _create(db_engine, "a red kite")
        await rig.wait_until(lambda tasks: tasks[0].status.is_terminal, timeout=10)
        task = rig.tasks()[0]
        queries_before = rig.sim.state.query_counts[task.provider_task_id]
        events_before = len(rig.events(task_id))
        async with httpx.AsyncClient(base_url=rig.callback_url) as http:
            for state in ("success", "fail"):
                answer = await http.post(f"/api/kie/callback/{task.callback_token}",
                                         json=_market_callback(task.provider_task_id, state))
                assert answer.status_code == 200
        await asyncio.sleep(0.2)
        after = rig.tasks()[0]
        assert (after.status, after.updated_at) == (task.status, task.updated_at)
        assert len(rig.events(task_id)) == events_before
        assert rig.sim.state.query_counts[task.provider_task_id] == queries_before


async def test_refused_callbacks_cause_no_query_and_a_valid_one_is_only_a_hint(
        db_engine, database_url):
    # Realistic durations: the task runs for the whole test, and slow polling sends
    # no query of its own, so every query counted here was caused by a callback.
    config = SimulatorConfig(time_scale=1.0, seed=8, webhook_hmac_key=HMAC_KEY)
    async with engine_rig(db_engine, config, callbacks=True, database_url=database_url,
                          hmac_key=HMAC_KEY, **SLOW_POLLING) as rig:
        await _create(db_engine, "a slow glacier")
        await rig.wait_until(lambda tasks: tasks[0].provider_task_id is not None, timeout=10)
        task = rig.tasks()[0]
        provider_id, url = task.provider_task_id, f"/api/kie/callback/{task.callback_token}"
        counts = rig.sim.state.query_counts

        async with httpx.AsyncClient(base_url=rig.callback_url) as http:
            async def post(path: str, headers: dict) -> int:
                answer = await http.post(path, json=_market_callback(provider_id),
                                         headers=headers)
                return answer.status_code

            assert await post("/api/kie/callback/not-a-token", _signed_headers(provider_id)) == 404
            assert await post(url, {}) == 401, "unsigned"
            assert await post(url, _signed_headers(provider_id, key="wrong-key")) == 401
            stale = int(time.time()) - 3600
            assert await post(url, _signed_headers(provider_id, timestamp=stale)) == 401
            await asyncio.sleep(0.3)
            assert counts[provider_id] == 0, "no refused callback led to a query"
            with Session(db_engine) as session:
                row = session.get(GenerationTask, task.id)
                assert row.next_poll_at == task.next_poll_at, "nor made the task due"

            # Correctly signed, but it claims success while Kie is still generating:
            # the verifying query finds out, and the row stays running.
            assert await post(url, _signed_headers(provider_id)) == 200
            await _wait_for(lambda: counts[provider_id] == 1)
        await asyncio.sleep(0.2)
        assert counts[provider_id] == 1
        assert rig.tasks()[0].status in (TaskStatus.PENDING, TaskStatus.PROCESSING)


async def test_a_callback_landing_while_a_query_is_out_is_not_lost(db_engine, database_url):
    config = SimulatorConfig(time_scale=0.1, seed=13)
    async with engine_rig(db_engine, config, callbacks=True, database_url=database_url,
                          **SLOW_POLLING) as rig:
        await _create(db_engine, "a kettle about to boil")
        await rig.wait_until(lambda tasks: tasks[0].provider_task_id is not None, timeout=5)
        task = rig.tasks()[0]
        remote = rig.sim.state.tasks[task.provider_task_id]
        # From now on every answer is computed at once but delivered 0.8 s later.
        rig.sim.config.timeout_rate, rig.sim.config.timeout_sleep_seconds = 1.0, 0.8
        await asyncio.sleep(max(0.0, remote.ends_at - 0.4 - time.time()))
        # A hint just before the end: the query it causes sees "generating", and the
        # real callback arrives while that answer is still on its way.
        async with httpx.AsyncClient(base_url=rig.callback_url) as http:
            answer = await http.post(f"/api/kie/callback/{task.callback_token}",
                                     json=_market_callback(task.provider_task_id, "generating"))
            assert answer.status_code == 200
        # The late answer must not push the next query back to the slow schedule
        # (seconds away): the callback's "due now" stands, and a second query follows.
        await rig.wait_until(lambda tasks: tasks[0].status.is_terminal, timeout=6.0)
        assert rig.tasks()[0].status is _true_status(remote)
        assert rig.sim.state.query_counts[task.provider_task_id] == 2


async def test_an_unknown_submission_is_reconciled_by_its_callback(db_engine, database_url):
    # The create reaches Kie, but its answer comes too late: Atelier cannot know
    # whether it was accepted, so the task waits for a person ...
    config = SimulatorConfig(time_scale=0.05, seed=9, timeout_rate=1.0,
                             timeout_sleep_seconds=1.0)
    async with engine_rig(db_engine, config, callbacks=True, database_url=database_url,
                          client_timeout=0.3, **SLOW_POLLING) as rig:
        task_id = await _create(db_engine, "a lost lighthouse")
        await rig.wait_until(lambda tasks: tasks[0].status is TaskStatus.NEEDS_ATTENTION
                             or tasks[0].provider_task_id, timeout=5)
        rig.sim.config.timeout_rate = 0.0
        assert rig.tasks()[0].status is TaskStatus.NEEDS_ATTENTION
        assert rig.tasks()[0].fail_code == "unknown_outcome"
        # ... until Kie's callback, which carries the task's own token, names it.
        await rig.wait_until(lambda tasks: tasks[0].status.is_terminal, timeout=10)

        sim = rig.sim.state
        assert sim.create_calls == 1, "never sent twice"
        (remote,) = sim.tasks.values()
        task = rig.tasks()[0]
        assert task.provider_task_id == remote.task_id
        assert task.status is _true_status(remote)
        trail = [(e.to_status, e.source.value) for e in rig.events(task_id)]
        assert ("needs_attention", "submit") in trail
        assert ("pending", "callback") in trail


async def test_a_submission_cut_off_mid_request_adopts_the_id_its_callback_names(
        db_engine, database_url):
    config = SimulatorConfig(time_scale=0.05, seed=10)
    async with engine_rig(db_engine, config, callbacks=True, database_url=database_url,
                          **SLOW_POLLING) as rig:
        # A worker sent this create and vanished before recording Kie's answer; its
        # lease has not lapsed yet, so the row still says `submitting`.
        row = make_task(status=TaskStatus.SUBMITTING, callback_token="tok-" + "x" * 20,
                        lease_owner="a-vanished-worker",
                        lease_expires_at=utcnow().replace(year=utcnow().year + 1))
        with Session(db_engine) as session:
            session.add(row)
            session.commit()
            task_id, token, body = row.id, row.callback_token, dict(row.provider_body)
        async with httpx.AsyncClient(base_url=rig.sim.base_url,
                                     headers={"Authorization": f"Bearer {TEST_API_KEY}"}) as http:
            body["callBackUrl"] = f"{rig.callback_url}/api/kie/callback/{token}"
            answer = await http.post("/api/v1/jobs/createTask", json=body)
            provider_id = answer.json()["data"]["taskId"]

        await rig.wait_until(lambda tasks: tasks[0].status.is_terminal, timeout=10)
        task = rig.tasks()[0]
        assert task.provider_task_id == provider_id
        assert task.status is _true_status(rig.sim.state.tasks[provider_id])
        assert rig.sim.state.create_calls == 1
        assert ("submitting", "pending", "callback") in [
            (e.from_status, e.to_status, e.source.value) for e in rig.events(task_id)]


async def _wait_for(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def test_a_receiver_without_an_engine_makes_the_task_due_for_the_engine_elsewhere(db_engine):
    # The web process may receive the callback while the engine runs in another one.
    later = utcnow() + timedelta(minutes=5)
    row = make_task(status=TaskStatus.PENDING, provider_task_id="kie-1", callback_token="tok-1",
                    next_poll_at=later)
    with Session(db_engine) as session:
        session.add(row)
        session.commit()
        task_id = row.id
    result = handle_callback(db_engine, "tok-1", _market_callback("kie-1"), {}, None)
    assert result.outcome is CallbackOutcome.ACCEPTED
    with Session(db_engine) as session:
        assert session.get(GenerationTask, task_id).next_poll_at <= utcnow()
