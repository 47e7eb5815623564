"""Create and status-query handlers shared by every endpoint family."""

from __future__ import annotations

import json
import time
from collections import deque
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from app.simulator.callbacks import schedule_callbacks
from app.simulator.envelope import SimError, base_url_for, envelope
from app.simulator.families import Family
from app.simulator.families.veo import VeoFamily
from app.simulator.media import seed_of
from app.simulator.pipeline import header_number, read_json_object
from app.simulator.state import SimTask, SimulatorState


# A prompt holding this marker always fails: lets a demo (and a browser test, which
# cannot set headers) show what a failed generation looks like.
FAIL_MARKER = "[sim:fail]"


def _forced_failure(request: Request, state: SimulatorState, body: dict) -> bool:
    """X-Sim-Outcome: success|fail overrides the failure_rate draw for one create;
    so does FAIL_MARKER anywhere in the request body."""
    forced = request.headers.get("x-sim-outcome", "").lower()
    if forced in ("fail", "failure") or FAIL_MARKER in json.dumps(body):
        return True
    if forced == "success":
        return False
    return state.roll(state.config.failure_rate)


async def create_task(request: Request, state: SimulatorState, family: Family) -> Response:
    config = state.config
    body = await read_json_object(request)
    model, profile = family.resolve_model(body, config)
    family.validate(body)
    callback_url = body.get("callBackUrl")
    if callback_url is not None and not isinstance(callback_url, str):
        raise SimError(422, "callBackUrl must be a string")
    if state.credits < profile.cost:
        raise SimError(402)
    fails = _forced_failure(request, state, body)
    scale = header_number(request, "X-Sim-Time-Scale", config.time_scale)
    stages = [(name, seconds * scale) for name, seconds in family.plan_stages(profile, state.rng, fails)]
    failure = state.rng.choice(family.failures) if fails else None
    task_id = state.new_task_id()
    task = SimTask(
        task_id=task_id,
        family=family.api_family,
        model=model,
        profile=profile,
        body=body,
        created_at=time.time(),
        stages=stages,
        failure=failure,
        base_url=base_url_for(request, config),
        callback_url=callback_url or None,
        outputs=family.outputs(body, profile),
        media_seed=seed_of(task_id),
    )
    state.tasks[task_id] = task
    state.credits -= profile.cost
    if task.callback_url:
        schedule_callbacks(state, family, task)
    return envelope(config, 200, "success", {"taskId": task_id})


def _enforce_per_task_query_limit(state: SimulatorState, task_id: str) -> None:
    limit = state.config.per_task_queries_per_second
    if limit <= 0:
        return
    now = time.monotonic()
    recent = state.recent_task_queries.setdefault(task_id, deque())
    while recent and now - recent[0] >= 1.0:
        recent.popleft()
    if len(recent) >= limit:
        raise SimError(429, f"Too many status queries for this task: at most {limit} per second")
    recent.append(now)


def _task_for_query(request: Request, state: SimulatorState, family: Family) -> SimTask:
    task_id = request.query_params.get("taskId")
    if not task_id:
        raise SimError(422, "taskId is required")
    if family.query_rate_limited:
        _enforce_per_task_query_limit(state, task_id)
    task = state.tasks.get(task_id)
    if task is None or task.family is not family.api_family:
        raise SimError(404, "recordInfo is null: task not found")
    if state.query_counts[task_id] <= state.config.not_found_lag_queries:
        # A task Kie has just accepted is not always visible to the status query yet.
        raise SimError(404, "recordInfo is null: task not found")
    return task


async def query_task(request: Request, state: SimulatorState, family: Family) -> Response:
    task = _task_for_query(request, state, family)
    data: dict[str, Any] = family.record(task, time.time(), base_url_for(request, state.config))
    return envelope(state.config, 200, "success", data)


async def veo_full_hd(request: Request, state: SimulatorState, family: VeoFamily) -> Response:
    task = _task_for_query(request, state, family)
    raw_index = request.query_params.get("index", "0")
    if not raw_index.isdigit():
        raise SimError(422, "index must be a non-negative integer")
    url = family.full_hd_url(task, time.time(), base_url_for(request, state.config), int(raw_index))
    return envelope(state.config, 200, "success", {"resultUrl": url})
