"""Mounted under a prefix, the debug routes, and the command line."""

from __future__ import annotations

import base64
import json

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from app.simulator.__main__ import parse_args
from app.simulator.app import create_simulator_app
from app.simulator.config import SimulatorConfig
from app.simulator.testing import RunningSimulator, serving_app_sync
from tests.simulator.conftest import API_KEY, FAST, client_for, create, poll_until


@pytest.mark.asyncio
async def test_mounted_under_a_prefix_hands_out_urls_that_reach_it() -> None:
    simulator = create_simulator_app(SimulatorConfig(time_scale=FAST))
    parent = Starlette(routes=[Mount("/kie-sim", app=simulator)])
    try:
        with serving_app_sync(parent) as base_url:
            prefix = f"{base_url}/kie-sim"
            async with httpx.AsyncClient(
                base_url=prefix, headers={"Authorization": "Bearer x"}, trust_env=False
            ) as client:
                task_id = (
                    await client.post(
                        "/api/v1/jobs/createTask", json={"model": "google/imagen4", "input": {"prompt": "x"}}
                    )
                ).json()["data"]["taskId"]
                seen = await poll_until(
                    client, "/api/v1/jobs/recordInfo", task_id, lambda d: d["state"] == "success"
                )
                (url,) = json.loads(seen[-1]["resultJson"])["resultUrls"]
                image = await client.get(url)
                upload = (
                    await client.post(
                        "/api/file-base64-upload",
                        json={
                            "base64Data": base64.b64encode(b"abc").decode(),
                            "uploadPath": "p",
                            "fileName": "a.txt",
                        },
                    )
                ).json()
                served = await client.get(upload["data"]["downloadUrl"])
    finally:
        simulator.state.simulator.close()
    assert url.startswith(f"{prefix}/sim/media/") and image.content.startswith(b"\x89PNG")
    assert upload["data"]["downloadUrl"] == f"{prefix}/sim/files/p/a.txt" and served.content == b"abc"


@pytest.mark.asyncio
async def test_public_base_url_overrides_the_request_base(sim: RunningSimulator) -> None:
    sim.config.public_base_url = "http://demo.localhost:3000/kie-sim/"
    async with client_for(sim) as client:
        task_id = await create(client, "/api/v1/flux/kontext/generate", {"prompt": "x"})
        seen = await poll_until(
            client, "/api/v1/flux/kontext/record-info", task_id, lambda d: d["successFlag"] == 1
        )
    assert seen[-1]["response"]["resultImageUrl"].startswith("http://demo.localhost:3000/kie-sim/sim/media/")


@pytest.mark.asyncio
async def test_debug_state_and_config_routes(sim: RunningSimulator) -> None:
    async with client_for(sim) as client, client_for(sim, key=None) as anonymous:
        task_id = await create(
            client, "/api/v1/jobs/createTask", {"model": "google/imagen4", "input": {"prompt": "x"}}
        )
        refused = (await anonymous.get("/sim/state")).json()
        state = (await client.get("/sim/state")).json()
        patched = (
            await client.patch("/sim/config", json={"failure_rate": 0.5, "create_error_rates": {"429": 0.1}})
        ).json()
        typo = (await client.patch("/sim/config", json={"failure_rat": 1})).json()
        secret = (await client.patch("/sim/config", json={"api_key": "new"})).json()
    assert refused["code"] == 401
    assert state["create_calls"] == 1 and task_id in state["tasks"]
    assert state["config"]["api_key"] == "***"
    assert patched["failure_rate"] == 0.5 and sim.config.create_error_rates == {429: 0.1}
    assert typo["code"] == 422 and "failure_rat" in typo["msg"]
    assert secret["code"] == 422 and sim.config.api_key == API_KEY


def test_command_line_accepts_only_loopback_hosts(capsys: pytest.CaptureFixture[str]) -> None:
    args = parse_args(["--port", "8090", "--host", "::1", "--time-scale", "0.05", "--api-key", "k"])
    assert (args.port, args.host, args.time_scale, args.api_key) == (8090, "::1", 0.05, "k")
    assert args.credits == SimulatorConfig.initial_credits
    assert parse_args(["--credits", "1e12"]).credits == 1e12  # benchmarks never run dry
    for host in ("0.0.0.0", "10.0.0.5", "example.com"):
        with pytest.raises(SystemExit):
            parse_args(["--host", host])
    assert "not a loopback address" in capsys.readouterr().err
