"""What every API call goes through before its handler: counting, latency, auth,
forced and random errors, malformed bodies, the account rate limit and timeouts.

Request headers can steer one call: `X-Sim-Error: <code>` answers that body code,
`X-Sim-Latency-Ms: <ms>` replaces the configured latency.
"""

from __future__ import annotations

import asyncio
import enum
import hmac
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from app.simulator.envelope import SimError, envelope, malformed_json
from app.simulator.state import SimulatorState

Handler = Callable[[Request, SimulatorState], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]


class CallKind(enum.Enum):
    CREATE = "create"  # paid: counted, rate limited, create error rates
    QUERY = "query"  # status query: counted per taskId, query error rates
    ACCOUNT = "account"  # credits, download-url
    UPLOAD = "upload"  # upload host: answers carry `success`


def check_auth(request: Request, state: SimulatorState) -> None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise SimError(401, "You do not have access permissions: missing Authorization Bearer key")
    expected = state.config.api_key
    if expected is not None and not hmac.compare_digest(token.strip().encode(), expected.encode()):
        raise SimError(401, "You do not have access permissions")


def header_number(request: Request, name: str, default: float) -> float:
    """A numeric X-Sim-* steering header, or `default` when absent."""
    raw = request.headers.get(name)
    if raw is None:
        return default
    try:
        return float(raw)
    except ValueError:
        raise SimError(422, f"{name} must be a number") from None


def _enforce_rate_limit(state: SimulatorState) -> None:
    """Sliding window over accepted requests; over it the call is rejected, not queued."""
    config = state.config
    if config.rate_limit_creates <= 0:
        return
    now = time.monotonic()
    window = state.accepted_request_times
    while window and now - window[0] >= config.rate_limit_window_seconds:
        window.popleft()
    if len(window) >= config.rate_limit_creates:
        raise SimError(429, "The request limit has been exceeded. Please try again later.")
    window.append(now)


def _roll_error(state: SimulatorState, rates: dict[int, float]) -> None:
    for code, rate in sorted(rates.items()):
        if state.roll(rate):
            raise SimError(code)


def guarded(state: SimulatorState, kind: CallKind, handler: Handler) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        config = state.config
        state.route_counts[request.url.path] += 1
        if kind is CallKind.CREATE:
            state.create_calls += 1
        task_id = request.query_params.get("taskId")
        if kind is CallKind.QUERY and task_id:
            state.query_counts[task_id] += 1
            # Two clients asking about one task at the same moment: a sign that two
            # workers track it (leases exist to prevent exactly that).
            if state.queries_in_progress[task_id]:
                state.overlapping_queries[task_id] += 1
            state.queries_in_progress[task_id] += 1
            try:
                return await _answer(request, state, kind, handler)
            finally:
                state.queries_in_progress[task_id] -= 1
        return await _answer(request, state, kind, handler)

    return endpoint


async def _answer(request: Request, state: SimulatorState, kind: CallKind,
                  handler: Handler) -> Response:
    config = state.config
    upload = kind is CallKind.UPLOAD
    try:
        latency_ms = header_number(request, "X-Sim-Latency-Ms", config.latency_ms)
        if latency_ms > 0:
            await asyncio.sleep(latency_ms / 1000)
        check_auth(request, state)
        forced = header_number(request, "X-Sim-Error", 0)
        if forced:
            raise SimError(int(forced))
        if state.roll(config.malformed_json_rate):
            return malformed_json()
        if kind is CallKind.CREATE or (kind is CallKind.QUERY and config.rate_limit_counts_queries):
            _enforce_rate_limit(state)
        if kind is CallKind.CREATE:
            _roll_error(state, config.create_error_rates)
        elif kind is CallKind.QUERY:
            _roll_error(state, config.query_error_rates)
        response = await handler(request, state)
    except SimError as error:
        response = envelope(config, error.code, error.message, upload=upload)
    if state.roll(config.timeout_rate):
        # The work is done (a create's task exists) but the answer comes too late:
        # the case where a client cannot know whether its paid POST went through.
        await asyncio.sleep(config.timeout_sleep_seconds)
    return response


async def read_json_object(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        body = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError):
        raise SimError(422, "Request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise SimError(422, "Request body must be a JSON object")
    return body
