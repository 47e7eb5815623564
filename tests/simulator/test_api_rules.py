"""Envelope, auth, validation, credits, rate limit and the error knobs."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from app.simulator.testing import RunningSimulator
from tests.simulator.conftest import API_KEY, client_for, create

MARKET = "/api/v1/jobs/createTask"
IMAGE_BODY = {"model": "google/imagen4", "input": {"prompt": "a fox"}}


@pytest.mark.asyncio
async def test_wrong_or_missing_key_is_401_inside_http_200(sim: RunningSimulator) -> None:
    async with client_for(sim, key="wrong") as wrong, client_for(sim, key=None) as anonymous:
        bad = await wrong.post(MARKET, json=IMAGE_BODY)
        missing = await anonymous.get("/api/v1/chat/credit")
    for response in (bad, missing):
        assert response.status_code == 200
        assert response.json()["code"] == 401 and response.json()["data"] is None
    assert sim.state.tasks == {}


@pytest.mark.asyncio
async def test_without_configured_key_any_bearer_passes_but_a_missing_header_does_not() -> None:
    from app.simulator.config import SimulatorConfig
    from app.simulator.testing import running_simulator

    async with running_simulator(SimulatorConfig()) as sim:
        async with client_for(sim, key="anything") as client, client_for(sim, key=None) as anonymous:
            assert (await client.get("/api/v1/chat/credit")).json()["code"] == 200
            assert (await anonymous.get("/api/v1/chat/credit")).json()["code"] == 401


@pytest.mark.asyncio
async def test_unknown_route_is_a_real_http_404(sim: RunningSimulator) -> None:
    async with client_for(sim) as client:
        response = await client.get("/api/v1/does/not/exist")
        upload_on_api_prefix = await client.post("/api/v1/file-stream-upload")
    assert response.status_code == 404 and response.json()["status"] == 404
    assert upload_on_api_prefix.status_code == 404


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (MARKET, {"input": {"prompt": "x"}}, "model"),
        (MARKET, {"model": "google/imagen4"}, "input"),
        (MARKET, {"model": "google/imagen4", "input": {}}, "input.prompt"),
        (MARKET, {"model": "elevenlabs/text-to-speech-turbo-2-5", "input": {}}, "input.text"),
        (MARKET, {"model": "recraft/remove-background", "input": {}}, "input.image_url"),
        ("/api/v1/veo/generate", {"model": "veo3"}, "prompt"),
        ("/api/v1/veo/generate", {"prompt": "x", "generationType": "REFERENCE_2_VIDEO"}, "imageUrls"),
        ("/api/v1/generate", {"prompt": "x", "model": "V4"}, "callBackUrl"),
        ("/api/v1/generate", {"prompt": "x", "callBackUrl": "http://127.0.0.1:1/cb"}, "model"),
        (
            "/api/v1/generate",
            {
                "customMode": True,
                "prompt": "la la",
                "model": "V5",
                "title": "t",
                "callBackUrl": "http://127.0.0.1:1/cb",
            },
            "style",
        ),
        ("/api/v1/mj/generate", {"prompt": "x"}, "taskType"),
        ("/api/v1/mj/generate", {"taskType": "mj_img2img", "prompt": "x"}, "fileUrls"),
        ("/api/v1/gpt4o-image/generate", {"prompt": "x"}, "size"),
        ("/api/v1/flux/kontext/generate", {"model": "flux-kontext-pro"}, "prompt"),
        (
            "/api/v1/runway/generate",
            {"prompt": "x", "duration": 10, "quality": "1080p", "aspectRatio": "16:9"},
            "quality",
        ),
        ("/api/v1/aleph/generate", {"prompt": "x"}, "videoUrl"),
    ],
)
async def test_invalid_creates_are_422_naming_the_field(
    sim: RunningSimulator, path: str, body: dict, field: str
) -> None:
    async with client_for(sim) as client:
        payload = (await client.post(path, json=body)).json()
    assert payload["code"] == 422
    assert field in payload["msg"]
    assert sim.state.tasks == {}


@pytest.mark.asyncio
async def test_body_that_is_not_json_is_422(sim: RunningSimulator) -> None:
    async with client_for(sim) as client:
        payload = (
            await client.post(MARKET, content=b"{not json", headers={"Content-Type": "application/json"})
        ).json()
    assert payload["code"] == 422


@pytest.mark.asyncio
async def test_unknown_models_are_accepted_with_a_guessed_kind_unless_strict(sim: RunningSimulator) -> None:
    async with client_for(sim) as client:
        video_id = await create(client, MARKET, {"model": "acme/hyper-video-9", "input": {"prompt": "x"}})
        audio_id = await create(client, MARKET, {"model": "acme/music-maker", "input": {"prompt": "x"}})
        image_id = await create(client, MARKET, {"model": "acme/painter", "input": {"prompt": "x"}})
        sim.config.strict_models = True
        strict = (await client.post(MARKET, json={"model": "acme/painter", "input": {"prompt": "x"}})).json()
        listed = (await client.post(MARKET, json=IMAGE_BODY)).json()
    kinds = [sim.state.tasks[task_id].kind.value for task_id in (video_id, audio_id, image_id)]
    assert kinds == ["video", "audio", "image"]
    assert strict["code"] == 422 and "acme/painter" in strict["msg"]
    assert listed["code"] == 200


@pytest.mark.asyncio
async def test_credits_go_down_by_the_model_cost_and_run_out_with_402(sim: RunningSimulator) -> None:
    sim.state.credits = 20
    async with client_for(sim) as client:
        await create(client, MARKET, IMAGE_BODY)  # costs 8
        after_one = (await client.get("/api/v1/chat/credit")).json()
        await create(client, MARKET, IMAGE_BODY)
        refused = (await client.post(MARKET, json=IMAGE_BODY)).json()
    assert after_one == {"code": 200, "msg": "success", "data": 12}
    assert refused["code"] == 402
    assert sim.state.credits == 4 and len(sim.state.tasks) == 2


@pytest.mark.asyncio
async def test_more_than_20_creates_in_the_window_are_rejected_with_429(sim: RunningSimulator) -> None:
    async with client_for(sim) as client:
        for _ in range(20):
            await create(client, MARKET, IMAGE_BODY)
        rejected = (await client.post(MARKET, json=IMAGE_BODY)).json()
        query_still_fine = (await client.get("/api/v1/chat/credit")).json()
    assert rejected["code"] == 429
    assert query_still_fine["code"] == 200
    assert sim.state.create_calls == 21 and len(sim.state.tasks) == 20  # rejected, not queued


@pytest.mark.asyncio
async def test_rate_limit_window_slides(sim: RunningSimulator) -> None:
    import asyncio

    sim.config.rate_limit_creates = 2
    sim.config.rate_limit_window_seconds = 0.2
    async with client_for(sim) as client:
        codes = [(await client.post(MARKET, json=IMAGE_BODY)).json()["code"] for _ in range(3)]
        await asyncio.sleep(0.25)
        later = (await client.post(MARKET, json=IMAGE_BODY)).json()["code"]
    assert codes == [200, 200, 429] and later == 200


@pytest.mark.asyncio
async def test_status_query_of_unknown_task_is_404_and_new_tasks_can_lag(sim: RunningSimulator) -> None:
    sim.config.not_found_lag_queries = 2
    async with client_for(sim) as client:
        unknown = (await client.get("/api/v1/jobs/recordInfo", params={"taskId": "nope"})).json()
        task_id = await create(client, MARKET, IMAGE_BODY)
        codes = [
            (await client.get("/api/v1/jobs/recordInfo", params={"taskId": task_id})).json()["code"]
            for _ in range(3)
        ]
        other_family = (await client.get("/api/v1/veo/record-info", params={"taskId": task_id})).json()
    assert unknown["code"] == 404
    assert codes == [404, 404, 200]
    assert other_family["code"] == 404
    assert sim.state.query_counts[task_id] == 4  # every status query counts, wrong family too


@pytest.mark.asyncio
async def test_errors_can_carry_the_matching_http_status(sim: RunningSimulator) -> None:
    async with client_for(sim, key="wrong") as wrong:
        as_200 = await wrong.get("/api/v1/chat/credit")
        sim.config.errors_as_http_status = True
        as_401 = await wrong.get("/api/v1/chat/credit")
    assert (as_200.status_code, as_200.json()["code"]) == (200, 401)
    assert (as_401.status_code, as_401.json()["code"]) == (401, 401)


@pytest.mark.asyncio
async def test_message_key_can_be_message_instead_of_msg(sim: RunningSimulator) -> None:
    sim.config.message_key = "message"
    async with client_for(sim) as client:
        payload = (await client.get("/api/v1/chat/credit")).json()
    assert "message" in payload and "msg" not in payload


@pytest.mark.asyncio
async def test_error_rates_for_creates_and_queries(sim: RunningSimulator) -> None:
    async with client_for(sim) as client:
        task_id = await create(client, MARKET, IMAGE_BODY)
        sim.config.create_error_rates = {500: 1.0}
        sim.config.query_error_rates = {455: 1.0}
        create_error = (await client.post(MARKET, json=IMAGE_BODY)).json()
        query_error = (await client.get("/api/v1/jobs/recordInfo", params={"taskId": task_id})).json()
        forced = (await client.get("/api/v1/chat/credit", headers={"X-Sim-Error": "433"})).json()
    assert create_error["code"] == 500 and len(sim.state.tasks) == 1
    assert query_error["code"] == 455
    assert forced["code"] == 433


@pytest.mark.asyncio
async def test_malformed_json_bodies_at_a_rate(sim: RunningSimulator) -> None:
    sim.config.malformed_json_rate = 1.0
    async with client_for(sim) as client:
        response = await client.get("/api/v1/chat/credit")
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        response.json()


@pytest.mark.asyncio
async def test_timeouts_answer_too_late_after_doing_the_work(sim: RunningSimulator) -> None:
    sim.config.timeout_rate = 1.0
    sim.config.timeout_sleep_seconds = 0.6
    async with client_for(sim, timeout=0.2) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.post(MARKET, json=IMAGE_BODY)
    # The paid create went through even though the client never heard back.
    assert len(sim.state.tasks) == 1


@pytest.mark.asyncio
async def test_latency_knob_delays_answers(sim: RunningSimulator) -> None:
    import time

    async with client_for(sim) as client:
        started = time.monotonic()
        await client.get("/api/v1/chat/credit", headers={"X-Sim-Latency-Ms": "150"})
    assert time.monotonic() - started >= 0.15


def test_sync_runner_serves_with_the_given_key() -> None:
    from app.simulator.config import SimulatorConfig
    from app.simulator.testing import running_simulator_sync

    with running_simulator_sync(SimulatorConfig(api_key="k")) as sim:
        with httpx.Client(base_url=sim.base_url, trust_env=False) as client:
            good = client.get("/api/v1/chat/credit", headers={"Authorization": "Bearer k"}).json()
            bad = client.get("/api/v1/chat/credit", headers={"Authorization": f"Bearer {API_KEY}"}).json()
    assert good["code"] == 200 and bad["code"] == 401


@pytest.mark.asyncio
async def test_query_limits_per_task_and_per_account_are_knobs(sim: RunningSimulator) -> None:
    sim.config.per_task_queries_per_second = 3
    body = {"prompt": "x", "size": "1:1"}
    async with client_for(sim) as client:
        task_id = await create(client, "/api/v1/gpt4o-image/generate", body)
        codes = [
            (await client.get("/api/v1/gpt4o-image/record-info", params={"taskId": task_id})).json()["code"]
            for _ in range(4)
        ]
        sim.config.rate_limit_counts_queries = True
        sim.config.rate_limit_creates = 1  # the create above already used the window
        counted = (await client.get("/api/v1/jobs/recordInfo", params={"taskId": "x"})).json()
    assert codes == [200, 200, 200, 429]
    assert counted["code"] == 429


@pytest.mark.asyncio
async def test_queries_about_one_task_at_the_same_moment_are_counted(sim: RunningSimulator) -> None:
    # The multi-process tests read this to prove no task is polled by two workers at once.
    async with client_for(sim) as client:
        task_id = await create(client, MARKET, IMAGE_BODY)
        query = {"params": {"taskId": task_id}, "headers": {"X-Sim-Latency-Ms": "200"}}
        await client.get("/api/v1/jobs/recordInfo", **query)
        await client.get("/api/v1/jobs/recordInfo", **query)
        assert sim.state.overlapping_queries[task_id] == 0, "one after the other"
        await asyncio.gather(client.get("/api/v1/jobs/recordInfo", **query),
                             client.get("/api/v1/jobs/recordInfo", **query))
    assert sim.state.overlapping_queries[task_id] == 1
    assert sim.state.queries_in_progress[task_id] == 0
