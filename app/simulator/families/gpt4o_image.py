"""GPT-4o image: /api/v1/gpt4o-image/generate and /api/v1/gpt4o-image/record-info."""

from __future__ import annotations

import json
from typing import Any

from app.providers.kie.families import ApiFamily
from app.simulator.catalog import GPT4O_IMAGE, ModelProfile
from app.simulator.config import SimulatorConfig
from app.simulator.envelope import SimError
from app.simulator.families.base import (
    outcome_callback,
    TERMINAL,
    Family,
    epoch_ms,
    optional_url_list,
    require_choice,
    result_urls,
)
from app.simulator.state import SUCCESS, FailurePlan, SimTask


class Gpt4oImageFamily(Family):
    api_family = ApiFamily.GPT4O_IMAGE
    create_path = "/api/v1/gpt4o-image/generate"
    query_path = "/api/v1/gpt4o-image/record-info"
    query_rate_limited = True
    failures = (
        FailurePlan(501, "Image generation failed. Please try again.", status="GENERATE_FAILED"),
        FailurePlan(
            400, "Your content was flagged by OpenAI as violating content policies.", status="GENERATE_FAILED"
        ),
        FailurePlan(500, "Create task failed. Please try again later.", status="CREATE_TASK_FAILED"),
    )

    def resolve_model(self, body: dict[str, Any], config: SimulatorConfig) -> tuple[str, ModelProfile]:
        return "gpt4o-image", GPT4O_IMAGE

    def validate(self, body: dict[str, Any]) -> None:
        files = optional_url_list(body, "filesUrl")
        if not files and not (isinstance(body.get("prompt"), str) and body["prompt"].strip()):
            raise SimError(422, "prompt is required (or filesUrl)")
        require_choice(body, "size", ("1:1", "3:2", "2:3"))
        if "nVariants" in body:
            require_choice(body, "nVariants", (1, 2, 4))

    def outputs(self, body: dict[str, Any], profile: ModelProfile) -> int:
        return int(body.get("nVariants") or 1)

    def record(self, task: SimTask, now: float, base: str) -> dict[str, Any]:
        phase = task.phase_at(now)
        terminal = phase in TERMINAL
        failed = terminal and task.failure is not None
        if phase == SUCCESS:
            flag, status = 1, "SUCCESS"
        elif failed and task.failure:
            flag, status = 2, task.failure.status
        else:
            flag, status = 0, "GENERATING"
        return {
            "taskId": task.task_id,
            "paramJson": json.dumps(task.body),
            "completeTime": epoch_ms(task.ends_at) if terminal else None,
            "response": {"resultUrls": result_urls(task, base)} if phase == SUCCESS else None,
            "successFlag": flag,
            "status": status,
            "errorCode": task.failure.code if failed and task.failure else None,
            "errorMessage": task.failure.message if failed and task.failure else "",
            "createTime": epoch_ms(task.created_at),
            # "1.00" only with success; a running or failed task stays below it.
            "progress": f"{1.0 if phase == SUCCESS else min(task.progress(now), 0.99):.2f}",
        }

    def final_callback(self, task: SimTask, base: str) -> dict[str, Any]:
        return outcome_callback(task, "GPT-4o image generated successfully.",
                                {"info": {"result_urls": result_urls(task, base)}}, {"info": None})
