"""The history's figures as JSON: per model, per day, and failure reasons.

Same envelope and error statuses as the task routes (`answer`). A token tied to an
owner gets that owner's figures only. Filters are passed to the actions as text, so a
bad one comes back as a 400 naming the field, like every other refusal.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from app.actions.stats import daily_report, failure_reasons, model_stats
from app.api.auth import ApiCaller, require_token
from app.api.tasks_api import ERROR_RESPONSES, Answer, answer

router = APIRouter(prefix="/api/stats", tags=["stats"], responses=ERROR_RESPONSES)


def _filters(
    api_type: str | None = None,
    tag: str | None = None,
    batch_id: str | None = None,
) -> dict[str, Any]:
    return {"api_type": api_type, "tag": tag, "batch_id": batch_id}


def _window(
    created_from: str | None = Query(
        default=None, description="ISO date or date-time (UTC unless an offset is given); inclusive"),
    created_to: str | None = Query(
        default=None, description="ISO date-time, exclusive; a bare date includes that whole day"),
) -> dict[str, Any]:
    return {"created_from": created_from, "created_to": created_to}


@router.get("/models", response_model=Answer)
async def models(
    caller: ApiCaller = Depends(require_token),
    window: dict[str, Any] = Depends(_window),
    filters: dict[str, Any] = Depends(_filters),
) -> JSONResponse:
    """Per model: tasks, succeeded / failed / canceled, success rate (succeeded over
    finished), durations of succeeded tasks (mean, nearest-rank p50 and p95, seconds) and
    credits spent. All time unless a window is given."""
    return answer(await model_stats(owner_id=caller.sees, **window, **filters))


@router.get("/daily", response_model=Answer)
async def daily(
    caller: ApiCaller = Depends(require_token),
    days: int = Query(default=30, description="1–366 days, ending on last_day"),
    last_day: str | None = Query(default=None, description="YYYY-MM-DD (UTC); today by default"),
    filters: dict[str, Any] = Depends(_filters),
) -> JSONResponse:
    """One row per UTC day, oldest first, days without tasks included."""
    return answer(await daily_report(days, last_day=last_day, owner_id=caller.sees,
                                     **filters))


@router.get("/failures", response_model=Answer)
async def failures(
    caller: ApiCaller = Depends(require_token),
    limit: int = Query(default=10, description="1–100 reasons"),
    window: dict[str, Any] = Depends(_window),
    filters: dict[str, Any] = Depends(_filters),
) -> JSONResponse:
    """Failed tasks counted by (fail_code, fail_message), most frequent first."""
    return answer(await failure_reasons(limit, owner_id=caller.sees, **window, **filters))
