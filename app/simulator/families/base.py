"""What every endpoint family shares: validation helpers, plans, URLs and time formats.

A family knows its paths, how to read a create body, how its status record looks at a
given moment and what its callbacks carry. Progress itself comes from `SimTask`.
"""

from __future__ import annotations

import random
from datetime import datetime, timezone
from typing import Any, ClassVar

from app.providers.kie.families import ApiFamily, MediaKind
from app.simulator.catalog import ModelProfile, guess_profile
from app.simulator.config import SimulatorConfig
from app.simulator.envelope import SimError
from app.simulator.state import FAIL, SUCCESS, FailurePlan, SimTask

TERMINAL = (SUCCESS, FAIL)

_EXTENSIONS = {MediaKind.IMAGE: "png", MediaKind.VIDEO: "mp4", MediaKind.AUDIO: "wav", MediaKind.TEXT: "png"}


def media_url(base: str, task_id: str, name: str) -> str:
    return f"{base}/sim/media/{task_id}/{name}"


def result_urls(task: SimTask, base: str) -> list[str]:
    extension = _EXTENSIONS[task.kind]
    return [media_url(base, task.task_id, f"result-{index}.{extension}") for index in range(task.outputs)]


def cover_url(task: SimTask, base: str, index: int = 0) -> str:
    """A still image that goes with a result (video thumbnail, song cover)."""
    return media_url(base, task.task_id, f"cover-{index}.png")


def epoch_ms(seconds: float) -> int:
    return int(seconds * 1000)


def clock_string(seconds: float) -> str:
    """Veo/Runway style: "2025-06-06 10:30:00" (UTC)."""
    return datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def iso_string(seconds: float) -> str:
    """Aleph style: "2025-06-06T10:30:00Z"."""
    return datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def outcome_callback(task: SimTask, success_msg: str, data: dict[str, Any],
                     failure_data: dict[str, Any]) -> dict[str, Any]:
    """The envelope every "info"-style family posts at the end: code 200 with `data`,
    or the failure's code and message with `failure_data`."""
    if task.failure:
        return {"code": task.failure.code, "msg": task.failure.message,
                "data": {"taskId": task.task_id, **failure_data}}
    return {"code": 200, "msg": success_msg, "data": {"taskId": task.task_id, **data}}


def require_text(body: dict[str, Any], field: str) -> str:
    value = body.get(field)
    if not isinstance(value, str) or not value.strip():
        raise SimError(422, f"{field} is required")
    return value


def require_choice(body: dict[str, Any], field: str, choices: tuple[Any, ...], default: Any = None) -> Any:
    """The field's value when it is one of `choices`; `default` when absent (None: required)."""
    value = body.get(field, default)
    if value is None:
        raise SimError(422, f"{field} is required")
    if value not in choices:
        allowed = ", ".join(str(choice) for choice in choices)
        raise SimError(422, f"{field} must be one of: {allowed}")
    return value


def optional_url_list(body: dict[str, Any], field: str) -> list[str]:
    value = body.get(field)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise SimError(422, f"{field} must be a list of URLs")
    return value


class Family:
    api_family: ClassVar[ApiFamily]
    create_path: ClassVar[str]
    query_path: ClassVar[str]
    # Possible endings of a failing task; one is drawn per failing task.
    failures: ClassVar[tuple[FailurePlan, ...]]
    # Kie allows at most 3 status queries per second per task for Suno and GPT-4o image.
    query_rate_limited: ClassVar[bool] = False

    # --- create ------------------------------------------------------------------------
    def resolve_model(self, body: dict[str, Any], config: SimulatorConfig) -> tuple[str, ModelProfile]:
        """The model id and profile a create body asks for; SimError(422) when invalid."""
        raise NotImplementedError

    def validate(self, body: dict[str, Any]) -> None:
        """Field checks beyond the model; SimError(422) naming the field."""

    def outputs(self, body: dict[str, Any], profile: ModelProfile) -> int:
        return profile.outputs

    def plan_stages(self, profile: ModelProfile, rng: random.Random, fails: bool) -> list[tuple[str, float]]:
        """Unscaled stage durations: a short wait, a queue, then the generation itself.

        A failing task stops part-way through generating, as real failures do.
        """
        generating = rng.uniform(*profile.generating_seconds)
        if fails:
            generating *= rng.uniform(0.3, 1.0)
        return [
            ("waiting", rng.uniform(0.5, 2.0)),
            ("queuing", rng.uniform(1.0, 5.0)),
            ("generating", generating),
        ]

    # --- status and callbacks ------------------------------------------------------------
    def record(self, task: SimTask, now: float, base: str) -> dict[str, Any]:
        """The `data` of a status query answered at `now`."""
        raise NotImplementedError

    def callbacks(self, task: SimTask, base: str) -> list[tuple[float, dict[str, Any]]]:
        """(when, payload) for every callback the task sends; default one at its end."""
        return [(task.ends_at, self.final_callback(task, base))]

    def final_callback(self, task: SimTask, base: str) -> dict[str, Any]:
        raise NotImplementedError


def known_or_guessed(model: str, catalog: dict[str, ModelProfile], config: SimulatorConfig) -> ModelProfile:
    """Listed ids get their profile; others are guessed, or refused when the config is strict."""
    if model in catalog:
        return catalog[model]
    if config.strict_models:
        raise SimError(422, f"model {model!r} is not supported")
    return guess_profile(model)
