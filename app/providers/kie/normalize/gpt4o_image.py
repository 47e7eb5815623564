"""GPT-4o image: `GET /api/v1/gpt4o-image/record-info`.

Carries both `status` (GENERATING, SUCCESS, CREATE_TASK_FAILED, GENERATE_FAILED) and
`successFlag` (0/1/2); `status` is the more specific when present. `progress` is a
string "0.00".."1.00".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.providers.kie.normalize.common import build_snapshot
from app.providers.kie.normalize.fields import (
    as_dict,
    as_int,
    first_present,
    parse_progress,
    parse_time,
    url_list,
)
from app.providers.kie.normalize.success_flag import flag_status
from app.providers.kie.types import TaskSnapshot
from app.store.status import TaskStatus

GPT4O_STATUSES: dict[str, TaskStatus] = {
    "GENERATING": TaskStatus.PROCESSING,
    "SUCCESS": TaskStatus.SUCCEEDED,
    "CREATE_TASK_FAILED": TaskStatus.FAILED,
    "GENERATE_FAILED": TaskStatus.FAILED,
}


def gpt4o_status(data: Mapping[str, Any]) -> tuple[TaskStatus, str]:
    word = str(data.get("status") or "").strip().upper()
    if word in GPT4O_STATUSES:
        return GPT4O_STATUSES[word], word
    if word.endswith("FAILED"):
        return TaskStatus.FAILED, word
    return flag_status(data.get("successFlag"))


def normalize_gpt4o_image(data: Mapping[str, Any]) -> TaskSnapshot:
    status, raw_state = gpt4o_status(data)
    response = as_dict(data.get("response"))
    return build_snapshot(
        data,
        status=status,
        raw_state=raw_state,
        progress=parse_progress(data.get("progress")),
        result_urls=url_list(first_present(response, "resultUrls", "result_urls")),
        fail_code=first_present(data, "errorCode", "failCode"),
        fail_message=first_present(data, "errorMessage", "failMsg"),
        cost_time_ms=as_int(data.get("costTime")),
        created_at=parse_time(data.get("createTime")),
        completed_at=parse_time(data.get("completeTime")),
    )
