"""Engine efficiency: status queries per task and detection delay, Atelier's adaptive
schedule against a fixed 5 s interval and an age-based 2 s → 15 s interval, on the same
mixed workload with realistic per-model durations (time-compressed), in one run.

Durations and delays are reported in *simulated* seconds (real seconds divided by the
time scale), so they read as they would against Kie.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, select

from app.actions.tasks import create_generation_task
from app.engine.schedule import AgeBasedInterval, FixedInterval
from app.engine.worker import Engine
from app.providers.kie import KieClient, RetryPolicy
from app.settings import Settings
from app.simulator.config import SimulatorConfig
from app.simulator.testing import running_simulator
from app.store.models import GenerationTask, TaskEvent
from app.store.status import TaskStatus
from tests.bench.report import Section, median, percentile, spread
from tests.catalog.cases import first_case
from tests.databases import migrate_to_head

# A studio's everyday mix: images most often, then video, music, speech.
WORKLOAD = (["imagen4"] * 4 + ["nano-banana"] * 2 + ["midjourney-generate"] * 2
            + ["veo3", "sora2", "kling-v2-1-pro", "suno", "elevenlabs-tts"])


@dataclass
class RunResult:
    name: str
    queries: list[float]
    delays: list[float]   # simulated seconds from Kie's finish to our row's update
    by_model: dict[str, list[tuple[float, float]]]  # api_type -> (queries, delay) per task
    wall_seconds: float
    unfinished: int


def _settings(time_scale: float) -> Settings:
    # Intervals shrink with the time scale, so every policy sees the same compressed world.
    return Settings(
        kie_api_key="bench", rate_limit_creates=100_000, engine_tick_seconds=0.02,
        poll_min_interval_seconds=0.34 * time_scale, poll_max_interval_seconds=30 * time_scale,
        lease_seconds=30, kie_request_timeout_seconds=10, task_deadline_minutes=60,
    )


# name -> the policy at a time scale (None: the engine's own adaptive schedule).
POLICIES = {
    "Atelier adaptive": lambda scale: None,
    "fixed 5 s": lambda scale: FixedInterval(5 * scale),
    "age-based 2 s → 15 s": lambda scale: AgeBasedInterval(2 * scale, 15 * scale, 300 * scale),
}


async def _run_batch(engine: Engine, db, tasks: int, time_scale: float) -> set[str]:
    """Create a batch, let `engine` drive it to the end; return the batch's task ids."""
    runner = asyncio.create_task(engine.run())
    ids = set()
    for index in range(tasks):
        case = first_case(WORKLOAD[index % len(WORKLOAD)])
        result = await create_generation_task(case.api_type, case.params, db=db)
        assert result.ok, result.message
        ids.add(result.data.id)
    engine.wake()
    deadline = time.monotonic() + 900 * time_scale + 60
    while time.monotonic() < deadline:
        with Session(db) as session:
            open_count = session.execute(
                sa.select(sa.func.count()).select_from(GenerationTask)
                .where(GenerationTask.status.in_(
                    [TaskStatus.QUEUED, TaskStatus.SUBMITTING, TaskStatus.PENDING,
                     TaskStatus.PROCESSING]))).scalar_one()
        if open_count == 0:
            break
        await asyncio.sleep(0.2)
    await engine.stop()
    await asyncio.wait_for(runner, 30)
    return ids


async def run_policy(name: str, tasks: int, time_scale: float, seed: int,
                     policy_key: str | None = None, warm_batches: int = 0) -> RunResult:
    """One policy on a fresh database and simulator. With `warm_batches`, earlier
    batches first build the history the adaptive schedule learns from; only the last
    batch is measured."""
    workdir = Path(tempfile.mkdtemp(prefix="atelier-bench-"))
    db = migrate_to_head(f"sqlite:///{workdir / 'bench.db'}")
    config = SimulatorConfig(time_scale=time_scale, seed=seed, failure_rate=0.1,
                             rate_limit_creates=0, storage_dir=workdir / "sim")
    async with running_simulator(config) as sim:
        settings = _settings(time_scale)
        client = KieClient("bench", sim.base_url, sim.base_url, timeout=10,
                           retry=RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05))
        started = time.monotonic()
        for _ in range(warm_batches + 1):
            # A fresh engine per batch: it learns durations from the history so far.
            engine = Engine(settings, client, db, time_scale=time_scale, max_concurrency=256,
                            policy=POLICIES[policy_key or name](time_scale))
            measured = await _run_batch(engine, db, tasks, time_scale)
        wall = time.monotonic() - started
        await client.aclose()
        queries, delays, unfinished, by_model = [], [], 0, {}
        with Session(db) as session:
            for task in session.exec(select(GenerationTask)).all():
                if task.id not in measured:
                    continue
                if not task.status.is_terminal or not task.provider_task_id:
                    unfinished += 1
                    continue
                remote = sim.state.tasks[task.provider_task_id]
                event = session.exec(
                    select(TaskEvent).where(TaskEvent.task_id == task.id,
                                            TaskEvent.to_status == task.status.value)).first()
                queries.append(sim.state.query_counts.get(task.provider_task_id, 0))
                detected = event.created_at.timestamp()
                delays.append(max(0.0, detected - remote.ends_at) / time_scale)
                by_model.setdefault(task.api_type, []).append((queries[-1], delays[-1]))
    db.dispose()
    return RunResult(name=name, queries=queries, delays=delays, by_model=by_model,
                     wall_seconds=wall, unfinished=unfinished)


async def measure(tasks: int = 130, time_scale: float = 0.4, seed: int = 11) -> Section:
    results = [await run_policy(name, tasks, time_scale, seed) for name in POLICIES]
    results.insert(1, await run_policy("Atelier adaptive, after one batch of history", tasks,
                                       time_scale, seed, policy_key="Atelier adaptive",
                                       warm_batches=1))
    section = Section(
        "Engine schedule: status queries per task and detection delay",
        "make bench  (tests/bench/engine_schedules.py)",
    )
    section.note(f"{tasks} tasks per policy, mixed models ({', '.join(sorted(set(WORKLOAD)))}), "
                 f"simulator durations per model, 10% failures, time scale {time_scale}. "
                 "Same seed, so every policy meets the same tasks. Delays are in simulated "
                 "seconds (Kie finished → Atelier's row updated). Cold rows start from an "
                 "empty history (catalog priors only); the history row first runs one batch "
                 "so the schedule has learned each model's durations, then measures the next.")
    baseline = next(r for r in results if r.name.startswith("age-based"))
    rows = []
    for result in results:
        rows.append([
            result.name, f"{median(result.queries):.1f}", f"{percentile(result.queries, 0.95):.1f}",
            f"{median(result.queries) / median(baseline.queries):.2f}",
            f"{median(result.delays):.2f} ({spread(result.delays)})",
            f"{percentile(result.delays, 0.95):.2f}",
            f"{percentile(result.delays, 0.95) / percentile(baseline.delays, 0.95):.2f}",
            str(result.unfinished),
        ])
    section.table(["schedule", "queries/task p50", "p95", "p50 vs age-based",
                   "delay p50 s (IQR)", "delay p95 s", "p95 vs age-based", "unfinished"], rows)
    models = sorted(results[0].by_model)
    section.note("Per model: median queries per task / median detection delay (s).")
    section.table(["schedule", *models], [
        [r.name, *[f"{median([q for q, _ in r.by_model.get(m, [])]):.0f} / "
                   f"{median([d for _, d in r.by_model.get(m, [])]):.1f}" for m in models]]
        for r in results])
    return section


if __name__ == "__main__":
    print(asyncio.run(measure()).render())
