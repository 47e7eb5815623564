"""Scale-out on PostgreSQL: the same batch tracked by 1, 2 and 4 engine processes.

Each run: a fresh PostgreSQL database, a simulator process (short durations, so the
engines' own work sets the pace, not Kie's), the batch created at once, then N headless
engine processes (`python -m app.engine`) that split it through leases and one shared
create budget. Reported: tasks tracked per second (created → every one final), status
queries per task, detection delay (Kie finished → row final), and status queries asked
while another was out for the same task (two engines on one task: must be 0). The
1-process run is the baseline.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
from pathlib import Path

import httpx
import sqlalchemy as sa

from app.store.models import GenerationTask, TaskEvent
from app.store.status import ACTIVE_STATUSES, TaskStatus
from tests.bench.engine_scale import _create_rows
from tests.bench.processes import PYTHON, simulator
from tests.bench.report import Section, median, percentile
from tests.databases import fresh_postgres_url, migrate_to_head, postgres_available
from tests.processes import free_port, running_process

_TASK = GenerationTask.__table__
_EVENT = TaskEvent.__table__
TIME_SCALE = 0.02  # an Imagen render of ~20 s takes ~0.4 s


def _active(db) -> int:
    with db.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(_TASK).where(
            _TASK.c.status.in_([s.value for s in ACTIVE_STATUSES]))).scalar_one()


def _run(processes: int, tasks: int) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="atelier-scaleout-"))
    with fresh_postgres_url() as database_url:
        db = migrate_to_head(database_url)
        asyncio.run(_create_rows(db, tasks))
        with simulator(workdir, time_scale=TIME_SCALE) as sim_url:
            env = {"DATABASE_URL": database_url, "KIE_API_KEY": "bench", "KIE_BASE_URL": sim_url,
                   "KIE_UPLOAD_BASE_URL": sim_url, "RATE_LIMIT_CREATES": "100000",
                   "ENGINE_TICK_SECONDS": "0.05", "STORAGE_DIR": str(workdir / "files"),
                   # The schedule's longest wait, compressed like the durations.
                   "POLL_MAX_INTERVAL_SECONDS": str(30 * TIME_SCALE)}
            with contextlib.ExitStack() as stack:
                started = time.perf_counter()
                for index in range(processes):
                    port = free_port()
                    args = [PYTHON, "-m", "app.engine", "--serve-port", str(port),
                            "--time-scale", str(TIME_SCALE), "--max-concurrency", "64",
                            "--log-level", "WARNING"]
                    stack.enter_context(running_process(
                        args, [f"http://127.0.0.1:{port}/api/health"], env,
                        workdir / f"engine-{index}.log", timeout=120))
                while _active(db) and time.perf_counter() - started < 900:
                    time.sleep(0.2)
                wall = time.perf_counter() - started
            sim = httpx.get(sim_url + "/sim/state", timeout=60).json()
        with db.connect() as connection:
            # When the row turned final: its final event (completed_at carries Kie's
            # own completion time when Kie reports one).
            final_event = (sa.select(sa.func.max(_EVENT.c.created_at))
                           .where(_EVENT.c.task_id == _TASK.c.id,
                                  _EVENT.c.to_status == _TASK.c.status)
                           .scalar_subquery())
            rows = connection.execute(sa.select(_TASK.c.provider_task_id, final_event,
                                                _TASK.c.status)).all()
        db.dispose()
    queries, delays = [], []
    for provider_id, finished_at, _ in rows:
        remote = sim["tasks"].get(provider_id or "")
        if remote is None or finished_at is None:
            continue
        queries.append(sim["query_counts"].get(provider_id, 0))
        delays.append(max(0.0, finished_at.timestamp() - remote["ends_at"]))
    unfinished = sum(1 for *_, status in rows if status in {s.value for s in ACTIVE_STATUSES})
    attention = sum(1 for *_, status in rows if status == TaskStatus.NEEDS_ATTENTION.value)
    return {"processes": processes, "wall": wall, "per_second": tasks / wall,
            "queries": queries, "delays": delays, "unfinished": unfinished, "attention": attention,
            "overlaps": sum(sim.get("overlapping_queries", {}).values()),
            "creates": sim["create_calls"], "tasks": tasks}


def measure(tasks: int = 3000, counts: tuple[int, ...] = (1, 2, 4)) -> Section:
    section = Section("Scale-out: 1, 2 and 4 engine processes on PostgreSQL",
                      "make bench  (tests/bench/scale_out.py)")
    if not postgres_available():
        section.note("PostgreSQL at 127.0.0.1:5432 was not reachable: not measured.")
        return section
    results = [_run(n, tasks) for n in counts]
    baseline = results[0]
    section.note(
        f"{tasks:,} tasks created at once, tracked to their end by N headless engines "
        f"(`python -m app.engine`, 64 requests at once each) on one PostgreSQL database, "
        f"against a simulator process at time scale {TIME_SCALE} (renders take well under "
        "a second, so the engines set the pace). No rate limit. All processes share this "
        "machine's cores, so more processes cannot add CPU here: the table shows that work "
        "splits without loss or duplication, and what the coordination costs.")
    section.table(
        ["processes", "wall s", "tasks/s", "vs 1 process", "queries/task p50", "p95",
         "delay p50 ms", "delay p95 ms", "creates sent", "overlapping queries", "unfinished",
         "waiting for a person"],
        [[str(r["processes"]), f"{r['wall']:.1f}", f"{r['per_second']:.0f}",
          f"{r['per_second'] / baseline['per_second']:.2f}×",
          f"{median(r['queries']):.0f}", f"{percentile(r['queries'], 0.95):.0f}",
          f"{median(r['delays']) * 1000:.0f}", f"{percentile(r['delays'], 0.95) * 1000:.0f}",
          f"{r['creates']:,} / {r['tasks']:,}", str(r["overlaps"]), str(r["unfinished"]),
          str(r["attention"])]
         for r in results])
    return section


if __name__ == "__main__":
    print(measure(300).render())
