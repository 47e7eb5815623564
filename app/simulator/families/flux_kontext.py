"""Flux Kontext: /api/v1/flux/kontext/generate and /api/v1/flux/kontext/record-info."""

from __future__ import annotations

import json
from typing import Any

from app.providers.kie.families import ApiFamily
from app.simulator.catalog import FLUX_KONTEXT_MODELS, ModelProfile
from app.simulator.config import SimulatorConfig
from app.simulator.families.base import (
    outcome_callback,
    TERMINAL,
    Family,
    epoch_ms,
    media_url,
    require_choice,
    require_text,
    result_urls,
)
from app.simulator.families.veo import success_flag
from app.simulator.state import SUCCESS, FailurePlan, SimTask


class FluxKontextFamily(Family):
    api_family = ApiFamily.FLUX_KONTEXT
    create_path = "/api/v1/flux/kontext/generate"
    query_path = "/api/v1/flux/kontext/record-info"
    failures = (
        FailurePlan(500, "Image generation failed. Please try again.", success_flag=3),
        FailurePlan(400, "The prompt or input image was flagged as sensitive.", success_flag=2),
    )

    def resolve_model(self, body: dict[str, Any], config: SimulatorConfig) -> tuple[str, ModelProfile]:
        model = require_choice(body, "model", tuple(FLUX_KONTEXT_MODELS), default="flux-kontext-pro")
        return model, FLUX_KONTEXT_MODELS[model]

    def validate(self, body: dict[str, Any]) -> None:
        require_text(body, "prompt")
        if "aspectRatio" in body:
            require_choice(body, "aspectRatio", ("21:9", "16:9", "4:3", "1:1", "3:4", "9:16", "16:21"))

    def _images(self, task: SimTask, base: str) -> dict[str, str]:
        result = result_urls(task, base)[0]
        return {"originImageUrl": media_url(base, task.task_id, "origin-0.png"), "resultImageUrl": result}

    def record(self, task: SimTask, now: float, base: str) -> dict[str, Any]:
        phase = task.phase_at(now)
        terminal = phase in TERMINAL
        return {
            "taskId": task.task_id,
            "paramJson": json.dumps(task.body),
            "completeTime": epoch_ms(task.ends_at) if terminal else None,
            "response": self._images(task, base) if phase == SUCCESS else None,
            "successFlag": success_flag(task, phase),
            "errorCode": task.failure.code if terminal and task.failure else None,
            "errorMessage": task.failure.message if terminal and task.failure else "",
            "createTime": epoch_ms(task.created_at),
        }

    def final_callback(self, task: SimTask, base: str) -> dict[str, Any]:
        return outcome_callback(task, "Image generated successfully.",
                                {"info": self._images(task, base)}, {"info": None})
