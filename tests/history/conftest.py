"""Fixtures for the history tests: private storage under tmp_path, and a second empty
database of the same kind (an import's destination)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.databases import fresh_postgres_url, migrate_to_head


@pytest.fixture
def other_db(database_url: str, tmp_path: Path) -> Iterator[sa.Engine]:
    """Another fresh, migrated database of the same kind as `db_engine`."""
    if database_url.startswith("sqlite"):
        engine = migrate_to_head(f"sqlite:///{tmp_path / 'other.db'}")
        yield engine
        engine.dispose()
        return
    with fresh_postgres_url() as url:
        engine = migrate_to_head(url)
        yield engine
        engine.dispose()
