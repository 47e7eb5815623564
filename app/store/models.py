"""SQLModel tables: generation tasks, their audit events, uploaded files.

Timestamps are tz-aware UTC everywhere. String limits here become column limits, so
validation in the actions and the schema agree.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Column, Field, SQLModel

from app.store.status import TaskStatus

PROMPT_MAX = 10_000
FAIL_MESSAGE_MAX = 2_000


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def new_id() -> str:
    return uuid.uuid4().hex


class UTCDateTime(sa.types.TypeDecorator):
    """Stores UTC, always hands back tz-aware UTC (SQLite forgets the zone otherwise)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: use datetime.now(timezone.utc)")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def _timestamp(nullable: bool = True, index: bool = False, default_now: bool = False) -> Any:
    column = Column(UTCDateTime(), nullable=nullable, index=index)
    if default_now:
        return Field(default_factory=utcnow, sa_column=column)
    return Field(default=None, sa_column=column)


def _enum_field(enum_class: type[enum.Enum], name: str) -> Any:
    """A required column holding an enum's value (e.g. "poll"), checked as text."""
    return Field(sa_column=Column(
        sa.Enum(enum_class, name=name, native_enum=False, length=16,
                values_callable=lambda members: [m.value for m in members]),
        nullable=False))


def _status_column() -> sa.Enum:
    # Stored as the enum's value ("queued"), checked by a named constraint.
    return sa.Enum(
        TaskStatus,
        name="task_status",
        values_callable=lambda members: [m.value for m in members],
        native_enum=False,
        create_constraint=True,
        length=20,
    )


class GenerationTask(SQLModel, table=True):
    """One generation request, from the moment it is recorded to its end."""

    __tablename__ = "generation_task"
    __table_args__ = (
        # One person's history in page order (created_at, id): a page stops after its rows.
        sa.Index("ix_generation_task_owner_created", "owner_id", "created_at", "id"),
        sa.Index("ix_generation_task_status_next_poll", "status", "next_poll_at"),
        # Every callback looks its task up by this secret.
        sa.Index("ix_generation_task_callback_token", "callback_token", unique=True),
        # The shared create budget counts the creates answered in the last window.
        sa.Index("ix_generation_task_submitted_at", "submitted_at"),
        # History pages: newest first within a status or a model.
        sa.Index("ix_generation_task_status_created", "status", "created_at"),
        sa.Index("ix_generation_task_api_type_created", "api_type", "created_at"),
        # Per-model statistics read these two columns only.
        sa.Index("ix_generation_task_api_type_duration", "api_type", "duration_seconds"),
        # Statistics read only these (app/actions/stats.py): per model, and per day; the
        # second also gives history pages their (created_at, id) order.
        sa.Index("ix_generation_task_stats", "api_type", "status", "duration_seconds",
                 "credits", "created_at", "owner_id"),
        sa.Index("ix_generation_task_created_stats", "created_at", "id", "status", "credits",
                 "duration_seconds", "owner_id"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    idempotency_key: str = Field(max_length=128, unique=True)
    provider_task_id: str | None = Field(default=None, max_length=128, unique=True)

    service: str = Field(max_length=64)
    model: str = Field(max_length=128, index=True)
    api_type: str = Field(max_length=64)
    api_family: str = Field(max_length=32)
    media_kind: str = Field(max_length=16)

    status: TaskStatus = Field(
        default=TaskStatus.QUEUED, sa_column=Column(_status_column(), nullable=False, index=True)
    )
    # The status before the latest transition (written by the same UPDATE).
    previous_status: str | None = Field(default=None, max_length=20)
    provider_state: str | None = Field(default=None, max_length=64)
    params: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    provider_body: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    prompt: str | None = Field(default=None, max_length=PROMPT_MAX)

    result_json: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    result_urls: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    progress: float | None = Field(default=None, ge=0, le=1)
    fail_code: str | None = Field(default=None, max_length=64)
    fail_message: str | None = Field(default=None, max_length=FAIL_MESSAGE_MAX)
    # Internal errors only: kept for operators, never shown to a person as is.
    fail_traceback: str | None = Field(default=None, sa_column=Column(sa.Text))
    credits: float | None = None

    created_at: datetime = _timestamp(nullable=False, index=True, default_now=True)
    submitted_at: datetime | None = _timestamp()
    updated_at: datetime = _timestamp(nullable=False, default_now=True)
    completed_at: datetime | None = _timestamp()

    # --- engine bookkeeping ----------------------------------------------------
    next_poll_at: datetime | None = _timestamp()
    poll_attempts: int = 0
    consecutive_errors: int = 0
    lease_owner: str | None = Field(default=None, max_length=64)
    lease_expires_at: datetime | None = _timestamp()
    deadline_at: datetime | None = _timestamp()
    # Per-task secret carried in the callback URL; never sent to a browser.
    callback_token: str | None = Field(default=None, max_length=64)

    # Seconds from Kie's acceptance to the end (set with the terminal status); None when
    # the task never reached Kie.
    duration_seconds: float | None = None

    owner_id: str | None = Field(default=None, max_length=64)
    batch_id: str | None = Field(default=None, max_length=32, index=True)
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    favourite: bool = Field(default=False, sa_column=Column(
        sa.Boolean, nullable=False, server_default=sa.false()))
    # Index into result_urls of the result a person picked as the best; None = not picked.
    selected_result: int | None = None


class EventSource(str, enum.Enum):
    """Who caused a change of a task."""

    CREATE = "create"      # the create action recorded it
    SUBMIT = "submit"      # the engine sent it to Kie
    POLL = "poll"          # a status query found a change
    CALLBACK = "callback"  # a verified callback led to the change
    USER = "user"          # a person canceled, retried or dropped it
    ENGINE = "engine"      # deadlines, error runs, recovery


class TaskEvent(SQLModel, table=True):
    """The audit trail: one row per change of a task, written with the change."""

    __tablename__ = "task_event"

    id: int | None = Field(default=None, primary_key=True)
    task_id: str = Field(
        sa_column=Column(
            sa.String(32), sa.ForeignKey("generation_task.id", ondelete="CASCADE"),
            nullable=False, index=True,
        )
    )
    from_status: str | None = Field(default=None, max_length=20)
    to_status: str = Field(max_length=20)
    source: EventSource = _enum_field(EventSource, "event_source")
    detail: str | None = Field(default=None, max_length=500)
    created_at: datetime = _timestamp(nullable=False, default_now=True)


class UploadedFile(SQLModel, table=True):
    """A reference file a person uploaded: kept privately, pushed to Kie's upload host."""

    __tablename__ = "uploaded_file"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    # Relative to the private storage dir; a random name, never the client's.
    storage_path: str = Field(max_length=255, unique=True)
    original_name: str = Field(max_length=255)
    size_bytes: int
    mime_type: str = Field(max_length=100)
    sha256: str = Field(max_length=64, index=True)
    remote_url: str | None = Field(default=None, max_length=2048)
    remote_expires_at: datetime | None = _timestamp()
    owner_id: str | None = Field(default=None, max_length=64)
    created_at: datetime = _timestamp(nullable=False, default_now=True)


class TaskBatch(SQLModel, table=True):
    """One request run several times (a seed walk): its tasks carry its id."""

    __tablename__ = "task_batch"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    api_type: str = Field(max_length=64)
    size: int = Field(ge=1)
    # The first run's seed; run i used seed_start + i. None when the model has no seed.
    seed_start: int | None = None
    label: str | None = Field(default=None, max_length=200)
    owner_id: str | None = Field(default=None, max_length=64, index=True)
    created_at: datetime = _timestamp(nullable=False, default_now=True)


class ResultState(str, enum.Enum):
    """What became of one provider result URL when Atelier tried to keep a copy."""

    MIRRORED = "mirrored"  # a private copy is stored and served by Atelier
    REFUSED = "refused"    # not kept on purpose: other host, too large, wrong type
    FAILED = "failed"      # the download failed; the provider's URL is all there is


class ResultFile(SQLModel, table=True):
    """Atelier's own copy (or the refusal to copy) of one result of a task."""

    __tablename__ = "result_file"
    __table_args__ = (sa.UniqueConstraint("task_id", "position", name="uq_result_file_position"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    task_id: str = Field(
        sa_column=Column(
            sa.String(32), sa.ForeignKey("generation_task.id", ondelete="CASCADE"),
            nullable=False, index=True,
        )
    )
    # Index into the task's result_urls.
    position: int = Field(ge=0)
    source_url: str = Field(max_length=2048)
    state: ResultState = _enum_field(ResultState, "result_state")
    detail: str | None = Field(default=None, max_length=300)
    # Relative to the private storage dir; a random name. None unless mirrored.
    storage_path: str | None = Field(default=None, max_length=255, unique=True)
    size_bytes: int | None = None
    mime_type: str | None = Field(default=None, max_length=100)
    sha256: str | None = Field(default=None, max_length=64)
    created_at: datetime = _timestamp(nullable=False, default_now=True)


class ApiToken(SQLModel, table=True):
    """A bearer token for the JSON API. Only its SHA-256 is stored: the token itself is
    shown once, when it is created."""

    __tablename__ = "api_token"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    name: str = Field(max_length=100)
    token_hash: str = Field(max_length=64, unique=True)
    # The first characters, so a person can tell their tokens apart.
    prefix: str = Field(max_length=16)
    owner_id: str | None = Field(default=None, max_length=64, index=True)
    created_at: datetime = _timestamp(nullable=False, default_now=True)
    last_used_at: datetime | None = _timestamp()
    revoked_at: datetime | None = _timestamp()


class UserAccount(SQLModel, table=True):
    """A person who signs in. The password is kept only as an argon2 hash; a personal
    Kie key only encrypted (app/accounts/kie_keys.py)."""

    __tablename__ = "user_account"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    username: str = Field(max_length=40, unique=True)
    password_hash: str = Field(max_length=255)
    is_admin: bool = Field(default=False)
    disabled: bool = Field(default=False)
    kie_key_encrypted: str | None = Field(default=None, max_length=1000)
    created_at: datetime = _timestamp(nullable=False, default_now=True)


class UserSession(SQLModel, table=True):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is kept."""

    __tablename__ = "user_session"

    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: str = Field(max_length=32, index=True)
    created_at: datetime = _timestamp(nullable=False, default_now=True)
    expires_at: datetime = _timestamp(nullable=False)


class LoginAttempt(SQLModel, table=True):
    """One failed sign-in, kept for the throttle's window (app/accounts/throttle.py)."""

    __tablename__ = "login_attempt"
    __table_args__ = (sa.Index("ix_login_attempt_username_at", "username", "at"),
                      sa.Index("ix_login_attempt_address_at", "address", "at"))

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=40)
    address: str = Field(max_length=64)
    at: datetime = _timestamp(nullable=False, default_now=True)
