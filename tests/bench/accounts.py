"""What accounts cost: the session check every page event makes, a sign-in, and a task
list narrowed to one person, each against a baseline measured in the same run.

- session check (viewer_for_token: one join of user_session and user_account by primary
  key) against reading one task row by primary key, what a task page's event does anyway;
- sign-in (throttle lookups, argon2id verification, a new session row) against the argon2id
  verification alone, the part that is slow on purpose;
- a person's first task page (30 rows, owner filter) against the admin's (no filter), with
  the tasks spread over ten people.
"""

from __future__ import annotations

import asyncio
import time

from sqlmodel import Session

from app.accounts.passwords import hash_password, password_matches
from app.accounts.sessions import start_session, viewer_for_token
from app.accounts.sign_in import sign_in
from app.accounts.users import create_user
from app.actions.browse import list_generation_tasks
from app.store.models import GenerationTask
from tests.bench.report import Section, median, percentile
from tests.databases import each_migrated_database
from tests.factories import make_task

PASSWORD = "a long enough password"


def _timed(call) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


async def _atimed(call) -> float:
    started = time.perf_counter()
    await call()
    return (time.perf_counter() - started) * 1000


async def _measure(db, checks: int, sign_ins: int, tasks: int) -> dict[str, tuple[list, list]]:
    people = []
    for n in range(10):
        created = await create_user(f"person{n}", PASSWORD, db=db)
        people.append(created.data.id)
    with Session(db) as session:
        rows = [make_task(owner_id=people[n % 10], prompt=f"task {n}") for n in range(tasks)]
        session.add_all(rows)
        session.commit()
        task_id = rows[0].id
    token = start_session(people[0], db=db)

    def read_task():
        with Session(db) as session:
            session.get(GenerationTask, task_id)

    figures: dict[str, tuple[list, list]] = {"check": ([], []), "sign_in": ([], []),
                                             "list": ([], [])}
    for _ in range(checks):  # interleaved, so both see the same machine
        figures["check"][0].append(_timed(read_task))
        figures["check"][1].append(_timed(lambda: viewer_for_token(token, db=db)))
    stored = hash_password(PASSWORD)
    for _ in range(sign_ins):
        figures["sign_in"][0].append(_timed(lambda: password_matches(stored, PASSWORD)))
        figures["sign_in"][1].append(await _atimed(
            lambda: sign_in("person1", PASSWORD, "10.0.0.1", db=db)))
    for _ in range(checks // 5):
        figures["list"][0].append(await _atimed(lambda: list_generation_tasks(limit=30, db=db)))
        figures["list"][1].append(await _atimed(
            lambda: list_generation_tasks(limit=30, owner_id=people[3], db=db)))
    return figures


async def measure(checks: int = 1000, sign_ins: int = 30, tasks: int = 20_000) -> Section:
    section = Section("Accounts: session check, sign-in, one person's task list",
                      "make bench  (tests/bench/accounts.py; ATELIER_BENCH_ONLY=accounts)")
    rows = []
    labels = {"check": ("session check", "read one task by id"),
              "sign_in": ("sign-in", "argon2id verify alone"),
              "list": ("a person's first page", "the admin's first page")}
    for label, db in each_migrated_database():
        figures = await _measure(db, checks, sign_ins, tasks)
        for key, (baseline, measured) in figures.items():
            what, against = labels[key]
            rows.append([label, what, f"{median(measured):.2f}", f"{percentile(measured, 0.95):.2f}",
                         against, f"{median(baseline):.2f}",
                         f"{median(measured) / median(baseline):.2f}"])
    section.note(f"{checks} session checks, {sign_ins} sign-ins, {checks // 5} list pages per "
                 f"database; {tasks:,} tasks over ten people. Figures in ms; ratio = p50 / "
                 "baseline p50.")
    section.table(["database", "what", "p50", "p95", "baseline", "baseline p50", "ratio"], rows)
    return section


if __name__ == "__main__":
    print(asyncio.run(measure(200, 10, 2000)).render())
