"""The simulator's in-memory state: tasks, counters, credits, uploads, callback log.

A task's progress is never stored: it is computed from the clock and the plan drawn
at create time (stage durations and outcome), so no background loop is needed and
the state is the same whoever looks.
"""

from __future__ import annotations

import asyncio
import contextlib
import mimetypes
import random
import tempfile
import time
from collections import Counter, deque
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from app.providers.kie.families import ApiFamily, MediaKind
from app.simulator.catalog import ModelProfile
from app.simulator.config import SimulatorConfig

SUCCESS = "success"
FAIL = "fail"


@dataclass(frozen=True)
class FailurePlan:
    """How a failing task ends, in its family's words."""

    code: int  # errorCode / failCode
    message: str
    status: str = ""  # family-specific terminal status (Suno, GPT-4o) when it has one
    success_flag: int = 3  # 2 = failed, 3 = generation failed (Veo, MJ, Flux)


@dataclass
class SimTask:
    task_id: str
    family: ApiFamily
    model: str
    profile: ModelProfile
    body: dict[str, Any]  # the create body as received
    created_at: float  # epoch seconds
    # Planned stages in order, each (phase name, seconds already time-scaled).
    # Phase names are family-neutral: waiting, queuing, generating, text_done, first_done.
    stages: list[tuple[str, float]]
    failure: FailurePlan | None  # None: the task ends in success
    base_url: str  # URL base seen at create; used for callbacks
    callback_url: str | None = None
    outputs: int = 1  # result files on success
    media_seed: int = 0  # makes rendered media deterministic per task

    @property
    def ends_at(self) -> float:
        return self.created_at + sum(seconds for _, seconds in self.stages)

    @property
    def kind(self) -> MediaKind:
        return self.profile.kind

    @property
    def prompt(self) -> str:
        source = self.body.get("input") if self.family is ApiFamily.MARKET else self.body
        if not isinstance(source, dict):
            return ""
        return str(source.get("prompt") or source.get("text") or source.get("style") or "")

    def phase_at(self, now: float) -> str:
        """The current phase name, or SUCCESS / FAIL once the plan has run out."""
        if now >= self.ends_at:
            # Decided first: summing stage lengths could leave float dust at the end.
            return FAIL if self.failure else SUCCESS
        elapsed = now - self.created_at
        for name, seconds in self.stages:
            if elapsed < seconds:
                return name
            elapsed -= seconds
        return FAIL if self.failure else SUCCESS

    def stage_start(self, phase: str) -> float | None:
        """Epoch seconds at which `phase` begins, None when the plan has no such stage."""
        at = self.created_at
        for name, seconds in self.stages:
            if name == phase:
                return at
            at += seconds
        return None

    def is_terminal(self, now: float) -> bool:
        return now >= self.ends_at

    def progress(self, now: float) -> float:
        """0.0–1.0 through the generating stage (0 while waiting or queued); 1.0 once terminal."""
        if now >= self.ends_at:
            return 1.0
        start = self.stage_start("generating")
        if start is None or now <= start:
            return 0.0
        return min(1.0, (now - start) / (self.ends_at - start))

    @property
    def finished_at(self) -> datetime | None:
        """When the task became terminal (UTC), or None while it still runs."""
        if time.time() < self.ends_at:
            return None
        return datetime.fromtimestamp(self.ends_at, tz=timezone.utc)


@dataclass
class CallbackRecord:
    task_id: str
    url: str
    payload: dict[str, Any]
    headers: dict[str, str]
    sent_at: datetime
    contacted: bool  # False: not loopback, recorded only
    status_code: int | None = None
    error: str | None = None


@dataclass
class BlockedContact:
    """A non-loopback URL the simulator was asked to contact and refused to."""

    url: str
    purpose: str  # "callback" or "file-url-upload"
    at: datetime
    task_id: str | None = None


@dataclass
class UploadedFile:
    file_path: str  # "uploadPath/fileName"
    disk_path: Path
    size: int
    mime_type: str
    uploaded_at: datetime


class SimulatorState:
    def __init__(self, config: SimulatorConfig | None = None) -> None:
        self.config = config or SimulatorConfig()
        self.rng = random.Random(self.config.seed)
        self._own_tmp: tempfile.TemporaryDirectory[str] | None = None
        if self.config.storage_dir is None:
            self._own_tmp = tempfile.TemporaryDirectory(prefix="kie-sim-")
            self.storage_dir = Path(self._own_tmp.name)
        else:
            self.storage_dir = Path(self.config.storage_dir)
        self.storage_dir.mkdir(parents=True, exist_ok=True)
        self.tasks: dict[str, SimTask] = {}
        self.create_calls = 0  # every create request that reached the simulator
        self.query_counts: Counter[str] = Counter()  # status queries per task id
        self.queries_in_progress: Counter[str] = Counter()
        self.overlapping_queries: Counter[str] = Counter()  # asked while another was out
        self.route_counts: Counter[str] = Counter()  # requests per route path
        self.credits = float(self.config.initial_credits)
        self.accepted_request_times: deque[float] = deque()  # for the rate limit
        self.recent_task_queries: dict[str, deque[float]] = {}  # per-task query limit
        self.callbacks_sent: list[CallbackRecord] = []
        self.blocked_contacts: list[BlockedContact] = []
        self.uploads: dict[str, UploadedFile] = {}
        self.background: set[asyncio.Task[None]] = set()

    @property
    def uploads_dir(self) -> Path:
        return self.storage_dir / "uploads"

    @property
    def media_dir(self) -> Path:
        return self.storage_dir / "media"

    def find_upload(self, key: str) -> UploadedFile | None:
        """The upload stored at "uploadPath/fileName", also one left on disk by an earlier
        run over the same storage folder (demo mode restarts keep their files)."""
        if key in self.uploads:
            return self.uploads[key]
        root = self.uploads_dir.resolve()
        candidate = (root / key).resolve()
        if root not in candidate.parents or not candidate.is_file() or candidate.suffix == ".part":
            return None
        stat = candidate.stat()
        mime_type = mimetypes.guess_type(candidate.name)[0] or "application/octet-stream"
        uploaded_at = datetime.fromtimestamp(stat.st_mtime, tz=timezone.utc)
        return UploadedFile(key, candidate, stat.st_size, mime_type, uploaded_at)

    def new_task_id(self) -> str:
        return f"{self.rng.getrandbits(128):032x}"

    def roll(self, probability: float) -> bool:
        return probability > 0 and self.rng.random() < probability

    def close(self) -> None:
        """Cancel pending callbacks and remove the temporary folder if this state made it.

        Call once the server has stopped (its loop is then closed or idle).
        """
        for task in list(self.background):
            with contextlib.suppress(RuntimeError):  # its loop may already be closed
                task.cancel()
        if self._own_tmp is not None:
            self._own_tmp.cleanup()
            self._own_tmp = None

    def snapshot(self) -> dict[str, Any]:
        """JSON-ready summary for the debug route."""
        now = time.time()
        return {
            "config": self.config.public_view(),
            "credits": self.credits,
            "create_calls": self.create_calls,
            "query_counts": dict(self.query_counts),
            "overlapping_queries": {k: v for k, v in self.overlapping_queries.items() if v},
            "route_counts": dict(self.route_counts),
            "tasks": {
                task.task_id: {
                    "family": task.family.value,
                    "model": task.model,
                    "phase": task.phase_at(now),
                    "created_at": task.created_at,
                    "ends_at": task.ends_at,
                    "outcome": FAIL if task.failure else SUCCESS,
                    "callback_url": task.callback_url,
                }
                for task in self.tasks.values()
            },
            "callbacks_sent": [
                {
                    "task_id": record.task_id,
                    "url": record.url,
                    "contacted": record.contacted,
                    "status_code": record.status_code,
                    "error": record.error,
                    "sent_at": record.sent_at.isoformat(),
                    "callback_type": (record.payload.get("data") or {}).get("callbackType"),
                }
                for record in self.callbacks_sent
            ],
            "blocked_contacts": [
                {"url": b.url, "purpose": b.purpose, "task_id": b.task_id, "at": b.at.isoformat()}
                for b in self.blocked_contacts
            ],
            "uploads": {
                key: {"size": f.size, "mime_type": f.mime_type, "uploaded_at": f.uploaded_at.isoformat()}
                for key, f in self.uploads.items()
            },
        }
