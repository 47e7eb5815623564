"""Runway: `GET /api/v1/runway/record-detail` (and Aleph when it answers in kind).

`state` is wait | queueing | generating | success | fail; the video sits in
`videoInfo: {videoId, videoUrl, imageUrl}`; `expireFlag=1` once the video is gone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.providers.kie.normalize.common import build_snapshot
from app.providers.kie.normalize.fields import (
    as_dict,
    as_flag,
    as_int,
    first_present,
    parse_progress,
    parse_time,
    put_urls,
    url_list,
)
from app.providers.kie.types import TaskSnapshot
from app.store.status import TaskStatus

RUNWAY_STATES: dict[str, TaskStatus] = {
    "wait": TaskStatus.PENDING,
    "waiting": TaskStatus.PENDING,
    "queueing": TaskStatus.PENDING,
    "queuing": TaskStatus.PENDING,
    "generating": TaskStatus.PROCESSING,
    "success": TaskStatus.SUCCEEDED,
    "fail": TaskStatus.FAILED,
    "failed": TaskStatus.FAILED,
}


def normalize_runway(data: Mapping[str, Any]) -> TaskSnapshot:
    raw_state = str(data.get("state") or "").strip()
    status = RUNWAY_STATES.get(raw_state.lower(), TaskStatus.PROCESSING)
    video = as_dict(data.get("videoInfo"))
    extras: dict[str, list[str]] = {}
    put_urls(extras, "cover", first_present(video, "imageUrl", "image_url"))
    return build_snapshot(
        data,
        status=status,
        raw_state=raw_state or "unknown",
        progress=parse_progress(data.get("progress")),
        result_urls=url_list(first_present(video, "videoUrl", "video_url")),
        extra_outputs=extras,
        fail_code=data.get("failCode"),
        fail_message=first_present(data, "failMsg", "failMessage"),
        cost_time_ms=as_int(data.get("costTime")),
        # `generateTime` is when generation was requested (no completion time is
        # documented for Runway), so it stands in for a missing createTime only.
        created_at=parse_time(first_present(data, "createTime", "generateTime")),
        completed_at=parse_time(data.get("completeTime")),
        media_expired=as_flag(data.get("expireFlag")),
    )
