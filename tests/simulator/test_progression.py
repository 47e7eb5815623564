"""Each family's tasks move through its own vocabulary to success or to failure."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from app.simulator.testing import RunningSimulator
from tests.simulator.conftest import client_for, create, poll_until

CLOCK = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


@dataclass
class Case:
    name: str
    create_path: str
    body: dict[str, Any]
    query_path: str
    status: Callable[[dict[str, Any]], Any]
    running: set[Any]
    success: Any
    failures: set[Any]
    result_urls: Callable[[dict[str, Any]], list[str]]


def _market_urls(data: dict[str, Any]) -> list[str]:
    return json.loads(data["resultJson"])["resultUrls"]


CASES = [
    Case(
        "market",
        "/api/v1/jobs/createTask",
        {"model": "google/imagen4-fast", "input": {"prompt": "a fox"}},
        "/api/v1/jobs/recordInfo",
        lambda d: d["state"],
        {"waiting", "queuing", "generating"},
        "success",
        {"fail"},
        _market_urls,
    ),
    Case(
        "market-video",
        "/api/v1/jobs/createTask",
        {"model": "sora-2-text-to-video", "input": {"prompt": "a fox"}},
        "/api/v1/jobs/recordInfo",
        lambda d: d["state"],
        {"waiting", "queuing", "generating"},
        "success",
        {"fail"},
        _market_urls,
    ),
    Case(
        "veo",
        "/api/v1/veo/generate",
        {"prompt": "a fox", "model": "veo3_fast", "aspectRatio": "16:9"},
        "/api/v1/veo/record-info",
        lambda d: d["successFlag"],
        {0},
        1,
        {2, 3},
        lambda d: d["response"]["resultUrls"],
    ),
    Case(
        "suno",
        "/api/v1/generate",
        {
            "prompt": "a song about foxes",
            "model": "V4",
            "customMode": False,
            "instrumental": False,
            "callBackUrl": "http://callbacks.invalid/suno",
        },
        "/api/v1/generate/record-info",
        lambda d: d["status"],
        {"PENDING", "TEXT_SUCCESS", "FIRST_SUCCESS"},
        "SUCCESS",
        {"CREATE_TASK_FAILED", "GENERATE_AUDIO_FAILED", "CALLBACK_EXCEPTION", "SENSITIVE_WORD_ERROR"},
        lambda d: [track["audioUrl"] for track in d["response"]["sunoData"]],
    ),
    Case(
        "midjourney",
        "/api/v1/mj/generate",
        {"taskType": "mj_txt2img", "prompt": "a fox", "speed": "fast"},
        "/api/v1/mj/record-info",
        lambda d: d["successFlag"],
        {0},
        1,
        {2, 3},
        lambda d: [item["resultUrl"] for item in d["resultInfoJson"]["resultUrls"]],
    ),
    Case(
        "gpt4o",
        "/api/v1/gpt4o-image/generate",
        {"prompt": "a fox", "size": "1:1", "nVariants": 2},
        "/api/v1/gpt4o-image/record-info",
        lambda d: (d["successFlag"], d["status"]),
        {(0, "GENERATING")},
        (1, "SUCCESS"),
        {(2, "GENERATE_FAILED"), (2, "CREATE_TASK_FAILED")},
        lambda d: d["response"]["resultUrls"],
    ),
    Case(
        "flux",
        "/api/v1/flux/kontext/generate",
        {"prompt": "a fox", "aspectRatio": "16:9"},
        "/api/v1/flux/kontext/record-info",
        lambda d: d["successFlag"],
        {0},
        1,
        {2, 3},
        lambda d: [d["response"]["resultImageUrl"]],
    ),
    Case(
        "runway",
        "/api/v1/runway/generate",
        {"prompt": "a fox", "duration": 5, "quality": "720p", "aspectRatio": "16:9"},
        "/api/v1/runway/record-detail",
        lambda d: d["state"],
        {"wait", "queueing", "generating"},
        "success",
        {"fail"},
        lambda d: [d["videoInfo"]["videoUrl"]],
    ),
    Case(
        "aleph",
        "/api/v1/aleph/generate",
        {"prompt": "make it rain", "videoUrl": "http://127.0.0.1:1/in.mp4"},
        "/api/v1/aleph/record-info",
        lambda d: d["successFlag"],
        {0},
        1,
        {2, 3},
        lambda d: [d["response"]["resultVideoUrl"]],
    ),
]


def _is_terminal(case: Case) -> Callable[[dict[str, Any]], bool]:
    return lambda data: case.status(data) == case.success or case.status(data) in case.failures


@pytest.mark.asyncio
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
async def test_task_runs_to_success_in_its_family_vocabulary(sim: RunningSimulator, case: Case) -> None:
    async with client_for(sim) as client:
        task_id = await create(client, case.create_path, case.body)
        seen = await poll_until(client, case.query_path, task_id, _is_terminal(case))
    statuses = [case.status(data) for data in seen]
    assert set(statuses[:-1]) <= case.running, statuses
    assert statuses[-1] == case.success
    urls = case.result_urls(seen[-1])
    assert urls and all(url.startswith(f"{sim.base_url}/sim/media/{task_id}/") for url in urls)
    assert seen[-1]["taskId"] == task_id
    assert sim.state.query_counts[task_id] == len(seen)
    assert sim.state.tasks[task_id].finished_at is not None


@pytest.mark.asyncio
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
async def test_task_fails_at_the_configured_failure_rate(sim: RunningSimulator, case: Case) -> None:
    sim.config.failure_rate = 1.0  # a knob changed on the running simulator
    async with client_for(sim) as client:
        task_id = await create(client, case.create_path, case.body)
        seen = await poll_until(client, case.query_path, task_id, _is_terminal(case))
    final = seen[-1]
    assert case.status(final) in case.failures
    message = final.get("failMsg") or final.get("errorMessage")
    assert isinstance(message, str) and message


@pytest.mark.asyncio
async def test_market_record_fields_follow_the_contract(sim: RunningSimulator) -> None:
    body = {"model": "google/imagen4", "input": {"prompt": "a fox", "aspect_ratio": "16:9"}}
    async with client_for(sim) as client:
        task_id = await create(client, "/api/v1/jobs/createTask", body)
        first = (await client.get("/api/v1/jobs/recordInfo", params={"taskId": task_id})).json()["data"]
        seen = await poll_until(client, "/api/v1/jobs/recordInfo", task_id, lambda d: d["state"] == "success")
    assert first["completeTime"] is None and first["resultJson"] == ""
    assert json.loads(first["param"]) == body  # a JSON string holding the whole create body
    final = seen[-1]
    assert final["model"] == "google/imagen4"
    assert (
        final["completeTime"] >= final["createTime"]
        and final["costTime"] == final["completeTime"] - final["createTime"]
    )
    assert isinstance(final["resultJson"], str)


@pytest.mark.asyncio
async def test_intermediate_stages_are_observable(sim: RunningSimulator) -> None:
    # Every stage lasts 0.5 s or more, so polling on a busy machine still sees each one.
    suno = {"prompt": "a song", "model": "V4", "callBackUrl": "http://callbacks.invalid/x"}
    async with client_for(sim) as client:
        suno_id = await create(client, "/api/v1/generate", suno, headers={"X-Sim-Time-Scale": "0.04"})
        # Market at real speed (waiting lasts 0.5 s or more, queuing 1 s or more), so a busy
        # machine still sees every stage; followed only until it generates (7 s at most).
        market_id = await create(
            client,
            "/api/v1/jobs/createTask",
            {"model": "google/imagen4", "input": {"prompt": "x"}},
            headers={"X-Sim-Time-Scale": "1"},
        )
        suno_seen, market_seen = await asyncio.gather(
            poll_until(
                client,
                "/api/v1/generate/record-info",
                suno_id,
                lambda d: d["status"] == "SUCCESS",
                interval=0.1,
                timeout=20,
            ),
            poll_until(
                client,
                "/api/v1/jobs/recordInfo",
                market_id,
                lambda d: d["state"] == "generating",
                interval=0.05,
                timeout=20,
            ),
        )
    suno_statuses = [data["status"] for data in suno_seen]
    assert suno_statuses == sorted(
        suno_statuses, key=["PENDING", "TEXT_SUCCESS", "FIRST_SUCCESS", "SUCCESS"].index
    )
    assert {"PENDING", "TEXT_SUCCESS", "FIRST_SUCCESS", "SUCCESS"} <= set(suno_statuses)
    first_success = next(data for data in suno_seen if data["status"] == "FIRST_SUCCESS")
    tracks = first_success["response"]["sunoData"]
    assert tracks[0]["audioUrl"] and not tracks[1]["audioUrl"]  # only the first song is ready
    market_states = [data["state"] for data in market_seen]
    assert market_states[0] == "waiting" and "queuing" in market_states and market_states[-1] == "generating"
    assert market_states == sorted(market_states, key=["waiting", "queuing", "generating"].index)


@pytest.mark.asyncio
async def test_veo_times_are_strings_and_1080p_comes_after_success(sim: RunningSimulator) -> None:
    sim.config.time_scale = 0.0005
    async with client_for(sim) as client:
        task_id = await create(
            client, "/api/v1/veo/generate", {"prompt": "a fox"}, headers={"X-Sim-Time-Scale": "0.02"}
        )
        early = (
            await client.get("/api/v1/veo/get-1080p-video", params={"taskId": task_id, "index": 0})
        ).json()
        seen = await poll_until(
            client,
            "/api/v1/veo/record-info",
            task_id,
            lambda d: d["successFlag"] == 1,
            interval=0.05,
            timeout=15,
        )
        late = (
            await client.get("/api/v1/veo/get-1080p-video", params={"taskId": task_id, "index": 0})
        ).json()
        video = await client.get(late["data"]["resultUrl"])
    assert early["code"] != 200
    assert CLOCK.match(seen[-1]["createTime"]) and CLOCK.match(seen[-1]["completeTime"])
    assert late["code"] == 200 and late["data"]["resultUrl"].endswith("-1080p.mp4")
    assert video.status_code == 200 and video.content[4:8] == b"ftyp"


@pytest.mark.asyncio
async def test_gpt4o_progress_is_a_two_decimal_string(sim: RunningSimulator) -> None:
    sim.config.time_scale = 0.02  # 0.6 s or more: the first look comes before the end
    async with client_for(sim) as client:
        task_id = await create(client, "/api/v1/gpt4o-image/generate", {"prompt": "a fox", "size": "3:2"})
        seen = await poll_until(
            client,
            "/api/v1/gpt4o-image/record-info",
            task_id,
            lambda d: d["successFlag"] == 1,
            interval=0.05,
            timeout=10,
        )
    progress = [data["progress"] for data in seen]
    assert all(re.fullmatch(r"[01]\.\d\d", value) for value in progress)
    assert [float(value) for value in progress] == sorted(float(value) for value in progress)
    assert progress[-1] == "1.00" and float(progress[0]) < 1.0


@pytest.mark.asyncio
async def test_the_same_seed_plans_the_same_tasks() -> None:
    from app.simulator.config import SimulatorConfig
    from app.simulator.testing import running_simulator

    plans = []
    for _ in range(2):
        async with running_simulator(SimulatorConfig(seed=42, failure_rate=0.5)) as sim:
            async with client_for(sim, key="any") as client:
                ids = [
                    await create(
                        client,
                        "/api/v1/jobs/createTask",
                        {"model": "qwen/text-to-image", "input": {"prompt": str(n)}},
                    )
                    for n in range(5)
                ]
            plans.append(
                [
                    (i, [round(s, 6) for _, s in sim.state.tasks[i].stages], sim.state.tasks[i].failure)
                    for i in ids
                ]
            )
    assert plans[0] == plans[1]
    assert {failure is None for _, _, failure in plans[0]} == {True, False}
