"""Each KieClient call: path, host, headers, body, and how the answer is read."""

from __future__ import annotations

import json

import httpx
import pytest

from app.providers.kie import (
    ApiFamily,
    KieAuthError,
    KieMalformedResponseError,
    KieUnknownOutcomeError,
    KieValidationError,
)
from app.store.status import TaskStatus

from .fakes import API_KEY, Recorder, fast_retry, make_client, ok

CREATE_PATHS = {
    ApiFamily.MARKET: "/api/v1/jobs/createTask",
    ApiFamily.VEO: "/api/v1/veo/generate",
    ApiFamily.SUNO: "/api/v1/generate",
    ApiFamily.MIDJOURNEY: "/api/v1/mj/generate",
    ApiFamily.GPT4O_IMAGE: "/api/v1/gpt4o-image/generate",
    ApiFamily.FLUX_KONTEXT: "/api/v1/flux/kontext/generate",
    ApiFamily.RUNWAY: "/api/v1/runway/generate",
    ApiFamily.ALEPH: "/api/v1/aleph/generate",
}
STATUS_PATHS = {
    ApiFamily.MARKET: "/api/v1/jobs/recordInfo",
    ApiFamily.VEO: "/api/v1/veo/record-info",
    ApiFamily.SUNO: "/api/v1/generate/record-info",
    ApiFamily.MIDJOURNEY: "/api/v1/mj/record-info",
    ApiFamily.GPT4O_IMAGE: "/api/v1/gpt4o-image/record-info",
    ApiFamily.FLUX_KONTEXT: "/api/v1/flux/kontext/record-info",
    ApiFamily.RUNWAY: "/api/v1/runway/record-detail",
    ApiFamily.ALEPH: "/api/v1/aleph/record-info",
}


@pytest.mark.asyncio
@pytest.mark.parametrize("family", list(ApiFamily))
async def test_create_posts_the_body_to_the_family_path_and_returns_the_task_id(family):
    recorder = Recorder(ok({"taskId": "abc123"}))
    body = {"model": "google/imagen4-fast", "input": {"prompt": "a fox"}}
    async with make_client(recorder) as client:
        task_id = await client.create_task(family, body, callback_url="https://me.test/cb")
    assert task_id == "abc123"
    request = recorder.requests[0]
    assert request.method == "POST"
    assert request.url.host == "kie.test"
    assert request.url.path == CREATE_PATHS[family]
    assert request.headers["Authorization"] == f"Bearer {API_KEY}"
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.content) == {**body, "callBackUrl": "https://me.test/cb"}
    assert "callBackUrl" not in body  # the caller's dict is left alone


@pytest.mark.asyncio
async def test_create_without_callback_sends_no_callback_field():
    recorder = Recorder(ok({"taskId": "abc123"}))
    async with make_client(recorder) as client:
        await client.create_task(ApiFamily.VEO, {"prompt": "waves"})
    assert json.loads(recorder.requests[0].content) == {"prompt": "waves"}


@pytest.mark.asyncio
async def test_create_reads_a_snake_case_task_id():
    async with make_client(Recorder(ok({"task_id": "t_9"}))) as client:
        assert await client.create_task(ApiFamily.RUNWAY, {"prompt": "x"}) == "t_9"


@pytest.mark.asyncio
async def test_create_accepted_without_task_id_is_an_unknown_outcome():
    async with make_client(Recorder(ok({}))) as client:
        with pytest.raises(KieUnknownOutcomeError):
            await client.create_task(ApiFamily.MARKET, {"model": "m", "input": {}})


@pytest.mark.asyncio
async def test_create_with_garbled_answer_is_an_unknown_outcome_not_a_retry():
    recorder = Recorder(httpx.Response(200, content=b'{"code": 200, "data": {"taskI'))
    async with make_client(recorder) as client:
        with pytest.raises(KieUnknownOutcomeError):
            await client.create_task(ApiFamily.MARKET, {"model": "m", "input": {}})
    assert recorder.count == 1


@pytest.mark.asyncio
async def test_create_behind_a_timed_out_gateway_is_an_unknown_outcome():
    recorder = Recorder(httpx.Response(504, content=b"<html>Gateway Time-out</html>"))
    async with make_client(recorder) as client:
        with pytest.raises(KieUnknownOutcomeError):
            await client.create_task(ApiFamily.MARKET, {"model": "m", "input": {}})


@pytest.mark.asyncio
async def test_create_validation_error_names_the_field():
    recorder = Recorder(ok(None, code=422, msg="input.aspect_ratio is not supported"))
    async with make_client(recorder) as client:
        with pytest.raises(KieValidationError, match="aspect_ratio"):
            await client.create_task(ApiFamily.MARKET, {"model": "m", "input": {}})


@pytest.mark.asyncio
@pytest.mark.parametrize("family", list(ApiFamily))
async def test_get_task_queries_the_family_status_path(family):
    recorder = Recorder(
        ok({"taskId": "t1", "state": "waiting", "successFlag": 0, "status": "PENDING"})
    )
    async with make_client(recorder) as client:
        snapshot = await client.get_task(family, "t1")
    request = recorder.requests[0]
    assert request.method == "GET"
    assert request.url.path == STATUS_PATHS[family]
    assert request.url.params["taskId"] == "t1"
    assert snapshot.status in (TaskStatus.PENDING, TaskStatus.PROCESSING)


@pytest.mark.asyncio
async def test_get_task_without_data_object_is_malformed():
    async with make_client(Recorder(ok(None)), retry=fast_retry(max_attempts=1)) as client:
        with pytest.raises(KieMalformedResponseError):
            await client.get_task(ApiFamily.MARKET, "t1")


@pytest.mark.asyncio
async def test_get_veo_1080p_returns_the_result_url():
    recorder = Recorder(ok({"resultUrl": "https://tempfile.test/v1080.mp4"}))
    async with make_client(recorder) as client:
        url = await client.get_veo_1080p("veo_1", index=1)
    assert url == "https://tempfile.test/v1080.mp4"
    request = recorder.requests[0]
    assert request.url.path == "/api/v1/veo/get-1080p-video"
    assert dict(request.url.params) == {"taskId": "veo_1", "index": "1"}


@pytest.mark.asyncio
@pytest.mark.parametrize("data", [1234.5, "1234.5", {"credits": 1234.5}])
async def test_get_credits_reads_a_number(data):
    recorder = Recorder(ok(data))
    async with make_client(recorder) as client:
        assert await client.get_credits() == 1234.5
    assert recorder.requests[0].url.path == "/api/v1/chat/credit"


@pytest.mark.asyncio
async def test_get_credits_with_a_bad_key_is_an_auth_error():
    async with make_client(Recorder(ok(None, code=401, msg="Unauthorized"))) as client:
        with pytest.raises(KieAuthError):
            await client.get_credits()


@pytest.mark.asyncio
async def test_get_download_url_posts_the_url_and_returns_the_bare_string():
    recorder = Recorder(ok("https://tempfile.test/signed?x=1"))
    async with make_client(recorder) as client:
        url = await client.get_download_url("https://tempfile.test/a.png")
    assert url == "https://tempfile.test/signed?x=1"
    request = recorder.requests[0]
    assert (request.method, request.url.path) == ("POST", "/api/v1/common/download-url")
    assert json.loads(request.content) == {"url": "https://tempfile.test/a.png"}


@pytest.mark.asyncio
async def test_download_url_for_a_foreign_url_is_a_validation_error():
    recorder = Recorder(ok(None, code=422, msg="url is not generated by kie"))
    async with make_client(recorder) as client:
        with pytest.raises(KieValidationError):
            await client.get_download_url("https://elsewhere.test/a.png")
    assert recorder.count == 1


@pytest.mark.asyncio
async def test_client_never_shows_the_key_and_closes_its_pool():
    client = make_client(Recorder(ok(1)))
    assert API_KEY not in repr(client)
    async with client:
        pass
    assert client._http.is_closed
