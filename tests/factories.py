"""Small data factories for tests."""

from __future__ import annotations

import uuid
from typing import Any

from app.store.models import GenerationTask
from app.store.status import TaskStatus


def make_task(**overrides: Any) -> GenerationTask:
    values: dict[str, Any] = dict(
        idempotency_key=uuid.uuid4().hex,
        service="IMAGEN4",
        model="google/imagen4-fast",
        api_type="imagen4",
        api_family="market",
        media_kind="image",
        status=TaskStatus.QUEUED,
        params={"prompt": "a lighthouse at dusk"},
        provider_body={"model": "google/imagen4-fast", "input": {"prompt": "a lighthouse at dusk"}},
        prompt="a lighthouse at dusk",
    )
    values.update(overrides)
    return GenerationTask(**values)
