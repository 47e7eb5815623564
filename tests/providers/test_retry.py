"""The retry policy: safe calls retried with capped backoff; creates sent once."""

from __future__ import annotations

import httpx
import pytest

from app.providers.kie import (
    ApiFamily,
    KieAuthError,
    KieConnectionError,
    KieInsufficientCreditsError,
    KieMaintenanceError,
    KieRateLimitedError,
    KieRejectedInputError,
    KieServerError,
    KieTimeoutError,
    KieUnknownOutcomeError,
    KieValidationError,
    RetryPolicy,
)
from app.store.status import TaskStatus

from .fakes import Recorder, SleepRecorder, fast_retry, make_client, ok

RUNNING = ok({"taskId": "t1", "state": "generating"})


def failing(code: int, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json={"code": code, "msg": f"code {code}"})


# --- the policy on its own -------------------------------------------------------------


def test_backoff_doubles_up_to_the_cap_without_jitter():
    policy = RetryPolicy(base_delay=0.25, max_delay=1.0, jitter=False)
    assert [policy.delay_before_retry(n) for n in range(1, 6)] == [0.25, 0.5, 1.0, 1.0, 1.0]


def test_full_jitter_draws_between_zero_and_the_cap():
    policy = RetryPolicy(base_delay=1.0, max_delay=5.0, rand=lambda: 0.5)
    assert policy.delay_before_retry(3) == 2.0  # half of min(5, 1 * 2**2)
    assert RetryPolicy(rand=lambda: 0.0).delay_before_retry(1) == 0.0


def test_policy_refuses_nonsense():
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)


# --- safe calls ------------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "first_failure",
    [
        failing(500),
        failing(500, status=500),
        httpx.Response(502, content=b"Bad Gateway"),
        failing(455),
        httpx.Response(200, content=b"not json"),
        httpx.ReadTimeout("slow"),
        httpx.ConnectError("refused"),
        httpx.RemoteProtocolError("dropped"),
    ],
    ids=[
        "body-500",
        "http-500",
        "http-502",
        "maintenance",
        "garbled",
        "timeout",
        "connect",
        "dropped",
    ],
)
async def test_status_query_recovers_from_transient_trouble(first_failure):
    sleeps = SleepRecorder()
    recorder = Recorder(first_failure, first_failure, RUNNING)
    async with make_client(recorder, retry=fast_retry(sleep=sleeps)) as client:
        snapshot = await client.get_task(ApiFamily.MARKET, "t1")
    assert snapshot.status is TaskStatus.PROCESSING
    assert recorder.count == 3
    assert len(sleeps.delays) == 2


@pytest.mark.asyncio
async def test_status_query_gives_up_after_max_attempts_with_the_last_error():
    recorder = Recorder(failing(455))
    async with make_client(recorder, retry=fast_retry(max_attempts=3)) as client:
        with pytest.raises(KieMaintenanceError):
            await client.get_task(ApiFamily.VEO, "t1")
    assert recorder.count == 3


@pytest.mark.asyncio
async def test_status_query_timeouts_end_as_timeout_errors():
    recorder = Recorder(httpx.ReadTimeout("slow"))
    async with make_client(recorder, retry=fast_retry(max_attempts=2)) as client:
        with pytest.raises(KieTimeoutError):
            await client.get_task(ApiFamily.MARKET, "t1")
    assert recorder.count == 2


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("code", "error_class"),
    [
        (400, KieRejectedInputError),
        (401, KieAuthError),
        (402, KieInsufficientCreditsError),
        (422, KieValidationError),
        (429, KieRateLimitedError),
    ],
)
async def test_final_answers_are_never_repeated(code, error_class):
    recorder = Recorder(failing(code), RUNNING)
    async with make_client(recorder) as client:
        with pytest.raises(error_class):
            await client.get_task(ApiFamily.MARKET, "t1")
    assert recorder.count == 1


@pytest.mark.asyncio
async def test_credits_and_download_url_are_retried_too():
    credits = Recorder(failing(500), ok(10))
    async with make_client(credits) as client:
        assert await client.get_credits() == 10
    links = Recorder(httpx.ConnectError("refused"), ok("https://tempfile.test/x"))
    async with make_client(links) as client:
        assert await client.get_download_url("https://tempfile.test/a") == "https://tempfile.test/x"
    assert (credits.count, links.count) == (2, 2)


# --- creates ---------------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "failure",
    [failing(500), failing(455), httpx.Response(503, content=b"busy"), failing(429, status=429)],
    ids=["server", "maintenance", "http-503", "rate-limited"],
)
async def test_create_is_sent_exactly_once_whatever_the_answer(failure):
    recorder = Recorder(failure, ok({"taskId": "second"}))
    async with make_client(recorder) as client:
        with pytest.raises((KieServerError, KieMaintenanceError, KieRateLimitedError)):
            await client.create_task(ApiFamily.MARKET, {"model": "m", "input": {}})
    assert recorder.count == 1


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "lost_answer",
    [
        httpx.ReadTimeout("slow"),
        httpx.ReadError("reset"),
        httpx.RemoteProtocolError("eof"),
        httpx.WriteTimeout("stuck"),
    ],
    ids=["read-timeout", "read-error", "dropped", "write-timeout"],
)
async def test_create_whose_answer_is_lost_is_an_unknown_outcome(lost_answer):
    recorder = Recorder(lost_answer, ok({"taskId": "second"}))
    async with make_client(recorder) as client:
        with pytest.raises(KieUnknownOutcomeError) as caught:
            await client.create_task(ApiFamily.MARKET, {"model": "m", "input": {}})
    assert recorder.count == 1
    assert caught.value.retryable is False
    assert caught.value.kind == "unknown_outcome"


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("never_sent", "error_class"),
    [
        (httpx.ConnectError("refused"), KieConnectionError),
        (httpx.ConnectTimeout("no route"), KieTimeoutError),
        (httpx.PoolTimeout("pool full"), KieTimeoutError),
    ],
)
async def test_create_that_never_left_is_a_plain_transport_error(never_sent, error_class):
    recorder = Recorder(never_sent, ok({"taskId": "second"}))
    async with make_client(recorder) as client:
        with pytest.raises(error_class) as caught:
            await client.create_task(ApiFamily.MARKET, {"model": "m", "input": {}})
    assert recorder.count == 1
    assert caught.value.retryable is True
