"""Engine scale, in two phases measured in one run, each with one headless engine process
(`python -m app.engine`) on SQLite against a simulator process (no rate limit):

1. **Drain**: a batch created at once goes through submission and tracking; this gives
   the submission throughput (which bounds how many tasks are out at Kie at once).
2. **10,000 in flight**: 10,000 tasks already accepted by Kie (as a previous engine
   process left them before a restart) are handed to a new engine, which must track
   every one to its end. All 10,000 are in flight from the start.

For each phase: all tasks must finish; the engine's peak RSS and CPU seconds, with its
RSS at start as the baseline. The simulator's memory is not counted.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session

from app.actions.tasks import create_generation_task
from app.engine.durations import prior_for
from app.engine.worker import CALLBACK_REQUIRED, UNREACHABLE_CALLBACK_BASE
from app.providers.kie import KieClient
from app.providers.kie.families import ApiFamily
from app.store.models import GenerationTask, utcnow
from app.store.status import ACTIVE_STATUSES, TaskStatus
from tests.bench.processes import PYTHON, MemoryWatch, simulator
from tests.bench.report import Section
from tests.catalog.cases import first_case
from tests.databases import migrate_to_head
from tests.processes import free_port, running_process

MIB = 1024 * 1024
WORKLOAD = ["imagen4", "nano-banana", "midjourney-generate", "veo3", "sora2", "suno"]
IN_FLIGHT = (TaskStatus.SUBMITTING, TaskStatus.PENDING, TaskStatus.PROCESSING)
_TASK = GenerationTask.__table__


def _counts(db) -> dict[str, int]:
    with Session(db) as session:
        rows = session.execute(
            sa.select(GenerationTask.status, sa.func.count()).group_by(GenerationTask.status)
        ).all()
    return {status.value if isinstance(status, TaskStatus) else str(status): count
            for status, count in rows}


async def _create_rows(db, tasks: int) -> None:
    for index in range(tasks):
        case = first_case(WORKLOAD[index % len(WORKLOAD)])
        result = await create_generation_task(case.api_type, case.params, db=db)
        assert result.ok, result.message


async def _submit_directly(db, sim_url: str, time_scale: float, concurrency: int = 64) -> None:
    """Send every queued row to the simulator and mark it pending, as an engine would have
    (first query at the model's expected fast end): the state a restart inherits."""
    with Session(db) as session:
        rows = session.execute(sa.select(_TASK.c.id, _TASK.c.api_type, _TASK.c.api_family,
                                         _TASK.c.provider_body, _TASK.c.callback_token)).all()
    client = KieClient("bench", sim_url, sim_url, timeout=30)
    gate = asyncio.Semaphore(concurrency)
    accepted: list[dict] = []

    async def submit(row) -> None:
        callback = (f"{UNREACHABLE_CALLBACK_BASE}/api/kie/callback/{row.callback_token}"
                    if row.api_family in CALLBACK_REQUIRED else None)
        async with gate:
            provider_id = await client.create_task(ApiFamily(row.api_family), row.provider_body,
                                                   callback_url=callback)
        now = utcnow()
        first_query = prior_for(row.api_type).fast_end * time_scale
        accepted.append({"row_id": row.id, "provider_id": provider_id, "sent": now,
                         "due": now + timedelta(seconds=first_query)})

    await asyncio.gather(*(submit(row) for row in rows))
    await client.aclose()
    with Session(db) as session:
        session.execute(
            _TASK.update().where(_TASK.c.id == sa.bindparam("row_id")).values(
                status=TaskStatus.PENDING.value, previous_status=TaskStatus.QUEUED.value,
                provider_task_id=sa.bindparam("provider_id"), submitted_at=sa.bindparam("sent"),
                updated_at=sa.bindparam("sent"), next_poll_at=sa.bindparam("due")),
            accepted)
        session.commit()


def _drive(db, database_url: str, workdir: Path, sim_url: str, time_scale: float,
           name: str) -> dict:
    """Run one engine process until no task is active; return what it took."""
    port = free_port()
    env = {"DATABASE_URL": database_url, "KIE_API_KEY": "bench", "KIE_BASE_URL": sim_url,
           "KIE_UPLOAD_BASE_URL": sim_url, "RATE_LIMIT_CREATES": "100000",
           "ENGINE_TICK_SECONDS": "0.05", "STORAGE_DIR": str(workdir / "files")}
    args = [PYTHON, "-m", "app.engine", "--serve-port", str(port),
            "--time-scale", str(time_scale), "--max-concurrency", "128", "--log-level", "WARNING"]
    # What the engine is handed (the in-flight phase hands it everything at once).
    peak_in_flight = sum(_counts(db).get(s.value, 0) for s in IN_FLIGHT)
    with running_process(args, [f"http://127.0.0.1:{port}/api/health"], env,
                         workdir / f"engine-{name}.log", timeout=120) as engine:
        started = time.perf_counter()
        with MemoryWatch(engine.pid, interval=0.25) as watch:
            deadline = time.monotonic() + 1800
            while time.monotonic() < deadline:
                counts = _counts(db)
                peak_in_flight = max(peak_in_flight, sum(counts.get(s.value, 0) for s in IN_FLIGHT))
                if sum(counts.get(s.value, 0) for s in ACTIVE_STATUSES) == 0:
                    break
                time.sleep(1.0)
            cpu = watch.cpu_seconds()
        wall = time.perf_counter() - started
    counts = _counts(db)
    return {"peak_in_flight": peak_in_flight, "counts": counts, "wall": wall, "cpu": cpu,
            "start_rss": watch.start_rss, "peak_rss": watch.peak,
            "finished": counts.get("succeeded", 0) + counts.get("failed", 0)}


def _phase(label: str, tasks: int, time_scale: float, presubmitted: bool) -> tuple[dict, float]:
    workdir = Path(tempfile.mkdtemp(prefix="atelier-scale-"))
    database_url = f"sqlite:///{workdir / 'atelier.db'}"
    db = migrate_to_head(database_url)
    started = time.perf_counter()
    asyncio.run(_create_rows(db, tasks))
    create_seconds = time.perf_counter() - started
    with simulator(workdir, time_scale=time_scale) as sim_url:
        if presubmitted:
            asyncio.run(_submit_directly(db, sim_url, time_scale))
        result = _drive(db, database_url, workdir, sim_url, time_scale, label)
    db.dispose()
    return result, create_seconds


def measure(tasks: int = 10_000, drain_tasks: int = 2_000, time_scale: float = 1.0) -> Section:
    drain, drain_create_s = _phase("drain", drain_tasks, time_scale, presubmitted=False)
    held, _ = _phase("in-flight", tasks, time_scale, presubmitted=True)
    section = Section(f"Engine scale: {tasks:,} tasks in flight in one process",
                      "make bench  (tests/bench/engine_scale.py)")
    section.note(
        f"Simulator time scale {time_scale} (real per-model durations), no rate limit, one "
        "headless engine per phase (max 128 requests at once) on SQLite. *Drain*: "
        f"{drain_tasks:,} tasks created at once ({drain_create_s:.1f} s through "
        "create_generation_task), submitted and tracked by the engine; submissions per "
        f"second bound how many are out at Kie together. *In flight*: {tasks:,} tasks already "
        "accepted by the simulator (as an engine left them before a restart), handed to a "
        "new engine that tracks every one to its end. Baseline: the engine's RSS at start.")
    rows = []
    for name, result, total in (("drain", drain, drain_tasks), ("in flight", held, tasks)):
        other = {k: v for k, v in result["counts"].items() if k not in ("succeeded", "failed")}
        rows.append([name, f"{total:,}", f"{result['peak_in_flight']:,}",
                     f"{result['finished']:,}", str(other or "none"), f"{result['wall']:.0f}",
                     f"{total / result['wall']:.0f}", f"{result['cpu']:.0f}",
                     f"{result['start_rss'] / MIB:.0f}", f"{result['peak_rss'] / MIB:.0f}",
                     f"{result['peak_rss'] / result['start_rss']:.2f}×"])
    section.table(["phase", "tasks", "peak in flight", "finished", "other states", "wall s",
                   "tasks/s", "engine CPU s", "RSS at start MiB", "peak RSS MiB", "growth"], rows)
    section.note("Goal: every task finishes; peak RSS under 300 MiB with 10,000 in flight.")
    return section


if __name__ == "__main__":
    print(measure(500, 200).render())
