"""Real databases for tests: a fresh SQLite file, and a fresh PostgreSQL database.

PostgreSQL is the machine's server at 127.0.0.1:5432 (trust auth). When it cannot be
reached the PostgreSQL cases are skipped with a loud reason, never silently.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from app.settings import PROJECT_ROOT
from app.store.db import make_engine

POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def postgres_available() -> bool:
    try:
        engine = sa.create_engine(POSTGRES_ADMIN_URL, connect_args={"connect_timeout": 2})
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        return False


@contextmanager
def fresh_postgres_url() -> Iterator[str]:
    """A new, empty database for one test module; dropped afterwards."""
    name = f"atelier_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def alembic_config(url: str) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.attributes["database_url"] = url
    config.attributes["configure_logging"] = False
    return config


def migrate_to_head(url: str) -> sa.Engine:
    command.upgrade(alembic_config(url), "head")
    return make_engine(url)


def count(db: sa.Engine, model, *where) -> int:
    """Rows of `model`'s table matching every condition."""
    with db.connect() as connection:
        query = sa.select(sa.func.count()).select_from(model.__table__)
        for condition in where:
            query = query.where(condition)
        return int(connection.execute(query).scalar_one())


def each_migrated_database() -> Iterator[tuple[str, sa.Engine]]:
    """("SQLite", engine) on a fresh temporary file, then ("PostgreSQL", engine) on a fresh
    database when PostgreSQL runs here; each migrated to head and disposed after its turn."""
    with tempfile.TemporaryDirectory() as folder:
        db = migrate_to_head(f"sqlite:///{Path(folder) / 'bench.db'}")
        try:
            yield "SQLite", db
        finally:
            db.dispose()
    if postgres_available():
        with fresh_postgres_url() as url:
            db = migrate_to_head(url)
            try:
                yield "PostgreSQL", db
            finally:
                db.dispose()
