"""The account's create budget shared by every engine on one database.

Kie limits creates per account, not per process: two Atelier processes with their own
limiters would each spend the whole budget. The database already knows every create:
a task in `submitting` is one on its way, and `submitted_at` stamps the answer of each
accepted one. So the shared count is read from the rows themselves, the same rule as
the in-process limiter (`rate_limit.py`): a create counts from the moment it is sent
until a full window after its answer.

Counting and claiming must not interleave between processes, or two could both see
one free slot: the claim runs under a lock all processes see. On PostgreSQL that is an
advisory lock, held on a connection of its own because each claim commits separately;
on SQLite (one machine; several workers when REDIS_URL is set) a file lock beside the
database file.
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine as DbEngine
from sqlmodel import Session

from app.store.models import GenerationTask, utcnow
from app.store.status import TaskStatus

_TASK = GenerationTask.__table__
# Any fixed 64-bit number, the same in every Atelier process: "the create budget".
ADVISORY_LOCK_KEY = 0x4B49455F43524541  # "KIE_CREA"


class SharedCreateBudget:
    def __init__(self, db: DbEngine, limit: int, window_seconds: float) -> None:
        self.db = db
        self.limit = limit
        self.window = window_seconds

    def _since(self):
        return utcnow() - timedelta(seconds=self.window)

    def _used(self, session: Session) -> tuple[int, int]:
        """Creates on their way, and creates answered within the window."""
        sending = session.execute(
            sa.select(sa.func.count()).select_from(_TASK)
            .where(_TASK.c.status == TaskStatus.SUBMITTING)).scalar_one()
        answered = session.execute(
            sa.select(sa.func.count()).select_from(_TASK)
            .where(_TASK.c.submitted_at > self._since())).scalar_one()
        session.rollback()
        return int(sending), int(answered)

    def available(self, session: Session) -> int:
        sending, answered = self._used(session)
        return max(0, self.limit - sending - answered)

    def seconds_until_available(self, session: Session) -> float | None:
        """When enough counted creates have left the window for one more; None when
        only answers still on their way can free a slot."""
        sending, answered = self._used(session)
        excess = sending + answered - self.limit
        if excess < 0:
            return 0.0
        if excess >= answered:
            return None
        leaving = session.execute(
            sa.select(_TASK.c.submitted_at).where(_TASK.c.submitted_at > self._since())
            .order_by(_TASK.c.submitted_at).offset(excess).limit(1)).scalar_one_or_none()
        session.rollback()
        if leaving is None:  # the window moved on meanwhile
            return 0.0
        return max(0.0, (leaving + timedelta(seconds=self.window) - utcnow()).total_seconds())

    def exclusive(self) -> contextlib.AbstractContextManager[None]:
        """Only one process at a time counts and claims."""
        if self.db.dialect.name == "postgresql":
            return self._advisory_lock()
        database = self.db.url.database
        if database and database != ":memory:":
            return _file_lock(Path(database).with_name(Path(database).name + ".budget-lock"))
        return contextlib.nullcontext()  # an in-memory database has one process

    @contextlib.contextmanager
    def _advisory_lock(self) -> Iterator[None]:
        with self.db.connect() as connection:
            connection.execute(sa.select(sa.func.pg_advisory_lock(ADVISORY_LOCK_KEY)))
            try:
                yield
            finally:
                connection.execute(sa.select(sa.func.pg_advisory_unlock(ADVISORY_LOCK_KEY)))


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
