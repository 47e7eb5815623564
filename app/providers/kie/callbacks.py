"""Reading the JSON Kie POSTs to `callBackUrl`.

Each family posts its own shape (see the contract's "Callbacks"). A callback is only a
hint — the receiver verifies it, then queries the task's status now — so this parser
extracts what is useful for that (task id, a guess of the family, a status hint, any
result URLs) and refuses only payloads without a task id.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.providers.kie.envelope import coerce_code
from app.providers.kie.errors import InvalidCallbackError
from app.providers.kie.families import ApiFamily
from app.providers.kie.normalize.fields import as_dict, as_text, first_present, url_list
from app.providers.kie.normalize.market import market_status, read_market_result
from app.providers.kie.normalize.suno import read_suno_tracks
from app.providers.kie.types import CallbackHint
from app.store.status import TaskStatus

SUNO_CALLBACK_TYPES: dict[str, TaskStatus] = {
    "text": TaskStatus.PROCESSING,  # lyrics ready
    "first": TaskStatus.PROCESSING,  # first track ready
    "complete": TaskStatus.SUCCEEDED,
    "error": TaskStatus.FAILED,
}

# The answer a callback receiver sends back to Kie.
CALLBACK_ACK: dict[str, Any] = {"code": 200, "msg": "success"}

_FINISHED = (TaskStatus.SUCCEEDED, TaskStatus.FAILED)
MAX_TASK_ID_LENGTH = 128  # GenerationTask.provider_task_id's column

_Reading = tuple[ApiFamily | None, TaskStatus | None, list[str]]


def find_task_id(payload: Mapping[str, Any]) -> str | None:
    """`data.taskId` or `data.task_id` (Suno, Runway), else the same at the top level
    (Aleph puts `taskId` beside `data`)."""
    data = as_dict(payload.get("data"))
    for source in (data, payload):
        task_id = as_text(first_present(source, "taskId", "task_id"))
        if task_id:
            return task_id
    return None


def _status_from_code(payload: Mapping[str, Any]) -> TaskStatus | None:
    code = coerce_code(payload.get("code"))
    if code is None:
        return None
    return TaskStatus.SUCCEEDED if code == 200 else TaskStatus.FAILED


def _read_suno(payload: Mapping[str, Any], data: Mapping[str, Any]) -> _Reading:
    kind = str(first_present(data, "callbackType", "callback_type") or "").strip().lower()
    status = SUNO_CALLBACK_TYPES.get(kind)
    if _status_from_code(payload) is TaskStatus.FAILED:
        status = TaskStatus.FAILED
    urls, _, _ = read_suno_tracks(data.get("data"))
    return ApiFamily.SUNO, status, urls


def _read_market(payload: Mapping[str, Any], data: Mapping[str, Any]) -> _Reading:
    state = as_text(data.get("state"))
    state_status = market_status(state) if state else None
    status = state_status
    if state_status not in _FINISHED:
        # Kie sends a market callback only when the task ends ({code: 200 | 501}); a
        # state that still says running is a stale copy, so the code decides.
        status = _status_from_code(payload) or state_status
    urls, _, _ = read_market_result(data.get("resultJson"))
    return ApiFamily.MARKET, status, urls


def _read_info(payload: Mapping[str, Any], data: Mapping[str, Any]) -> _Reading:
    """Veo, GPT-4o image and Flux Kontext: results under `data.info`."""
    info = as_dict(data.get("info"))
    status = _status_from_code(payload)
    if "result_urls" in info:
        return ApiFamily.GPT4O_IMAGE, status, url_list(info.get("result_urls"))
    if "resultImageUrl" in info or "originImageUrl" in info:
        return ApiFamily.FLUX_KONTEXT, status, url_list(info.get("resultImageUrl"))
    if info or "fallbackFlag" in data:
        return ApiFamily.VEO, status, url_list(info.get("resultUrls"))
    return None, status, []


def _classify(payload: Mapping[str, Any], data: Mapping[str, Any]) -> _Reading:
    if "callbackType" in data or "callback_type" in data:
        return _read_suno(payload, data)
    if "resultJson" in data or ("state" in data and ("model" in data or "param" in data)):
        return _read_market(payload, data)
    if "result_video_url" in data or "resultVideoUrl" in data:
        urls = url_list(first_present(data, "result_video_url", "resultVideoUrl"))
        return ApiFamily.ALEPH, _status_from_code(payload), urls
    if "video_url" in data or "video_id" in data:
        return ApiFamily.RUNWAY, _status_from_code(payload), url_list(data.get("video_url"))
    if "info" in data or "fallbackFlag" in data:
        return _read_info(payload, data)
    if "promptJson" in data or "resultUrls" in data:
        return ApiFamily.MIDJOURNEY, _status_from_code(payload), url_list(data.get("resultUrls"))
    if "state" in data:
        return ApiFamily.MARKET, market_status(str(data["state"])), []
    # A failure callback often carries little beyond the task id: the family is
    # unknown here, but the receiver knows it from its own task row.
    return None, _status_from_code(payload), []


def parse_callback(payload: Any) -> CallbackHint:
    """Read one callback body. Raises `InvalidCallbackError` without a task id."""
    if not isinstance(payload, Mapping):
        raise InvalidCallbackError("callback body is not a JSON object", body=payload)
    task_id = find_task_id(payload)
    if not task_id:
        raise InvalidCallbackError("callback carries no task id", body=dict(payload))
    # Kie's ids are short and printable; a NUL or lone surrogate could not even be
    # looked up in PostgreSQL, nor a longer one stored (the column holds 128).
    if len(task_id) > MAX_TASK_ID_LENGTH or not task_id.isprintable():
        raise InvalidCallbackError("callback carries a task id Kie would not issue",
                                   body=dict(payload))
    family, status, urls = _classify(payload, as_dict(payload.get("data")))
    return CallbackHint(
        task_id=task_id,
        family_guess=family,
        status_hint=status,
        result_urls=urls,
        raw=dict(payload),
    )
