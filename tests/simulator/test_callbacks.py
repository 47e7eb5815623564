"""Callbacks reach a loopback receiver, signed; other hosts are recorded, never contacted."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from app.simulator.config import SimulatorConfig
from app.simulator.testing import RunningSimulator, running_simulator_sync, serving_app_sync
from tests.simulator.conftest import API_KEY, FAST, client_for, create, wait_for

HMAC_KEY = "whsec-test"


class Receiver:
    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], dict[str, Any]]] = []
        self.base_url = ""

    async def endpoint(self, request: Request) -> JSONResponse:
        self.received.append((dict(request.headers), await request.json()))
        return JSONResponse({"code": 200, "msg": "success"})


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    instance = Receiver()
    app = Starlette(routes=[Route("/kie/callback", instance.endpoint, methods=["POST"])])
    with serving_app_sync(app) as base_url:
        instance.base_url = base_url
        yield instance


@pytest.fixture
def sim_config() -> SimulatorConfig:
    return SimulatorConfig(api_key=API_KEY, time_scale=FAST, seed=11, webhook_hmac_key=HMAC_KEY)


def signature_is_valid(headers: dict[str, str], task_id: str) -> bool:
    timestamp = headers["x-webhook-timestamp"]
    expected = base64.b64encode(
        hmac.new(HMAC_KEY.encode(), f"{task_id}.{timestamp}".encode(), hashlib.sha256).digest()
    ).decode()
    fresh = abs(time.time() - int(timestamp)) < 60
    return fresh and hmac.compare_digest(expected, headers["x-webhook-signature"])


@pytest.mark.asyncio
async def test_market_callback_is_signed_and_carries_the_record(
    sim: RunningSimulator, receiver: Receiver
) -> None:
    url = f"{receiver.base_url}/kie/callback"
    async with client_for(sim) as client:
        task_id = await create(
            client,
            "/api/v1/jobs/createTask",
            {"model": "google/nano-banana", "input": {"prompt": "x"}, "callBackUrl": url},
        )
    await wait_for(lambda: len(receiver.received) == 1)
    headers, payload = receiver.received[0]
    assert payload["code"] == 200 and payload["data"]["taskId"] == task_id
    assert payload["data"]["state"] == "success" and "resultUrls" in payload["data"]["resultJson"]
    assert signature_is_valid(headers, task_id)
    await wait_for(lambda: len(sim.state.callbacks_sent) == 1)  # logged once the receiver answered
    assert sim.state.callbacks_sent[0].contacted and sim.state.callbacks_sent[0].status_code == 200


@pytest.mark.asyncio
async def test_suno_sends_text_first_complete_in_snake_case(
    sim: RunningSimulator, receiver: Receiver
) -> None:
    sim.config.time_scale = 0.005
    url = f"{receiver.base_url}/kie/callback"
    async with client_for(sim) as client:
        task_id = await create(
            client, "/api/v1/generate", {"prompt": "a song", "model": "V4", "callBackUrl": url}
        )
    await wait_for(lambda: len(receiver.received) == 3)
    types = [payload["data"]["callbackType"] for _, payload in receiver.received]
    assert types == ["text", "first", "complete"]
    complete = receiver.received[-1][1]["data"]
    assert complete["task_id"] == task_id
    assert all(
        track["audio_url"].endswith(".wav") and track["stream_audio_url"] for track in complete["data"]
    )
    assert not receiver.received[0][1]["data"]["data"][0]["audio_url"]  # text step: no audio yet
    assert all(signature_is_valid(headers, task_id) for headers, _ in receiver.received)


@pytest.mark.asyncio
async def test_failures_and_duplicates_are_delivered(sim: RunningSimulator, receiver: Receiver) -> None:
    sim.config.failure_rate = 1.0
    sim.config.callback_duplicate_rate = 1.0
    url = f"{receiver.base_url}/kie/callback"
    async with client_for(sim) as client:
        veo_id = await create(client, "/api/v1/veo/generate", {"prompt": "x", "callBackUrl": url})
        suno_id = await create(client, "/api/v1/generate", {"prompt": "x", "model": "V4", "callBackUrl": url})
    await wait_for(lambda: len(receiver.received) == 4)
    by_task: dict[str, list[dict[str, Any]]] = {}
    for _, payload in receiver.received:
        data = payload["data"]
        by_task.setdefault(data.get("taskId") or data.get("task_id"), []).append(payload)
    assert len(by_task[veo_id]) == 2 and by_task[veo_id][0] == by_task[veo_id][1]
    assert by_task[veo_id][0]["code"] != 200
    assert [p["data"]["callbackType"] for p in by_task[suno_id]] == ["error", "error"]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("path", "body", "id_key", "expected_keys"),
    [
        ("/api/v1/veo/generate", {"prompt": "x"}, "taskId", {"info", "fallbackFlag"}),
        ("/api/v1/gpt4o-image/generate", {"prompt": "x", "size": "1:1"}, "taskId", {"info"}),
        ("/api/v1/flux/kontext/generate", {"prompt": "x"}, "taskId", {"info"}),
        (
            "/api/v1/mj/generate",
            {"taskType": "mj_txt2img", "prompt": "x"},
            "taskId",
            {"promptJson", "resultUrls"},
        ),
        (
            "/api/v1/runway/generate",
            {"prompt": "x", "duration": 5, "quality": "720p", "aspectRatio": "1:1"},
            "task_id",
            {"video_id", "video_url", "image_url"},
        ),
    ],
)
async def test_each_family_callback_shape(
    sim: RunningSimulator, receiver: Receiver, path: str, body: dict, id_key: str, expected_keys: set[str]
) -> None:
    url = f"{receiver.base_url}/kie/callback"
    async with client_for(sim) as client:
        task_id = await create(client, path, {**body, "callBackUrl": url})
    await wait_for(lambda: len(receiver.received) == 1)
    headers, payload = receiver.received[0]
    assert payload["code"] == 200 and payload["data"][id_key] == task_id
    assert expected_keys <= set(payload["data"])
    assert signature_is_valid(headers, task_id)


@pytest.mark.asyncio
async def test_aleph_callback_carries_task_id_beside_data(sim: RunningSimulator, receiver: Receiver) -> None:
    url = f"{receiver.base_url}/kie/callback"
    async with client_for(sim) as client:
        task_id = await create(
            client,
            "/api/v1/aleph/generate",
            {"prompt": "x", "videoUrl": "http://127.0.0.1:1/v.mp4", "callBackUrl": url},
        )
    await wait_for(lambda: len(receiver.received) == 1)
    headers, payload = receiver.received[0]
    assert payload["taskId"] == task_id and payload["data"]["result_video_url"].endswith(".mp4")
    assert signature_is_valid(headers, task_id)


@pytest.mark.asyncio
async def test_non_loopback_callback_is_recorded_not_contacted(sim: RunningSimulator) -> None:
    async with client_for(sim) as client:
        task_id = await create(
            client,
            "/api/v1/jobs/createTask",
            {
                "model": "google/nano-banana",
                "input": {"prompt": "x"},
                "callBackUrl": "https://hooks.example.com/kie",
            },
        )
    await wait_for(lambda: len(sim.state.callbacks_sent) == 1)
    record = sim.state.callbacks_sent[0]
    assert record.task_id == task_id and record.contacted is False and record.status_code is None
    assert [(b.url, b.purpose, b.task_id) for b in sim.state.blocked_contacts] == [
        ("https://hooks.example.com/kie", "callback", task_id)
    ]
    async with client_for(sim) as client:
        debug = (await client.get("/sim/state")).json()
    assert debug["blocked_contacts"][0]["url"] == "https://hooks.example.com/kie"


def test_unsigned_when_no_hmac_key(receiver: Receiver) -> None:
    import asyncio

    async def scenario(sim: RunningSimulator) -> None:
        async with client_for(sim, key="k") as client:
            await create(
                client,
                "/api/v1/jobs/createTask",
                {
                    "model": "google/nano-banana",
                    "input": {"prompt": "x"},
                    "callBackUrl": f"{receiver.base_url}/kie/callback",
                },
            )
        await wait_for(lambda: len(receiver.received) == 1)

    with running_simulator_sync(SimulatorConfig(time_scale=FAST)) as sim:
        asyncio.run(scenario(sim))
    headers, _ = receiver.received[0]
    assert "x-webhook-signature" not in headers
