"""The soak: Atelier under minutes of mixed work against a faulty Kie, killed halfway.

Atelier runs as the headless engine with its JSON API (`python -m app.engine
--serve-port N`: the same actions, callback route and engine as the web app, without a
frontend build), on SQLite, against a simulator in this process with faults on: 5xx and
maintenance answers, answers later than the client waits, unreadable bodies, and a Kie
rate limit below Atelier's own so bursts of creates meet 429s. The driver speaks only
HTTP: creates across several models (each with an idempotency key, resent with the same
key when the server is down), uploads followed by an image edit that uses the upload,
and browsing (lists with filters and pages, task details, events, the catalog). Halfway
through, the engine gets SIGKILL and a new one starts on the same port.

Then every task must be accounted for: nothing lost, nothing sent to Kie twice, no 5xx
of Atelier's own. One module, two users: `make bench` (tests/bench/soak.py, 30 minutes)
and `make test` (tests/soak/test_soak.py, about a minute). The engine process and its
settings come from the recovery test (tests/engine/test_recovery.py).
"""

from __future__ import annotations

import asyncio
import collections
import io
import random
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil
from PIL import Image
from sqlmodel import Session, select

from app.simulator.config import SimulatorConfig
from app.simulator.testing import RunningSimulator, running_simulator_sync
from app.store.models import GenerationTask, TaskEvent
from app.store.status import TaskStatus
from tests.catalog.cases import first_case
from tests.api.support import bearer_headers
from tests.databases import migrate_to_head
from tests.engine.test_recovery import REQUEST_TIMEOUT, EngineProcess, _engine_env
from tests.processes import free_port

MODELS = ["imagen4", "nano-banana", "midjourney-generate", "veo3", "suno", "elevenlabs-tts",
          "kling-v2-5-turbo-text-to-video"]
EDIT_MODEL = "nano-banana-edit"  # takes the uploaded image
TIME_SCALE = 0.05  # a real 60 s video takes 3 s
CREATE_PAUSE = 0.4  # seconds between single creates
BURST, BURST_EVERY = 15, 20.0  # a burst of creates every so often, above Kie's limit
UPLOAD_EVERY = 3.0
MIB = 1024 * 1024
# How Atelier's audit events name what Kie's faults and the kill did to a task.
FAULT_EVENTS = {"Kie's rate limit": "rate limit", "Kie unavailable": "Kie unavailable",
                "create outcome unknown": "unknown outcome",
                "create cut off by the kill": "submission interrupted",
                "reconciled from a callback": "reconciled from a callback"}


def faulty_kie(seed: int) -> SimulatorConfig:
    return SimulatorConfig(
        time_scale=TIME_SCALE, seed=seed, failure_rate=0.1,
        # Refused before anything is made: Atelier may send these again later.
        create_error_rates={500: 0.05, 455: 0.02}, query_error_rates={500: 0.05, 455: 0.02},
        # Made, but answered after the client gave up: the outcome of a paid create is
        # unknown (callbacks reconcile those).
        timeout_rate=0.02, timeout_sleep_seconds=REQUEST_TIMEOUT + 1,
        malformed_json_rate=0.02,
        # Atelier allows 20 creates a second (_engine_env); Kie here allows 10.
        rate_limit_creates=10, rate_limit_window_seconds=1.0,
        # An account that never runs dry (10,000 credits last about 500 tasks): the soak
        # is about faults, not the bill; every create would fail with 402 after that.
        initial_credits=1e12,
    )


@dataclass
class SoakResult:
    seconds: float
    created: int = 0  # tasks the API accepted (distinct ids)
    succeeded: int = 0
    failed: int = 0
    needs_attention: int = 0  # outcome unknown and Kie never made it: a person decides
    needs_attention_kie_has: int = 0  # Kie made it but its answer and callbacks were lost
    lost: int = 0
    lost_detail: list[str] = field(default_factory=list)
    failed_before_kie: int = 0  # refused for good before Kie made anything
    duplicates: int = 0  # extra tasks at Kie, or extra rows here, for one request
    orphans: int = 0  # tasks at Kie that no accepted request asked for
    server_errors: int = 0  # 5xx answered by Atelier (API or callback route)
    server_error_detail: list[str] = field(default_factory=list)
    kie_unavailable: int = 0  # 503 Kie unavailable: an upload Kie's fault stopped
    unreachable: int = 0  # requests that found no server (the kill)
    resent: int = 0  # creates sent again with the same idempotency key after that
    requests: collections.Counter = field(default_factory=collections.Counter)  # "kind status"
    models: collections.Counter = field(default_factory=collections.Counter)  # accepted creates
    fault_events: collections.Counter = field(default_factory=collections.Counter)
    uploads: int = 0
    create_calls: int = 0  # create requests Kie received
    kie_tasks: int = 0  # tasks Kie made
    callbacks: int = 0
    rss_start: int = 0
    rss_at_kill: int = 0
    rss_restart: int = 0
    rss_end: int = 0
    restart_seconds: float = 0.0
    restart_exit_code: int | None = None

    @property
    def completed(self) -> int:
        return self.succeeded + self.failed

    def summary(self) -> str:
        parts = [
            f"soak {self.seconds:.0f} s: {self.created} tasks, {self.completed} completed "
            f"({self.succeeded} succeeded, {self.failed} failed)",
            f"needs a person {self.needs_attention} + {self.needs_attention_kie_has} (Kie has it)",
            f"lost {self.lost}, duplicates {self.duplicates}, orphans at Kie {self.orphans}",
            f"failed before Kie {self.failed_before_kie}, 5xx {self.server_errors}, "
            f"503 Kie unavailable {self.kie_unavailable}",
            f"unreachable {self.unreachable} ({self.resent} creates resent)",
            f"{self.uploads} uploads, creates {dict(self.models)}",
            f"requests {dict(sorted(self.requests.items()))}",
            f"Kie: {self.create_calls} create calls, {self.kie_tasks} tasks, "
            f"{self.callbacks} callbacks; events {dict(self.fault_events)}",
            f"RSS MiB start {self.rss_start / MIB:.0f}, at kill {self.rss_at_kill / MIB:.0f}, "
            f"restart {self.rss_restart / MIB:.0f}, end {self.rss_end / MIB:.0f}; restart took "
            f"{self.restart_seconds:.1f} s",
        ]
        if self.lost_detail:
            parts.append(f"lost: {self.lost_detail[:5]}")
        if self.server_error_detail:
            parts.append(f"5xx: {self.server_error_detail[:5]}")
        return "; ".join(parts)


def _png(rng: random.Random) -> bytes:
    image = Image.new("RGB", (64, 64), tuple(rng.randrange(256) for _ in range(3)))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _params(api_type: str, prompt: str, image_url: str | None = None) -> dict:
    params = dict(first_case(api_type).params)
    params["text" if "text" in params else "prompt"] = prompt
    if image_url:
        params["image_urls"] = [image_url]
    return params


class Driver:
    """The clients: everything goes through Atelier's HTTP API, as a person's would."""

    def __init__(self, base_url: str, result: SoakResult, seed: int,
                 headers: dict[str, str]) -> None:
        self.http = httpx.AsyncClient(base_url=base_url, timeout=30, headers=headers)
        self.result = result
        self.rng = random.Random(seed)
        self.accepted: dict[str, str] = {}  # idempotency key -> task id
        self.prompts: dict[str, str] = {}  # task id -> prompt (unique per request)
        self.images: list[bytes] = []
        self.stop_at = 0.0

    async def call(self, kind: str, method: str, url: str, **kwargs) -> httpx.Response | None:
        try:
            response = await self.http.request(method, url, **kwargs)
        except httpx.TransportError:
            self.result.unreachable += 1
            return None
        self.result.requests[f"{kind} {response.status_code}"] += 1
        if response.status_code == 503 and kind == "upload":
            self.result.kie_unavailable += 1  # the documented answer when Kie is down
        elif response.status_code >= 500:
            self.result.server_errors += 1
            self.result.server_error_detail.append(
                f"{method} {url} {response.status_code} {response.text[:200]}")
        return response

    async def create(self, api_type: str, image_url: str | None = None) -> None:
        key = uuid.uuid4().hex
        prompt = f"soak {key[:12]} {api_type}"
        body = {"api_type": api_type, "params": _params(api_type, prompt, image_url)}
        # A create the kill cut off is sent again with the same key: one task, not two.
        give_up = self.stop_at + 60
        while (response := await self.call("create", "POST", "/api/tasks", json=body,
                                           headers={"Idempotency-Key": key})) is None:
            if time.monotonic() > give_up:
                return
            self.result.resent += 1
            await asyncio.sleep(0.2)
        if response.status_code in (200, 201):
            task_id = response.json()["data"]["id"]
            if self.accepted.setdefault(key, task_id) != task_id:
                self.result.duplicates += 1
            if task_id not in self.prompts:
                self.result.models[api_type] += 1
            self.prompts[task_id] = prompt

    async def creator(self) -> None:
        next_burst = time.monotonic() + BURST_EVERY / 2
        while time.monotonic() < self.stop_at:
            if time.monotonic() >= next_burst:
                next_burst += BURST_EVERY
                await asyncio.gather(*(self.create(self.rng.choice(MODELS)) for _ in range(BURST)))
            else:
                await self.create(self.rng.choice(MODELS))
            await asyncio.sleep(CREATE_PAUSE)

    async def uploader(self) -> None:
        while time.monotonic() < self.stop_at:
            # One in three sends a file sent before (Atelier reuses its remote copy).
            if self.images and self.rng.random() < 0.33:
                content = self.rng.choice(self.images)
            else:
                content = _png(self.rng)
                self.images.append(content)
            response = await self.call("upload", "POST", "/api/uploads", content=content,
                                       params={"name": "reference.png"})
            if response is not None and response.status_code == 201:
                self.result.uploads += 1
                await self.create(EDIT_MODEL, response.json()["data"]["remote_url"])
            await asyncio.sleep(UPLOAD_EVERY)

    async def browser(self) -> None:
        statuses = [s.value for s in TaskStatus]
        while time.monotonic() < self.stop_at:
            query: dict = self.rng.choice([
                {}, {"status": self.rng.sample(statuses, 2)},
                {"api_type": self.rng.choice(MODELS)}, {"q": "soak"}, {"limit": 100}])
            after = None
            for _ in range(self.rng.randint(1, 3)):  # a few pages
                response = await self.call("list", "GET", "/api/tasks",
                                           params={**query, **({"after": after} if after else {})})
                if response is None or response.status_code != 200:
                    break
                after = (response.json()["data"] or {}).get("next_cursor")
                if not after:
                    break
            if self.prompts:
                task_id = self.rng.choice(list(self.prompts))
                await self.call("detail", "GET", f"/api/tasks/{task_id}")
                await self.call("events", "GET", f"/api/tasks/{task_id}/events")
            if self.rng.random() < 0.05:
                await self.call("catalog", "GET", "/api/catalog")
            await asyncio.sleep(0.2)


async def _ready(http: httpx.AsyncClient, engine: EngineProcess, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        engine.assert_alive()
        try:
            if (await http.get("/api/health")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"the engine did not answer in {timeout}s:\n{engine.tail()}")
        await asyncio.sleep(0.1)


def _rss(engine: EngineProcess) -> int:
    return psutil.Process(engine.process.pid).memory_info().rss


def _settled(db, sim: RunningSimulator) -> bool:
    with Session(db) as session:
        tasks = session.exec(select(GenerationTask)).all()
    return (all(t.status.is_terminal or t.status is TaskStatus.NEEDS_ATTENTION for t in tasks)
            and not sim.state.background)  # callbacks still on their way may reconcile


async def _drive(seconds: float, workdir: Path, seed: int, db, database_url: str,
                 sim: RunningSimulator, result: SoakResult) -> dict[str, str]:
    port = free_port()
    # Results are mirrored as in production: part of the load a soak should carry.
    env = {**_engine_env(database_url, sim), "STORAGE_DIR": str(workdir / "files"),
           "MIRROR_RESULTS": "true"}
    args = ["--serve-port", str(port), "--time-scale", str(TIME_SCALE), "--log-level", "WARNING"]
    driver = Driver(f"http://127.0.0.1:{port}", result, seed, bearer_headers(db))
    engine = EngineProcess(env, workdir / "engine-1.log", args)
    try:
        await _ready(driver.http, engine)
        result.rss_start = _rss(engine)
        started = time.monotonic()
        driver.stop_at = started + seconds
        load = asyncio.gather(driver.creator(), driver.uploader(), driver.browser(),
                              driver.browser())

        await asyncio.sleep(seconds / 2)
        result.rss_at_kill = _rss(engine)
        engine.kill()
        killed_at = time.monotonic()
        engine = EngineProcess(env, workdir / "engine-2.log", args)
        await _ready(driver.http, engine)
        result.restart_seconds = time.monotonic() - killed_at
        result.rss_restart = _rss(engine)

        await load
        deadline = time.monotonic() + 120
        while not await asyncio.to_thread(_settled, db, sim):
            if time.monotonic() > deadline:
                break  # what is still open counts as lost below
            await asyncio.sleep(0.5)
        result.rss_end = _rss(engine)
    finally:
        await driver.http.aclose()
        result.restart_exit_code = engine.terminate()
    return driver.prompts


def _account(db, sim: RunningSimulator, prompts: dict[str, str], result: SoakResult) -> None:
    """Every accepted task against the database and against what Kie holds."""
    with Session(db) as session:
        rows = {t.id: t for t in session.exec(select(GenerationTask)).all()}
        details = session.exec(select(TaskEvent.detail)).all()
    for name, text in FAULT_EVENTS.items():
        result.fault_events[name] = sum(1 for detail in details if text in (detail or ""))
    kie_by_prompt = collections.defaultdict(list)
    for sim_task in sim.state.tasks.values():
        kie_by_prompt[sim_task.prompt].append(sim_task)
    rows_by_prompt = collections.Counter(t.prompt for t in rows.values())
    result.created = len(prompts)
    result.create_calls, result.kie_tasks = sim.state.create_calls, len(sim.state.tasks)
    result.callbacks = len(sim.state.callbacks_sent)
    result.server_errors += sum(1 for c in sim.state.callbacks_sent
                                if c.status_code and c.status_code >= 500)
    asked = set(prompts.values())
    result.orphans = sum(len(tasks) for p, tasks in kie_by_prompt.items() if p not in asked)

    def lost(task_id: str, why: str) -> None:
        result.lost += 1
        result.lost_detail.append(f"{task_id}: {why}")

    for task_id, prompt in prompts.items():
        remote = kie_by_prompt.get(prompt, [])
        result.duplicates += max(0, len(remote) - 1) + max(0, rows_by_prompt[prompt] - 1)
        task = rows.get(task_id)
        if task is None:
            lost(task_id, "accepted but not in the database")
        elif task.status is TaskStatus.NEEDS_ATTENTION:
            if remote:
                result.needs_attention_kie_has += 1
            else:
                result.needs_attention += 1
        elif not task.status.is_terminal:
            lost(task_id, f"still {task.status.value} after the drain")
        elif not remote and not task.provider_task_id and task.status is TaskStatus.FAILED:
            result.failed_before_kie += 1  # Kie refused it for good: a failure, with a reason
        elif not remote or [r.task_id for r in remote[:1]] != [task.provider_task_id]:
            lost(task_id, f"{task.status.value} but Kie holds {[r.task_id for r in remote]}")
        elif task.status is not (TaskStatus.FAILED if remote[0].failure else TaskStatus.SUCCEEDED):
            lost(task_id, f"{task.status.value}, unlike Kie's outcome")
        elif task.status is TaskStatus.SUCCEEDED:
            result.succeeded += 1
        else:
            result.failed += 1


def run_soak(seconds: float, workdir: Path, seed: int = 41) -> SoakResult:
    """Drive Atelier for `seconds` (SIGKILL and restart halfway), then account for
    every task. Returns the figures; the callers assert on them."""
    database_url = f"sqlite:///{workdir / 'atelier.db'}"
    db = migrate_to_head(database_url)
    result = SoakResult(seconds=seconds)
    try:
        with running_simulator_sync(faulty_kie(seed)) as sim:
            prompts = asyncio.run(_drive(seconds, workdir, seed, db, database_url, sim, result))
            _account(db, sim, prompts, result)
    finally:
        db.dispose()
    return result
