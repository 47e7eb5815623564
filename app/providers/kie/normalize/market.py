"""The market ("jobs") API: `GET /api/v1/jobs/recordInfo`.

`state` is waiting | queuing | generating | success | fail. `resultJson` and `param` are
JSON strings (empty or null until success); media results sit in `resultUrls`, text
results in `resultObject`, and some models add more URL keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.providers.kie.normalize.common import build_snapshot
from app.providers.kie.normalize.fields import (
    as_dict,
    as_int,
    looks_like_url,
    parse_json_text,
    parse_progress,
    parse_time,
    put_urls,
    snake_case,
    url_list,
)
from app.providers.kie.types import TaskSnapshot
from app.store.status import TaskStatus

MARKET_STATES: dict[str, TaskStatus] = {
    "waiting": TaskStatus.PENDING,
    "queuing": TaskStatus.PENDING,
    "queueing": TaskStatus.PENDING,
    "generating": TaskStatus.PROCESSING,
    "success": TaskStatus.SUCCEEDED,
    "fail": TaskStatus.FAILED,
    "failed": TaskStatus.FAILED,
}

# resultJson keys with a known role; any other key holding URLs is kept in snake_case.
_KNOWN_EXTRA_KEYS = {
    "resultWaterMarkUrls": "watermarked",
    "resultWatermarkUrls": "watermarked",
    "originUrls": "origin",
    "firstFrameUrl": "first_frame",
    "lastFrameUrl": "last_frame",
}
_MAIN_KEYS = ("resultUrls", "resultObject")


def market_status(state: str) -> TaskStatus:
    # An unknown word means a state Kie added; keep polling (the engine's deadline
    # bounds it) rather than calling it failed.
    return MARKET_STATES.get(state.strip().lower(), TaskStatus.PROCESSING)


def read_market_result(result_json: Any) -> tuple[list[str], dict[str, list[str]], dict | None]:
    """(result_urls, extra_outputs, result_object) from `resultJson` (text or object).

    Shared with the callback parser, whose market payload carries the same `data`.
    """
    result = as_dict(result_json)
    urls = url_list(result.get("resultUrls"))
    extras: dict[str, list[str]] = {}
    for key, value in result.items():
        if key in _MAIN_KEYS:
            continue
        role = _KNOWN_EXTRA_KEYS.get(key)
        if role is None:
            candidates = url_list(value) if isinstance(value, (str, list)) else []
            if not candidates or not all(looks_like_url(u) for u in candidates):
                continue
            role = snake_case(key)
        put_urls(extras, role, value)
    return urls, extras, _result_object(result.get("resultObject"))


def _result_object(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    decoded = parse_json_text(value) if isinstance(value, str) else value
    if isinstance(decoded, dict):
        return decoded
    # A text model answering with bare text (or a list) still has a result worth keeping.
    return {"value": decoded if decoded is not None else value}


def normalize_market(data: Mapping[str, Any]) -> TaskSnapshot:
    raw_state = str(data.get("state") or "").strip()
    status = market_status(raw_state)
    urls, extras, result_object = read_market_result(data.get("resultJson"))
    return build_snapshot(
        data,
        status=status,
        raw_state=raw_state or "unknown",
        progress=parse_progress(data.get("progress")),
        result_urls=urls,
        extra_outputs=extras,
        result_object=result_object,
        fail_code=data.get("failCode"),
        fail_message=data.get("failMsg") or data.get("failMessage"),
        cost_time_ms=as_int(data.get("costTime")),
        created_at=parse_time(data.get("createTime")),
        completed_at=parse_time(data.get("completeTime")),
    )
