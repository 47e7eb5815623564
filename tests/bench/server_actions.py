"""Server action overhead: create_generation_task latency against a bare INSERT of the
same row (the baseline, measured in the same run), on SQLite and PostgreSQL.

create_generation_task never waits for Kie (the engine submits later), so its latency is
Atelier's own: validation against the catalog, the idempotency check, the row and its
first event in one transaction.
"""

from __future__ import annotations

import asyncio
import time
import uuid

from sqlmodel import Session

from app.actions.tasks import create_generation_task
from app.store.transitions import record_creation
from tests.bench.report import Section, median, percentile
from tests.databases import each_migrated_database
from tests.factories import make_task

PARAMS = {"prompt": "a lighthouse at dusk, oil on canvas", "aspect_ratio": "16:9"}


def _bare_insert(db) -> None:
    with Session(db) as session:
        record_creation(session, make_task(prompt=PARAMS["prompt"]))
        session.commit()


async def _measure(db, count: int) -> tuple[list[float], list[float], float]:
    baseline, action = [], []
    for _ in range(count):  # interleaved, so both see the same machine
        started = time.perf_counter()
        _bare_insert(db)
        baseline.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        result = await create_generation_task("imagen4", PARAMS, idempotency_key=uuid.uuid4().hex,
                                              db=db)
        action.append((time.perf_counter() - started) * 1000)
        assert result.ok, result.message
    started = time.perf_counter()
    sustained = count
    for _ in range(sustained):
        await create_generation_task("imagen4", PARAMS, db=db)
    per_second = sustained / (time.perf_counter() - started)
    return baseline, action, per_second


async def measure(count: int = 1000) -> Section:
    section = Section("Server action overhead: create_generation_task",
                      "make bench  (tests/bench/server_actions.py)")
    rows = []
    for label, db in each_migrated_database():
        baseline, action, per_second = await _measure(db, count)
        rows.append([label, f"{median(baseline):.2f}", f"{median(action):.2f}",
                     f"{percentile(action, 0.99):.2f}", f"{median(action) / median(baseline):.2f}",
                     f"{median(action) - median(baseline):.2f}", f"{per_second:.0f}"])
    section.note(f"{count} creates per database, one process. Baseline: inserting the same row "
                 "and its event directly (no validation, no idempotency lookup).")
    section.table(["database", "bare insert p50 ms", "create p50 ms", "create p99 ms",
                   "p50 ratio", "overhead p50 ms", "sustained creates/s"], rows)
    return section


if __name__ == "__main__":
    print(asyncio.run(measure(200)).render())
