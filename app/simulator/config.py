"""Knobs of the Kie simulator.

One mutable dataclass: tests and benchmarks change fields on the live object
(`sim.state.config.failure_rate = 1.0`) and the next request sees the new value.
Durations planned at create time use the `time_scale` in force at that moment.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

MessageKey = Literal["msg", "message"]


@dataclass
class SimulatorConfig:
    # --- identity and auth -----------------------------------------------------
    # When set, any other bearer is answered HTTP 200 + body code 401 (as Kie does).
    # When None, any bearer is accepted; a missing Authorization header is still 401.
    api_key: str | None = None
    # Signs callbacks (X-Webhook-Timestamp / X-Webhook-Signature) when set.
    webhook_hmac_key: str | None = None

    # --- where things live -----------------------------------------------------
    # Uploaded files and rendered media; a fresh temporary folder when None.
    storage_dir: Path | None = None
    # Base of every URL the simulator hands out (result media, upload downloadUrl).
    # None: derived from each request (scheme, host and root_path, so a mounted app works).
    public_base_url: str | None = None

    # --- time --------------------------------------------------------------------
    # Multiplies every planned stage duration (1.0 = durations close to the real service).
    time_scale: float = 1.0
    # Added before every API answer (not media downloads).
    latency_ms: float = 0.0
    seed: int = 0

    # --- outcomes ------------------------------------------------------------------
    # Share of tasks whose generation ends in failure.
    failure_rate: float = 0.0
    # Body code -> probability, rolled on each create / each status query.
    create_error_rates: dict[int, float] = field(default_factory=dict)
    query_error_rates: dict[int, float] = field(default_factory=dict)
    # Share of API calls that sleep `timeout_sleep_seconds` before answering.
    timeout_rate: float = 0.0
    timeout_sleep_seconds: float = 60.0
    # Share of API calls answered with a truncated JSON body.
    malformed_json_rate: float = 0.0
    # False: every error is HTTP 200 with the code in the body (Kie's confirmed habit).
    # True: the HTTP status matches the body code (the variant the contract is unsure of).
    errors_as_http_status: bool = False
    # Which key carries the human message in the envelope.
    message_key: MessageKey = "msg"
    # A just-created task answers 404 to its first N status queries (Kie's lag).
    not_found_lag_queries: int = 0
    # Unknown model ids: accepted with a guessed media kind (False) or 422 (True).
    strict_models: bool = False

    # --- account -------------------------------------------------------------------
    initial_credits: float = 10_000.0
    rate_limit_creates: int = 20  # 0 disables the limit
    rate_limit_window_seconds: float = 10.0
    # The contract is unsure whether status queries count toward the limit.
    rate_limit_counts_queries: bool = False
    # Status queries per second per task for Suno and GPT-4o image (Kie says 3); 0 = off.
    per_task_queries_per_second: int = 0

    # --- callbacks -----------------------------------------------------------------
    callback_duplicate_rate: float = 0.0
    callback_timeout_seconds: float = 15.0

    # --- debug routes ------------------------------------------------------------------
    # GET /sim/state and PATCH /sim/config; they demand the API key when one is set.
    debug_routes: bool = True

    def update(self, changes: dict[str, Any]) -> None:
        """Apply knob changes by name; unknown names raise ValueError (typos must not pass)."""
        known = {f.name for f in dataclasses.fields(self)}
        unknown = set(changes) - known
        if unknown:
            raise ValueError(f"unknown simulator knob(s): {', '.join(sorted(unknown))}")
        for name, value in changes.items():
            if name in {"create_error_rates", "query_error_rates"} and value is not None:
                value = {int(code): float(rate) for code, rate in dict(value).items()}
            if name == "storage_dir" and value is not None:
                value = Path(value)
            setattr(self, name, value)

    def public_view(self) -> dict[str, Any]:
        """The knobs as JSON-ready data, secrets masked."""
        data = dataclasses.asdict(self)
        data["storage_dir"] = str(self.storage_dir) if self.storage_dir else None
        for secret in ("api_key", "webhook_hmac_key"):
            data[secret] = "***" if data[secret] else None
        return data
