"""Suno: /api/v1/generate and /api/v1/generate/record-info, with three-step callbacks."""

from __future__ import annotations

import json
import random
from typing import Any

from app.providers.kie.families import ApiFamily
from app.simulator.catalog import SUNO_MODELS, ModelProfile
from app.simulator.config import SimulatorConfig
from app.simulator.families.base import Family, cover_url, media_url, require_choice, require_text
from app.simulator.media import AUDIO_SECONDS
from app.simulator.state import FAIL, SUCCESS, FailurePlan, SimTask

_STATUS_BY_PHASE = {
    "waiting": "PENDING",
    "generating": "PENDING",
    "text_done": "TEXT_SUCCESS",
    "first_done": "FIRST_SUCCESS",
    SUCCESS: "SUCCESS",
}


class SunoFamily(Family):
    api_family = ApiFamily.SUNO
    create_path = "/api/v1/generate"
    query_path = "/api/v1/generate/record-info"
    query_rate_limited = True
    failures = (
        FailurePlan(501, "Audio generation failed. Please try again.", status="GENERATE_AUDIO_FAILED"),
        FailurePlan(
            400,
            "The lyrics or style contain sensitive words. Please modify them and try again.",
            status="SENSITIVE_WORD_ERROR",
        ),
        FailurePlan(500, "Create task failed. Please try again later.", status="CREATE_TASK_FAILED"),
    )

    def resolve_model(self, body: dict[str, Any], config: SimulatorConfig) -> tuple[str, ModelProfile]:
        model = require_choice(body, "model", tuple(SUNO_MODELS))
        return model, SUNO_MODELS[model]

    def validate(self, body: dict[str, Any]) -> None:
        require_text(body, "callBackUrl")
        if body.get("customMode"):
            require_text(body, "style")
            require_text(body, "title")
            if not body.get("instrumental"):
                require_text(body, "prompt")  # the lyrics
        else:
            require_text(body, "prompt")

    def plan_stages(self, profile: ModelProfile, rng: random.Random, fails: bool) -> list[tuple[str, float]]:
        total = rng.uniform(*profile.generating_seconds)
        stages = [("waiting", rng.uniform(0.5, 2.0)), ("generating", total * rng.uniform(0.25, 0.4))]
        if fails:
            return stages
        return [
            *stages,
            ("text_done", total * rng.uniform(0.25, 0.35)),
            ("first_done", total * rng.uniform(0.2, 0.3)),
        ]

    # --- records ---------------------------------------------------------------------------
    def _tracks(self, task: SimTask, base: str, audio_ready: int) -> list[dict[str, Any]]:
        """Two songs; the first `audio_ready` have a finished audioUrl."""
        title = str(task.body.get("title") or task.prompt[:40] or "Untitled")
        tags = str(task.body.get("style") or "simulated")
        tracks = []
        for index in range(task.outputs):
            audio = media_url(base, task.task_id, f"result-{index}.wav") if index < audio_ready else ""
            stream = media_url(base, task.task_id, f"stream-{index}.wav")
            image = cover_url(task, base, index)
            tracks.append(
                {
                    "id": f"{task.task_id[:24]}{index:08x}",
                    "audioUrl": audio,
                    "sourceAudioUrl": audio,
                    "streamAudioUrl": stream,
                    "sourceStreamAudioUrl": stream,
                    "imageUrl": image,
                    "sourceImageUrl": image,
                    "prompt": task.prompt,
                    "modelName": f"chirp-{task.model.lower()}",
                    "title": title,
                    "tags": tags,
                    "createTime": task.created_at * 1000,
                    "duration": AUDIO_SECONDS if audio else None,
                }
            )
        return tracks

    def _ready_count(self, task: SimTask, phase: str) -> int:
        return {"first_done": 1, SUCCESS: task.outputs}.get(phase, 0)

    def record(self, task: SimTask, now: float, base: str) -> dict[str, Any]:
        phase = task.phase_at(now)
        has_text = phase in ("text_done", "first_done", SUCCESS)
        failed = phase == FAIL and task.failure is not None
        return {
            "taskId": task.task_id,
            "parentMusicId": "",
            "param": json.dumps(task.body),
            "response": {
                "taskId": task.task_id,
                "sunoData": self._tracks(task, base, self._ready_count(task, phase)) if has_text else [],
            },
            "status": task.failure.status if failed and task.failure else _STATUS_BY_PHASE[phase],
            "type": "GENERATE",
            "operationType": "generate",
            "errorCode": task.failure.code if failed and task.failure else None,
            "errorMessage": task.failure.message if failed and task.failure else None,
        }

    # --- callbacks: snake_case, text -> first -> complete, or error ------------------------
    def _snake_tracks(self, task: SimTask, base: str, audio_ready: int) -> list[dict[str, Any]]:
        return [
            {
                "id": track["id"],
                "audio_url": track["audioUrl"],
                "source_audio_url": track["sourceAudioUrl"],
                "stream_audio_url": track["streamAudioUrl"],
                "source_stream_audio_url": track["sourceStreamAudioUrl"],
                "image_url": track["imageUrl"],
                "source_image_url": track["sourceImageUrl"],
                "prompt": track["prompt"],
                "model_name": track["modelName"],
                "title": track["title"],
                "tags": track["tags"],
                "createTime": track["createTime"],
                "duration": track["duration"],
            }
            for track in self._tracks(task, base, audio_ready)
        ]

    def callbacks(self, task: SimTask, base: str) -> list[tuple[float, dict[str, Any]]]:
        if task.failure:
            return [(task.ends_at, self.final_callback(task, base))]
        steps = [
            ("text_done", "text", "Text generation completed successfully.", 0),
            ("first_done", "first", "First track generation completed.", 1),
        ]
        planned = []
        for phase, callback_type, message, ready in steps:
            at = task.stage_start(phase)
            if at is not None:
                payload = {
                    "code": 200,
                    "msg": message,
                    "data": {
                        "callbackType": callback_type,
                        "task_id": task.task_id,
                        "data": self._snake_tracks(task, base, ready),
                    },
                }
                planned.append((at, payload))
        planned.append((task.ends_at, self.final_callback(task, base)))
        return planned

    def final_callback(self, task: SimTask, base: str) -> dict[str, Any]:
        if task.failure:
            return {
                "code": task.failure.code,
                "msg": task.failure.message,
                "data": {"callbackType": "error", "task_id": task.task_id, "data": None},
            }
        return {
            "code": 200,
            "msg": "All generated successfully.",
            "data": {
                "callbackType": "complete",
                "task_id": task.task_id,
                "data": self._snake_tracks(task, base, task.outputs),
            },
        }
