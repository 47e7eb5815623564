"""Shared fixtures: a simulator on a loopback port, an authorised client, a poller."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from app.simulator.config import SimulatorConfig
from app.simulator.testing import RunningSimulator, running_simulator_sync

API_KEY = "sim-test-key"
# Small enough that a 300 s Sora plan lasts well under a second.
FAST = 0.002


@pytest.fixture
def sim_config() -> SimulatorConfig:
    return SimulatorConfig(api_key=API_KEY, time_scale=FAST, seed=7)


@pytest.fixture
def sim(sim_config: SimulatorConfig) -> Iterator[RunningSimulator]:
    with running_simulator_sync(sim_config) as running:
        yield running


def client_for(sim: RunningSimulator, key: str | None = API_KEY, **kwargs: Any) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {key}"} if key is not None else {}
    kwargs.setdefault("timeout", 10.0)
    return httpx.AsyncClient(base_url=sim.base_url, headers=headers, trust_env=False, **kwargs)


async def create(client: httpx.AsyncClient, path: str, body: dict[str, Any], **kwargs: Any) -> str:
    response = await client.post(path, json=body, **kwargs)
    payload = response.json()
    assert response.status_code == 200 and payload["code"] == 200, payload
    return payload["data"]["taskId"]


async def poll_until(
    client: httpx.AsyncClient,
    path: str,
    task_id: str,
    done: Callable[[dict[str, Any]], bool],
    *,
    interval: float = 0.01,
    timeout: float = 5.0,
) -> list[dict[str, Any]]:
    """Every `data` seen until `done(data)` holds; fails the test at `timeout`."""
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        payload = (await client.get(path, params={"taskId": task_id})).json()
        assert payload["code"] == 200, payload
        seen.append(payload["data"])
        if done(payload["data"]):
            return seen
        await asyncio.sleep(interval)
    raise AssertionError(f"task {task_id} not done after {timeout}s; last: {seen[-1] if seen else None}")


async def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)
