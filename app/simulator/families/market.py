"""The market ("jobs") API: /api/v1/jobs/createTask and /api/v1/jobs/recordInfo."""

from __future__ import annotations

import json
from typing import Any

from app.providers.kie.families import ApiFamily, MediaKind
from app.simulator.catalog import MARKET_MODELS, ModelProfile
from app.simulator.config import SimulatorConfig
from app.simulator.envelope import SimError
from app.simulator.families.base import TERMINAL, Family, cover_url, epoch_ms, known_or_guessed, result_urls
from app.simulator.state import SUCCESS, FailurePlan, SimTask

# Models that transform an input image rather than follow a prompt.
_IMAGE_TOOL_HINTS = ("remove-background", "upscale", "reframe")
_IMAGE_FIELDS = ("image_url", "image", "image_urls", "image_input", "input_urls")


class MarketFamily(Family):
    api_family = ApiFamily.MARKET
    create_path = "/api/v1/jobs/createTask"
    query_path = "/api/v1/jobs/recordInfo"
    failures = (
        FailurePlan(500, "Internal Error, Please try again later."),
        FailurePlan(400, "Your prompt was flagged by the content policy. Please revise it and try again."),
        FailurePlan(501, "Generation failed: the model returned no result. Please try again."),
    )

    def resolve_model(self, body: dict[str, Any], config: SimulatorConfig) -> tuple[str, ModelProfile]:
        model = body.get("model")
        if not isinstance(model, str) or not model.strip():
            raise SimError(422, "model is required")
        return model, known_or_guessed(model, MARKET_MODELS, config)

    def validate(self, body: dict[str, Any]) -> None:
        model_input = body.get("input")
        if not isinstance(model_input, dict):
            raise SimError(422, "input is required and must be an object")
        model = str(body["model"]).lower()
        if any(hint in model for hint in _IMAGE_TOOL_HINTS):
            if not any(model_input.get(field) for field in _IMAGE_FIELDS):
                raise SimError(422, "input.image_url is required")
        elif not (model_input.get("prompt") or model_input.get("text")):
            field = "text" if ("speech" in model or "sound" in model) else "prompt"
            raise SimError(422, f"input.{field} is required")

    def outputs(self, body: dict[str, Any], profile: ModelProfile) -> int:
        requested = body.get("input", {}).get("num_images") or body.get("input", {}).get("n")
        if isinstance(requested, int) and 1 <= requested <= 4 and profile.kind is MediaKind.IMAGE:
            return requested
        return profile.outputs

    def record(self, task: SimTask, now: float, base: str) -> dict[str, Any]:
        phase = task.phase_at(now)
        terminal = phase in TERMINAL
        result_json = ""
        if phase == SUCCESS:
            result: dict[str, Any] = {"resultUrls": result_urls(task, base)}
            if task.kind is MediaKind.VIDEO:
                result["firstFrameUrl"] = cover_url(task, base)
            result_json = json.dumps(result)
        data: dict[str, Any] = {
            "taskId": task.task_id,
            "model": task.model,
            "state": phase,  # waiting/queuing/generating/success/fail are Kie's own words
            "param": json.dumps(task.body),
            "resultJson": result_json,
            "failCode": (str(task.failure.code) if task.failure else "") if terminal else None,
            "failMsg": (task.failure.message if task.failure else "") if terminal else None,
            "costTime": epoch_ms(task.ends_at) - epoch_ms(task.created_at) if terminal else None,
            "completeTime": epoch_ms(task.ends_at) if terminal else None,
            "createTime": epoch_ms(task.created_at),
            "updateTime": epoch_ms(min(now, task.ends_at)),
        }
        if task.kind is MediaKind.VIDEO:
            # Kie reports progress for some long-running models only.
            data["progress"] = round(task.progress(now) * 100)
        if phase == SUCCESS:
            data["creditsConsumed"] = task.profile.cost
        return data

    def final_callback(self, task: SimTask, base: str) -> dict[str, Any]:
        data = self.record(task, task.ends_at, base)
        if task.failure:
            return {"code": 501, "msg": task.failure.message, "data": data}
        return {"code": 200, "msg": "Playground task completed successfully.", "data": data}
