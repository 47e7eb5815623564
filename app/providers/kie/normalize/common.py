"""Rules every family's snapshot follows, applied in one place."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from app.providers.kie.normalize.fields import as_fail_code, as_float, as_text, first_present
from app.providers.kie.types import TaskSnapshot
from app.store.status import TaskStatus

# Credit fields seen across families and API versions ("Unsure" 4 and 5).
_CREDIT_KEYS = ("creditsConsumed", "consumeCredits", "costCredits", "credits")


def credits_of(data: Mapping[str, Any]) -> float | None:
    return as_float(first_present(data, *_CREDIT_KEYS))


def build_snapshot(
    data: Mapping[str, Any],
    *,
    status: TaskStatus,
    raw_state: str,
    progress: float | None = None,
    result_urls: Iterable[str] = (),
    extra_outputs: Mapping[str, list[str]] | None = None,
    result_object: dict[str, Any] | None = None,
    fail_code: Any = None,
    fail_message: Any = None,
    cost_time_ms: int | None = None,
    created_at: datetime | None = None,
    completed_at: datetime | None = None,
    media_expired: bool = False,
) -> TaskSnapshot:
    """A `TaskSnapshot` with the shared rules applied:

    - a finished success reports progress 1.0 even when Kie sends none;
    - failure details are kept only for failed tasks (several families send
      `errorCode: 0` / `errorMessage: ""` or stale messages on success);
    - credits are read from whichever credit field the family uses.
    """
    if status is TaskStatus.SUCCEEDED:
        progress = 1.0
    failed = status is TaskStatus.FAILED
    return TaskSnapshot(
        status=status,
        raw_state=raw_state,
        progress=progress,
        result_urls=list(result_urls),
        extra_outputs={k: list(v) for k, v in (extra_outputs or {}).items() if v},
        result_object=result_object,
        fail_code=as_fail_code(fail_code) if failed else None,
        fail_message=as_text(fail_message) if failed else None,
        credits=credits_of(data),
        cost_time_ms=cost_time_ms,
        created_at=created_at,
        completed_at=completed_at,
        media_expired=media_expired,
        raw=dict(data),
    )
