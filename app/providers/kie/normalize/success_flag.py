"""Families reporting `successFlag`: Veo, Midjourney, Flux Kontext and Runway Aleph.

0 generating, 1 success, 2 failed, 3 generation failed. Each family keeps its results
in its own place, so each has a small reader; the flag rules are shared.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from app.providers.kie.normalize.common import build_snapshot
from app.providers.kie.normalize.fields import (
    as_dict,
    as_int,
    first_present,
    parse_progress,
    parse_time,
    put_urls,
    url_list,
)
from app.providers.kie.types import TaskSnapshot
from app.store.status import TaskStatus

SUCCESS_FLAGS: dict[int, TaskStatus] = {
    0: TaskStatus.PROCESSING,
    1: TaskStatus.SUCCEEDED,
    2: TaskStatus.FAILED,
    3: TaskStatus.FAILED,
}

Outputs = tuple[list[str], dict[str, list[str]]]


def flag_status(value: Any) -> tuple[TaskStatus, str]:
    """(status, raw_state) for a successFlag; a missing or unknown flag keeps polling."""
    flag = as_int(value)
    if flag is None:
        return TaskStatus.PROCESSING, "successFlag=missing"
    return SUCCESS_FLAGS.get(flag, TaskStatus.PROCESSING), f"successFlag={flag}"


def veo_outputs(data: Mapping[str, Any]) -> Outputs:
    response = as_dict(data.get("response"))
    extras: dict[str, list[str]] = {}
    put_urls(extras, "origin", response.get("originUrls"))
    return url_list(response.get("resultUrls")), extras


def midjourney_outputs(data: Mapping[str, Any]) -> Outputs:
    # resultInfoJson: {"resultUrls": [{"resultUrl": ...}, ...]}, maybe as a JSON string.
    info = as_dict(data.get("resultInfoJson"))
    return url_list(info.get("resultUrls")), {}


def flux_kontext_outputs(data: Mapping[str, Any]) -> Outputs:
    response = as_dict(data.get("response"))
    extras: dict[str, list[str]] = {}
    put_urls(extras, "origin", response.get("originImageUrl"))
    return url_list(response.get("resultImageUrl")), extras


def aleph_outputs(data: Mapping[str, Any]) -> Outputs:
    response = as_dict(data.get("response"))
    extras: dict[str, list[str]] = {}
    put_urls(extras, "cover", response.get("resultImageUrl"))
    return url_list(response.get("resultVideoUrl")), extras


def normalize_success_flag(
    data: Mapping[str, Any], read_outputs: Callable[[Mapping[str, Any]], Outputs]
) -> TaskSnapshot:
    status, raw_state = flag_status(data.get("successFlag"))
    urls, extras = read_outputs(data)
    return build_snapshot(
        data,
        status=status,
        raw_state=raw_state,
        progress=parse_progress(data.get("progress")),
        result_urls=urls,
        extra_outputs=extras,
        fail_code=first_present(data, "errorCode", "failCode"),
        fail_message=first_present(data, "errorMessage", "failMsg"),
        cost_time_ms=as_int(data.get("costTime")),
        created_at=parse_time(data.get("createTime")),
        completed_at=parse_time(data.get("completeTime")),
    )
