"""The migrations at head describe exactly the models, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import app.store.models  # noqa: F401
from app.store.search import include_in_autogenerate


def test_migrations_at_head_equal_the_models(db_engine):
    with db_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "include_object": include_in_autogenerate})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []
