"""One validated settings object, read from the environment and `.env`.

`rxconfig.py`, `alembic/env.py`, the engine and the actions all read this, so a value
is parsed and checked in exactly one place. A malformed value stops start-up with one
readable line (see `load_settings_or_exit`).
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Annotated

from pydantic import Field, HttpUrl, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"

PositiveFloat = Annotated[float, Field(gt=0)]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=PROJECT_ROOT / ".env", env_file_encoding="utf-8", extra="ignore"
    )

    # --- storage -------------------------------------------------------------
    database_url: str = f"sqlite:///{DATA_DIR / 'atelier.db'}"
    # Private files (uploads, mirrored results). Never under Reflex's public upload dir.
    storage_dir: Path = DATA_DIR / "files"
    redis_url: str | None = None
    # Signs links the server hands to browsers (e.g. exports). Unset: a random key is
    # kept in ./data/secret_key. Set it when several machines serve one Atelier.
    secret_key: SecretStr | None = None

    # --- accounts and access (app/accounts/) ------------------------------------
    # One person on their own machine: no sign-in, everything is theirs. Off by default,
    # so a server reachable by others never lets anyone in anonymously.
    single_user: bool = False
    # A sign-in lasts this long, then the person signs in again.
    session_hours: PositiveFloat = 168.0
    # This many failed sign-ins for one name (or from one address) within the window
    # refuse further tries until the window has passed.
    login_max_failures: int = Field(default=5, gt=0)
    login_window_minutes: PositiveFloat = 15.0
    # Origins (scheme://host:port) whose pages may open the live connection and make
    # credentialed requests. Add the public address when serving other machines.
    allowed_origins: Annotated[list[str], NoDecode] = ["http://localhost:3000", "http://127.0.0.1:3000"]

    # --- Kie -----------------------------------------------------------------
    kie_api_key: str | None = None
    kie_base_url: HttpUrl | None = None
    kie_upload_base_url: HttpUrl | None = None
    kie_webhook_hmac_key: str | None = None
    # Where Kie can reach this Atelier for callbacks; no callbacks when unset.
    public_base_url: HttpUrl | None = None
    kie_request_timeout_seconds: PositiveFloat = 30.0

    # --- demo mode -----------------------------------------------------------
    # Multiplies every simulated duration in demo mode (1.0 = realistic durations).
    demo_time_scale: PositiveFloat = 0.1
    # Share of demo generations that fail, as real ones sometimes do.
    demo_failure_rate: float = Field(default=0.05, ge=0, le=1)

    # --- uploads and retention ----------------------------------------------
    upload_max_bytes: int = Field(default=200 * 1024 * 1024, gt=0)
    upload_remote_ttl_hours: PositiveFloat = 72.0
    result_retention_days: PositiveFloat = 14.0
    history_retention_days: float | None = Field(default=None, gt=0)

    # --- result mirroring (app/results/) -------------------------------------
    # Keep a private copy of every result, since Kie deletes its files after
    # `result_retention_days`.
    mirror_results: bool = True
    # Larger results are refused (left at Kie); 2 GiB holds any video Kie makes today.
    mirror_max_bytes: int = Field(default=2 * 1024 ** 3, gt=0)
    # The longest one file's download may take, start to end (a trickling server
    # would otherwise hold a slot forever).
    mirror_timeout_seconds: PositiveFloat = 900.0
    # Files downloaded at once by one process.
    mirror_concurrency: int = Field(default=2, gt=0, le=32)

    # --- engine ----------------------------------------------------------------
    engine_enabled: bool = True
    rate_limit_creates: int = Field(default=20, gt=0)
    rate_limit_window_seconds: PositiveFloat = 10.0
    lease_seconds: PositiveFloat = 30.0
    engine_tick_seconds: PositiveFloat = 0.25
    poll_min_interval_seconds: PositiveFloat = 0.34  # at most 3 queries/s per task
    poll_max_interval_seconds: PositiveFloat = 30.0
    poll_max_consecutive_errors: int = Field(default=8, gt=0)
    task_deadline_minutes: PositiveFloat = 60.0

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _origins_from_text(cls, value):
        """A comma-separated environment value, as well as a JSON list."""
        if isinstance(value, str) and not value.lstrip().startswith("["):
            return [part.strip().rstrip("/") for part in value.split(",") if part.strip()]
        return value

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite://", "postgresql")):
            raise ValueError("must start with sqlite:// or postgresql+psycopg://")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://")
        return value or None

    @field_validator("kie_api_key", "kie_webhook_hmac_key")
    @classmethod
    def _empty_is_none(cls, value: str | None) -> str | None:
        return value.strip() or None if value else None

    @property
    def demo_mode(self) -> bool:
        """No key configured: Atelier talks to its built-in simulator."""
        return self.kie_api_key is None

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@functools.cache
def get_settings() -> Settings:
    return Settings()


def describe_error(error: ValidationError) -> str:
    """One readable line naming each bad setting as its environment variable."""
    parts = []
    for item in error.errors():
        name = "_".join(str(p) for p in item["loc"]).upper() or "SETTINGS"
        parts.append(f"{name}: {item['msg']}")
    return "Atelier cannot start, bad setting: " + "; ".join(parts)


def load_settings_or_exit() -> Settings:
    """For entry points: a malformed value prints one line and exits, no traceback."""
    try:
        return get_settings()
    except ValidationError as error:
        print(describe_error(error), file=sys.stderr)
        raise SystemExit(2) from None
