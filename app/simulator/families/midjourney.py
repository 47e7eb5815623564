"""Midjourney: /api/v1/mj/generate and /api/v1/mj/record-info."""

from __future__ import annotations

import json
from typing import Any

from app.providers.kie.families import ApiFamily
from app.simulator.catalog import MIDJOURNEY_TASK_TYPES, ModelProfile
from app.simulator.config import SimulatorConfig
from app.simulator.envelope import SimError
from app.simulator.families.base import (
    TERMINAL,
    Family,
    epoch_ms,
    optional_url_list,
    require_choice,
    require_text,
    result_urls,
)
from app.simulator.families.veo import success_flag
from app.simulator.state import SUCCESS, FailurePlan, SimTask

_NEEDS_FILES = ("mj_img2img", "mj_style_reference", "mj_omni_reference", "mj_video", "mj_video_hd")


class MidjourneyFamily(Family):
    api_family = ApiFamily.MIDJOURNEY
    create_path = "/api/v1/mj/generate"
    query_path = "/api/v1/mj/record-info"
    failures = (
        FailurePlan(500, "Midjourney generation failed. Please try again.", success_flag=3),
        FailurePlan(400, "Banned prompt detected. Please revise your prompt.", success_flag=2),
    )

    def resolve_model(self, body: dict[str, Any], config: SimulatorConfig) -> tuple[str, ModelProfile]:
        task_type = require_choice(body, "taskType", tuple(MIDJOURNEY_TASK_TYPES))
        return task_type, MIDJOURNEY_TASK_TYPES[task_type]

    def validate(self, body: dict[str, Any]) -> None:
        require_text(body, "prompt")
        if "speed" in body:
            require_choice(body, "speed", ("relaxed", "fast", "turbo"))
        if "version" in body:
            require_choice(body, "version", ("7", "6.1", "6", "5.2", "5.1", "niji6"))
        files = optional_url_list(body, "fileUrls") or ([body["fileUrl"]] if body.get("fileUrl") else [])
        if body["taskType"] in _NEEDS_FILES and not files:
            raise SimError(422, f"fileUrls is required for taskType {body['taskType']}")

    def record(self, task: SimTask, now: float, base: str) -> dict[str, Any]:
        phase = task.phase_at(now)
        terminal = phase in TERMINAL
        urls = result_urls(task, base) if phase == SUCCESS else []
        return {
            "taskId": task.task_id,
            "taskType": task.model,
            "paramJson": json.dumps(task.body),
            "completeTime": epoch_ms(task.ends_at) if terminal else None,
            "resultInfoJson": {"resultUrls": [{"resultUrl": url} for url in urls]},
            "successFlag": success_flag(task, phase),
            "createTime": epoch_ms(task.created_at),
            "errorCode": task.failure.code if terminal and task.failure else None,
            "errorMessage": task.failure.message if terminal and task.failure else "",
        }

    def final_callback(self, task: SimTask, base: str) -> dict[str, Any]:
        code, message = (task.failure.code, task.failure.message) if task.failure else (200, "success")
        urls = [] if task.failure else result_urls(task, base)
        return {
            "code": code,
            "msg": message,
            "data": {"taskId": task.task_id, "promptJson": json.dumps(task.body), "resultUrls": urls},
        }
