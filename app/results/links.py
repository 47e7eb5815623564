"""Where Atelier serves a mirrored result (app/api/results_api.py answers it)."""

from __future__ import annotations

RESULTS_PREFIX = "/api/results"


def result_path(task_id: str, position: int) -> str:
    """Relative to the backend: one origin in production (`reflex run --env prod`)."""
    return f"{RESULTS_PREFIX}/{task_id}/{position}"
