"""The database engine: SQLite tuned for concurrency by default, PostgreSQL when configured."""

from __future__ import annotations

import functools
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session

from app.settings import get_settings

SQLITE_BUSY_TIMEOUT_MS = 10_000


def _enable_sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets readers run beside one writer; busy_timeout makes writers wait their
    # turn instead of failing; SQLite leaves foreign keys off unless asked.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str) -> sa.Engine:
    if url.startswith("sqlite"):
        database = sa.engine.make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(
            url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        )
        sa.event.listen(engine, "connect", _enable_sqlite_pragmas)
        return engine
    return sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


@functools.cache
def get_engine() -> sa.Engine:
    return make_engine(get_settings().database_url)


def ping(engine: sa.Engine | None = None) -> bool:
    try:
        with (engine or get_engine()).connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        return True
    except Exception:
        return False


def load_detached(engine: sa.Engine, model, key):
    """Read one row and hand it back detached, usable after the session is gone."""
    with Session(engine, expire_on_commit=False) as session:
        row = session.get(model, key)
        if row is not None:
            session.expunge(row)
        return row
