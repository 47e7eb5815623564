"""Veo 3: /api/v1/veo/generate, /api/v1/veo/record-info, /api/v1/veo/get-1080p-video."""

from __future__ import annotations

import json
from typing import Any

from app.providers.kie.families import ApiFamily
from app.simulator.catalog import VEO_MODELS, ModelProfile
from app.simulator.config import SimulatorConfig
from app.simulator.envelope import SimError
from app.simulator.families.base import (
    outcome_callback,
    TERMINAL,
    Family,
    clock_string,
    media_url,
    optional_url_list,
    require_choice,
    require_text,
    result_urls,
)
from app.simulator.state import SUCCESS, FailurePlan, SimTask

_GENERATION_TYPES = ("TEXT_2_VIDEO", "FIRST_AND_LAST_FRAMES_2_VIDEO", "REFERENCE_2_VIDEO")


def success_flag(task: SimTask, phase: str) -> int:
    """0 generating, 1 success, 2 failed, 3 generation failed (Veo, Midjourney, Flux)."""
    if phase == SUCCESS:
        return 1
    if phase in TERMINAL and task.failure:
        return task.failure.success_flag
    return 0


class VeoFamily(Family):
    api_family = ApiFamily.VEO
    create_path = "/api/v1/veo/generate"
    query_path = "/api/v1/veo/record-info"
    failures = (
        FailurePlan(500, "Video generation failed. Please try again later.", success_flag=3),
        FailurePlan(400, "Your prompt was flagged by Website as violating content policies.", success_flag=2),
        FailurePlan(422, "Public error: the input image could not be processed.", success_flag=3),
    )

    def resolve_model(self, body: dict[str, Any], config: SimulatorConfig) -> tuple[str, ModelProfile]:
        model = require_choice(body, "model", tuple(VEO_MODELS), default="veo3_fast")
        return model, VEO_MODELS[model]

    def validate(self, body: dict[str, Any]) -> None:
        require_text(body, "prompt")
        if "aspectRatio" in body:
            require_choice(body, "aspectRatio", ("16:9", "9:16", "Auto"))
        generation_type = require_choice(body, "generationType", _GENERATION_TYPES, default="TEXT_2_VIDEO")
        images = optional_url_list(body, "imageUrls")
        if generation_type != "TEXT_2_VIDEO" and not images:
            raise SimError(422, f"imageUrls is required for generationType {generation_type}")
        seeds = body.get("seeds")
        if seeds is not None and not (isinstance(seeds, int) and 10000 <= seeds <= 99999):
            raise SimError(422, "seeds must be an integer between 10000 and 99999")

    def _info(self, task: SimTask, base: str) -> dict[str, Any]:
        return {"resultUrls": result_urls(task, base), "originUrls": [], "resolution": "720p"}

    def record(self, task: SimTask, now: float, base: str) -> dict[str, Any]:
        phase = task.phase_at(now)
        terminal = phase in TERMINAL
        return {
            "taskId": task.task_id,
            "paramJson": json.dumps(task.body),
            "completeTime": clock_string(task.ends_at) if terminal else None,
            "response": {"taskId": task.task_id, **self._info(task, base)} if phase == SUCCESS else None,
            "successFlag": success_flag(task, phase),
            "errorCode": task.failure.code if terminal and task.failure else None,
            "errorMessage": task.failure.message if terminal and task.failure else "",
            "createTime": clock_string(task.created_at),
            "fallbackFlag": False,
        }

    def final_callback(self, task: SimTask, base: str) -> dict[str, Any]:
        return outcome_callback(task, "Veo3 video generated successfully.",
                                {"info": self._info(task, base), "fallbackFlag": False},
                                {"fallbackFlag": False})

    def full_hd_url(self, task: SimTask, now: float, base: str, index: int) -> str:
        """The 1080p rendition; SimError while the task runs or when it failed."""
        phase = task.phase_at(now)
        if phase != SUCCESS:
            if phase in TERMINAL:
                raise SimError(400, "The task failed; there is no 1080P video.")
            raise SimError(400, "The video is still being generated. Try again after it succeeds.")
        if not 0 <= index < task.outputs:
            raise SimError(422, f"index must be between 0 and {task.outputs - 1}")
        return media_url(base, task.task_id, f"result-{index}-1080p.mp4")
