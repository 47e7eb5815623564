"""Shared fixtures: real databases (SQLite and PostgreSQL) migrated to head."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.settings import get_settings
from tests.databases import fresh_postgres_url, migrate_to_head, postgres_available

_POSTGRES_UP = postgres_available()
if not _POSTGRES_UP:
    warnings.warn(
        "PostgreSQL at 127.0.0.1:5432 is NOT reachable: every PostgreSQL case is SKIPPED",
        stacklevel=1,
    )


def pytest_report_header(config):
    state = "reachable, PostgreSQL cases run" if _POSTGRES_UP else "NOT reachable, cases SKIPPED"
    return f"PostgreSQL 127.0.0.1:5432: {state}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A migrated, empty database of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'atelier.db'}"
        return
    if not _POSTGRES_UP:
        pytest.skip("PostgreSQL at 127.0.0.1:5432 is not reachable")
    with fresh_postgres_url() as url:
        yield url


@pytest.fixture
def db_engine(database_url):
    engine = migrate_to_head(database_url)
    yield engine
    engine.dispose()


def pytest_collection_modifyitems(config, items):
    # The engine's end-to-end tests run first, in a process nothing else has used yet:
    # they pace real HTTP against in-process simulators, and late in a long session
    # they failed where alone they pass. Playwright's sync API keeps an event loop
    # running in the main thread once a browser starts, so the browser tests go last.
    def order(item) -> int:
        node = item.nodeid.replace("\\", "/")
        return 0 if node.startswith("tests/engine/") else 2 if "tests/browser/" in node else 1

    items.sort(key=order)


@pytest.fixture
def storage_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """STORAGE_DIR under tmp_path; the cached settings are re-read on both sides."""
    root = tmp_path / "storage"
    monkeypatch.setenv("STORAGE_DIR", str(root))
    get_settings.cache_clear()
    yield root
    # monkeypatch restores the environment after this; the next get_settings() re-reads it.
    get_settings.cache_clear()
