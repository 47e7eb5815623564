"""Helpers for client tests: canned Kie answers served by `httpx.MockTransport`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from app.providers.kie import KieClient, RetryPolicy

BASE_URL = "https://kie.test"
UPLOAD_BASE_URL = "https://upload.kie.test"
API_KEY = "test-key-123"

Handler = Callable[[httpx.Request], httpx.Response | Awaitable[httpx.Response]]


async def no_sleep(_seconds: float) -> None:
    return None


class SleepRecorder:
    """A sleep that returns at once and remembers what it was asked to wait."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def fast_retry(max_attempts: int = 4, sleep: Any = no_sleep) -> RetryPolicy:
    return RetryPolicy(max_attempts=max_attempts, sleep=sleep)


def envelope(data: Any = None, code: int = 200, msg: str = "success", **extra: Any) -> dict:
    return {"code": code, "msg": msg, "data": data, **extra}


def ok(data: Any = None, status: int = 200, **extra: Any) -> httpx.Response:
    return httpx.Response(status, json=envelope(data, **extra))


def make_client(
    handler: Handler | httpx.AsyncBaseTransport, retry: RetryPolicy | None = None
) -> KieClient:
    """A client whose requests go to `handler` (wrapped in MockTransport) or to a transport."""
    transport = (
        handler if isinstance(handler, httpx.AsyncBaseTransport) else httpx.MockTransport(handler)
    )
    return KieClient(
        api_key=API_KEY,
        base_url=BASE_URL,
        upload_base_url=UPLOAD_BASE_URL,
        retry=retry or fast_retry(),
        transport=transport,
    )


class Recorder:
    """A handler that answers from a list (the last answer repeats) and keeps requests."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        index = min(len(self.requests), len(self.answers)) - 1
        answer = self.answers[index]
        if isinstance(answer, Exception):
            raise answer
        # A fresh copy each time: a response object belongs to one request.
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)

    @property
    def count(self) -> int:
        return len(self.requests)
