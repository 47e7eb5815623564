"""The upload host's three endpoints, serving files back, and download-url."""

from __future__ import annotations

import base64
import os

import pytest

from app.simulator import uploads
from app.simulator.testing import RunningSimulator
from tests.simulator.conftest import client_for, create, poll_until

PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.mark.asyncio
async def test_stream_upload_stores_and_serves_the_file_and_overwrites(sim: RunningSimulator) -> None:
    big = os.urandom(3 * 1024 * 1024 + 17)  # past the in-memory spool: goes through disk
    async with client_for(sim) as client:
        first = (
            await client.post(
                "/api/file-stream-upload",
                files={"file": ("ref.bin", big)},
                data={"uploadPath": "atelier/refs", "fileName": "ref.bin"},
            )
        ).json()
        served = await client.get(first["data"]["downloadUrl"])
        second = (
            await client.post(
                "/api/file-stream-upload",
                files={"file": ("other.png", PNG_BYTES)},
                data={"uploadPath": "atelier/refs", "fileName": "ref.bin"},
            )
        ).json()
        served_again = await client.get(second["data"]["downloadUrl"])
    assert first["success"] is True and first["code"] == 200
    data = first["data"]
    assert data["fileName"] == "ref.bin" and data["filePath"] == "atelier/refs/ref.bin"
    assert data["fileSize"] == len(big) and data["uploadedAt"].endswith("Z")
    assert data["downloadUrl"] == f"{sim.base_url}/sim/files/atelier/refs/ref.bin"
    assert served.content == big
    assert second["data"]["downloadUrl"] == data["downloadUrl"]  # same path and name: overwritten
    assert served_again.content == PNG_BYTES
    assert len(sim.state.uploads) == 1
    leftovers = list((sim.state.uploads_dir / "atelier/refs").glob("*.part"))
    assert leftovers == []


@pytest.mark.asyncio
async def test_stream_upload_keeps_the_part_name_when_no_file_name(sim: RunningSimulator) -> None:
    async with client_for(sim) as client:
        answer = (
            await client.post(
                "/api/file-stream-upload",
                files={"file": ("photo.png", PNG_BYTES, "image/png")},
                data={"uploadPath": "u"},
            )
        ).json()
    assert answer["data"]["fileName"] == "photo.png" and answer["data"]["mimeType"] == "image/png"


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({}, "uploadPath"),
        ({"uploadPath": "../escape"}, "uploadPath"),
        ({"uploadPath": "ok", "fileName": ".."}, "fileName"),
    ],
)
async def test_stream_upload_refuses_bad_paths(sim: RunningSimulator, form: dict, field: str) -> None:
    async with client_for(sim) as client:
        answer = (
            await client.post("/api/file-stream-upload", files={"file": ("a.png", PNG_BYTES)}, data=form)
        ).json()
    assert answer["success"] is False and answer["code"] == 422 and field in answer["msg"]


@pytest.mark.asyncio
async def test_base64_upload_takes_raw_base64_and_data_urls(sim: RunningSimulator) -> None:
    encoded = base64.b64encode(PNG_BYTES).decode()
    async with client_for(sim) as client:
        raw = (
            await client.post(
                "/api/file-base64-upload",
                json={"base64Data": encoded, "uploadPath": "b64", "fileName": "raw.png"},
            )
        ).json()
        data_url = (
            await client.post(
                "/api/file-base64-upload",
                json={"base64Data": f"data:image/png;base64,{encoded}", "uploadPath": "b64"},
            )
        ).json()
        broken = (
            await client.post(
                "/api/file-base64-upload", json={"base64Data": "!!not base64!!", "uploadPath": "b64"}
            )
        ).json()
        served = await client.get(data_url["data"]["downloadUrl"])
    assert raw["data"]["fileSize"] == len(PNG_BYTES) and raw["data"]["mimeType"] == "image/png"
    assert data_url["data"]["fileName"].endswith(".png") and served.content == PNG_BYTES
    assert broken["code"] == 422 and "base64Data" in broken["msg"]


@pytest.mark.asyncio
async def test_url_upload_fetches_loopback_urls(sim: RunningSimulator) -> None:
    async with client_for(sim) as client:
        task_id = await create(
            client, "/api/v1/jobs/createTask", {"model": "google/imagen4", "input": {"prompt": "x"}}
        )
        image_url = f"{sim.base_url}/sim/media/{task_id}/result-0.png"
        answer = (
            await client.post("/api/file-url-upload", json={"fileUrl": image_url, "uploadPath": "from-url"})
        ).json()
        original = await client.get(image_url)
        copy = await client.get(answer["data"]["downloadUrl"])
    assert answer["code"] == 200 and answer["data"]["fileName"] == "result-0.png"
    assert copy.content == original.content and copy.content.startswith(b"\x89PNG")


@pytest.mark.asyncio
async def test_url_upload_refuses_non_loopback_without_contacting_it(
    sim: RunningSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    contacted: list[float] = []
    real_client = uploads.loopback_client

    def spy(timeout: float):  # type: ignore[no-untyped-def]
        contacted.append(timeout)
        return real_client(timeout)

    monkeypatch.setattr(uploads, "loopback_client", spy)
    async with client_for(sim) as client:
        answer = (
            await client.post(
                "/api/file-url-upload",
                json={"fileUrl": "https://files.example.com/cat.png", "uploadPath": "x"},
            )
        ).json()
        sneaky = (
            await client.post(
                "/api/file-url-upload",
                json={"fileUrl": "http://127.0.0.1.example.com/cat.png", "uploadPath": "x"},
            )
        ).json()
    assert answer["success"] is False and answer["code"] == 451 and sneaky["code"] == 451
    assert contacted == []
    blocked = [(entry.url, entry.purpose) for entry in sim.state.blocked_contacts]
    assert blocked == [
        ("https://files.example.com/cat.png", "file-url-upload"),
        ("http://127.0.0.1.example.com/cat.png", "file-url-upload"),
    ]


@pytest.mark.asyncio
async def test_download_url_for_generated_media_and_uploads_only(sim: RunningSimulator) -> None:
    async with client_for(sim) as client:
        task_id = await create(
            client, "/api/v1/jobs/createTask", {"model": "google/imagen4", "input": {"prompt": "x"}}
        )
        await poll_until(client, "/api/v1/jobs/recordInfo", task_id, lambda d: d["state"] == "success")
        media = f"{sim.base_url}/sim/media/{task_id}/result-0.png"
        link = (await client.post("/api/v1/common/download-url", json={"url": media})).json()
        fetched = await client.get(link["data"])
        upload = (
            await client.post(
                "/api/file-base64-upload",
                json={
                    "base64Data": base64.b64encode(b"hi").decode(),
                    "uploadPath": "d",
                    "fileName": "hi.txt",
                },
            )
        ).json()
        upload_link = (
            await client.post("/api/v1/common/download-url", json={"url": upload["data"]["downloadUrl"]})
        ).json()
        foreign = (
            await client.post("/api/v1/common/download-url", json={"url": "https://example.com/a.png"})
        ).json()
        missing = (await client.post("/api/v1/common/download-url", json={})).json()
    assert link["code"] == 200 and isinstance(link["data"], str) and "expires=" in link["data"]
    assert fetched.status_code == 200 and fetched.content.startswith(b"\x89PNG")
    assert upload_link["code"] == 200
    assert foreign["code"] == 422 and missing["code"] == 422


@pytest.mark.asyncio
async def test_uploads_left_on_disk_by_an_earlier_run_are_still_served(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from app.simulator.config import SimulatorConfig
    from app.simulator.testing import running_simulator

    config = SimulatorConfig(storage_dir=tmp_path)
    async with running_simulator(config) as first:
        async with client_for(first, key="k") as client:
            answer = (
                await client.post(
                    "/api/file-base64-upload",
                    json={
                        "base64Data": base64.b64encode(PNG_BYTES).decode(),
                        "uploadPath": "keep",
                        "fileName": "a.png",
                    },
                )
            ).json()
    async with running_simulator(SimulatorConfig(storage_dir=tmp_path)) as second:
        async with client_for(second, key="k") as client:
            served = await client.get(f"/sim/files/{answer['data']['filePath']}")
            escape = await client.get("/sim/files/..%2F..%2Fetc%2Fpasswd")
    assert served.content == PNG_BYTES and served.headers["content-type"] == "image/png"
    assert escape.status_code == 404
