"""Result URLs lead to real files: PNG images, WAV audio, browser-playable MP4 video."""

from __future__ import annotations

import json

import pytest

from app.simulator.testing import RunningSimulator
from tests.simulator.conftest import client_for, create, poll_until

MARKET = "/api/v1/jobs/createTask"


async def _result_urls(sim: RunningSimulator, model: str) -> list[str]:
    async with client_for(sim) as client:
        task_id = await create(
            client, MARKET, {"model": model, "input": {"prompt": "a fox at dawn", "text": "hi"}}
        )
        seen = await poll_until(client, "/api/v1/jobs/recordInfo", task_id, lambda d: d["state"] == "success")
    return json.loads(seen[-1]["resultJson"])["resultUrls"]


@pytest.mark.asyncio
async def test_image_results_are_png_and_stable(sim: RunningSimulator) -> None:
    (url,) = await _result_urls(sim, "google/imagen4-fast")
    async with client_for(sim, key=None) as client:  # media hosts need no key
        first = await client.get(url)
        again = await client.get(url)
    assert first.status_code == 200 and first.headers["content-type"] == "image/png"
    assert first.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert again.content == first.content


@pytest.mark.asyncio
async def test_audio_results_are_wav(sim: RunningSimulator) -> None:
    (url,) = await _result_urls(sim, "elevenlabs/text-to-speech-turbo-2-5")
    async with client_for(sim) as client:
        response = await client.get(url)
    assert url.endswith(".wav") and response.headers["content-type"] == "audio/wav"
    assert response.content[:4] == b"RIFF" and response.content[8:12] == b"WAVE"
    assert len(response.content) > 100_000  # a few seconds, not a stub


@pytest.mark.asyncio
async def test_video_results_are_faststart_h264_mp4_with_range_support(sim: RunningSimulator) -> None:
    (url,) = await _result_urls(sim, "kling/v2-1-pro")
    async with client_for(sim) as client:
        whole = await client.get(url)
        part = await client.get(url, headers={"Range": "bytes=0-99"})
    body = whole.content
    assert whole.headers["content-type"] == "video/mp4" and body[4:8] == b"ftyp"
    assert b"avc1" in body  # H.264
    assert body.index(b"moov") < body.index(b"mdat")  # playable before fully downloaded
    assert part.status_code == 206 and part.content == body[:100]


@pytest.mark.asyncio
async def test_suno_songs_and_covers_are_real_files(sim: RunningSimulator) -> None:
    body = {"prompt": "a song", "model": "V4_5", "callBackUrl": "http://callbacks.invalid/s"}
    async with client_for(sim) as client:
        task_id = await create(client, "/api/v1/generate", body)
        seen = await poll_until(
            client, "/api/v1/generate/record-info", task_id, lambda d: d["status"] == "SUCCESS"
        )
        track = seen[-1]["response"]["sunoData"][0]
        audio = await client.get(track["audioUrl"])
        cover = await client.get(track["imageUrl"])
    assert audio.content[:4] == b"RIFF" and cover.content.startswith(b"\x89PNG")
    assert track["duration"] > 0


@pytest.mark.asyncio
async def test_media_of_unknown_tasks_is_a_404(sim: RunningSimulator) -> None:
    async with client_for(sim) as client:
        response = await client.get("/sim/media/0123/result-0.png")
    assert response.status_code == 404
