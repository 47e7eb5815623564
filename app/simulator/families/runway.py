"""Runway (/api/v1/runway/generate, record-detail) and Runway Aleph (/api/v1/aleph/...)."""

from __future__ import annotations

import json
from typing import Any

from app.providers.kie.families import ApiFamily
from app.simulator.catalog import RUNWAY, RUNWAY_ALEPH, ModelProfile
from app.simulator.config import SimulatorConfig
from app.simulator.envelope import SimError
from app.simulator.families.base import (
    TERMINAL,
    Family,
    clock_string,
    cover_url,
    iso_string,
    require_choice,
    require_text,
    result_urls,
)
from app.simulator.families.veo import success_flag
from app.simulator.state import SUCCESS, FailurePlan, SimTask

_RUNWAY_STATE = {
    "waiting": "wait",
    "queuing": "queueing",
    "generating": "generating",
    SUCCESS: "success",
    "fail": "fail",
}
_ASPECT_RATIOS = ("16:9", "9:16", "1:1", "4:3", "3:4")


class RunwayFamily(Family):
    api_family = ApiFamily.RUNWAY
    create_path = "/api/v1/runway/generate"
    query_path = "/api/v1/runway/record-detail"
    failures = (
        FailurePlan(500, "Video generation failed. Please try again later."),
        FailurePlan(400, "Content moderation failed: the prompt or image is not allowed."),
    )

    def resolve_model(self, body: dict[str, Any], config: SimulatorConfig) -> tuple[str, ModelProfile]:
        return "runway", RUNWAY

    def validate(self, body: dict[str, Any]) -> None:
        require_text(body, "prompt")
        duration = require_choice(body, "duration", (5, 10))
        quality = require_choice(body, "quality", ("720p", "1080p"))
        if duration == 10 and quality == "1080p":
            raise SimError(422, "quality 1080p is only available with duration 5")
        if not body.get("imageUrl"):
            require_choice(body, "aspectRatio", _ASPECT_RATIOS)

    def _video(self, task: SimTask, base: str) -> dict[str, str]:
        return {
            "videoId": f"{task.task_id[:16]}-video",
            "videoUrl": result_urls(task, base)[0],
            "imageUrl": cover_url(task, base),
        }

    def record(self, task: SimTask, now: float, base: str) -> dict[str, Any]:
        phase = task.phase_at(now)
        terminal = phase in TERMINAL
        return {
            "taskId": task.task_id,
            "parentTaskId": "",
            "generateParam": {
                "prompt": task.body.get("prompt", ""),
                "imageUrl": task.body.get("imageUrl", ""),
                "expandPrompt": True,
            },
            "state": _RUNWAY_STATE[phase],
            "generateTime": clock_string(task.created_at),
            "videoInfo": self._video(task, base) if phase == SUCCESS else None,
            "lastExtend": False,
            "expireFlag": 0,
            "failCode": task.failure.code if terminal and task.failure else None,
            "failMsg": task.failure.message if terminal and task.failure else "",
        }

    def final_callback(self, task: SimTask, base: str) -> dict[str, Any]:
        if task.failure:
            return {"code": task.failure.code, "msg": task.failure.message, "data": {"task_id": task.task_id}}
        video = self._video(task, base)
        return {
            "code": 200,
            "msg": "All generated successfully.",
            "data": {
                "task_id": task.task_id,
                "video_id": video["videoId"],
                "video_url": video["videoUrl"],
                "image_url": video["imageUrl"],
            },
        }


class AlephFamily(Family):
    api_family = ApiFamily.ALEPH
    create_path = "/api/v1/aleph/generate"
    query_path = "/api/v1/aleph/record-info"
    failures = (
        FailurePlan(500, "Video generation failed. Please try again later.", success_flag=3),
        FailurePlan(400, "Content moderation failed: the video is not allowed.", success_flag=2),
    )

    def resolve_model(self, body: dict[str, Any], config: SimulatorConfig) -> tuple[str, ModelProfile]:
        return "runway-aleph", RUNWAY_ALEPH

    def validate(self, body: dict[str, Any]) -> None:
        require_text(body, "prompt")
        require_text(body, "videoUrl")

    def _media(self, task: SimTask, base: str) -> dict[str, str]:
        return {"resultVideoUrl": result_urls(task, base)[0], "resultImageUrl": cover_url(task, base)}

    def record(self, task: SimTask, now: float, base: str) -> dict[str, Any]:
        phase = task.phase_at(now)
        terminal = phase in TERMINAL
        return {
            "taskId": task.task_id,
            "paramJson": json.dumps(task.body),
            "response": {"taskId": task.task_id, **self._media(task, base)} if phase == SUCCESS else None,
            "completeTime": iso_string(task.ends_at) if terminal else None,
            "createTime": iso_string(task.created_at),
            "successFlag": success_flag(task, phase),
            "errorCode": (task.failure.code if task.failure else 0) if terminal else 0,
            "errorMessage": task.failure.message if terminal and task.failure else "",
        }

    def final_callback(self, task: SimTask, base: str) -> dict[str, Any]:
        # Kie's Aleph callback carries taskId beside `data`, not inside it.
        if task.failure:
            return {
                "code": task.failure.code,
                "msg": task.failure.message,
                "data": None,
                "taskId": task.task_id,
            }
        media = self._media(task, base)
        return {
            "code": 200,
            "msg": "success",
            "data": {
                "result_video_url": media["resultVideoUrl"],
                "result_image_url": media["resultImageUrl"],
            },
            "taskId": task.task_id,
        }
