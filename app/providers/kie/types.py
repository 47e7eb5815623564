"""The value objects the Kie client hands to the rest of Atelier.

Every family's vocabulary is translated into these, so the engine and the store never
see Kie's field names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.providers.kie.families import ApiFamily
from app.store.status import TaskStatus

# The only statuses a snapshot or callback can report: Kie knows nothing of Atelier's
# local states (queued, submitting, needs_attention, canceled).
REMOTE_STATUSES = frozenset(
    {TaskStatus.PENDING, TaskStatus.PROCESSING, TaskStatus.SUCCEEDED, TaskStatus.FAILED}
)


@dataclass(frozen=True)
class TaskSnapshot:
    """One status query's answer, normalised across families."""

    status: TaskStatus
    # Kie's own word for the state (`generating`, `FIRST_SUCCESS`, `successFlag=2`, ...),
    # kept for display and audit.
    raw_state: str
    # 0..1 when Kie reports (or the vocabulary implies) progress.
    progress: float | None = None
    # The main outputs, in Kie's order (images, videos, audio tracks).
    result_urls: list[str] = field(default_factory=list)
    # Secondary outputs by role: "watermarked", "origin", "stream", "cover",
    # "first_frame", "last_frame", ... (Kie keys not known here are kept in snake_case).
    extra_outputs: dict[str, list[str]] = field(default_factory=dict)
    # Structured results: text models' `resultObject`; Suno's track metadata as
    # {"tracks": [...]}.
    result_object: dict[str, Any] | None = None
    fail_code: str | None = None
    fail_message: str | None = None
    credits: float | None = None
    cost_time_ms: int | None = None
    created_at: datetime | None = None
    completed_at: datetime | None = None
    # Kie says the generated media are gone (Runway `expireFlag=1`).
    media_expired: bool = False
    # The `data` object as Kie sent it, for the audit trail.
    raw: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.status not in REMOTE_STATUSES:
            raise ValueError(f"a snapshot cannot report {self.status!r}")

    @property
    def is_terminal(self) -> bool:
        return self.status in (TaskStatus.SUCCEEDED, TaskStatus.FAILED)


@dataclass(frozen=True)
class CallbackHint:
    """What a callback says. A hint only: the status query is the proof."""

    task_id: str
    family_guess: ApiFamily | None
    status_hint: TaskStatus | None
    result_urls: list[str] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class UploadedRemoteFile:
    """A file stored on Kie's upload host, usable as an input URL until it expires."""

    download_url: str
    file_name: str | None = None
    file_path: str | None = None
    size: int | None = None
    mime_type: str | None = None
    uploaded_at: datetime | None = None
    # Only if Kie ever returns it (the contract is unsure); the expiry is otherwise
    # computed from the `upload_remote_ttl_hours` setting.
    expires_at: datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict)
