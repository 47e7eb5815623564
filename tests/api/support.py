"""Atelier's HTTP API (`build_api`) on a fresh SQLite database, engine off."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlmodel import Session

from app.actions.tokens import TOKEN_PREFIX, hash_token
from app.api.routes import build_api
from app.settings import get_settings
from app.store import db as store_db
from app.store.models import ApiToken, UserAccount
from tests.databases import migrate_to_head


@contextlib.contextmanager
def api_app_for(workdir: Path, database_url: str | None = None, **env: str) -> Iterator[FastAPI]:
    """The API with the process-wide settings pointed at `workdir` and a database
    (SQLite in `workdir` by default), plus `env`; all restored afterwards."""
    monkey = pytest.MonkeyPatch()
    monkey.setenv("DATABASE_URL", database_url or f"sqlite:///{workdir / 'api.db'}")
    monkey.setenv("STORAGE_DIR", str(workdir / "files"))
    monkey.setenv("ENGINE_ENABLED", "false")
    for name, value in env.items():
        monkey.setenv(name, value)
    get_settings.cache_clear()
    store_db.get_engine.cache_clear()
    migrate_to_head(get_settings().database_url).dispose()
    try:
        yield build_api()
    finally:
        store_db.get_engine().dispose()
        monkey.undo()
        get_settings.cache_clear()
        store_db.get_engine.cache_clear()


def bearer_headers(db: sa.Engine | None = None, owner_id: str | None = None) -> dict[str, str]:
    """An `Authorization` header with a new live API token in `db` (default: the
    settings' database), as the Settings page would have created it: for `owner_id`'s
    account (made, as a plain user, if missing), or single-user mode's (None)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with Session(db or store_db.get_engine()) as session:
        if owner_id is not None and session.get(UserAccount, owner_id) is None:
            # A token acts for a live account: the owner must exist (a plain user).
            session.add(UserAccount(id=owner_id, username=owner_id[:40],
                                    password_hash="unusable", is_admin=False))
        session.add(ApiToken(name="test", token_hash=hash_token(token), prefix=token[:10],
                             owner_id=owner_id))
        session.commit()
    return {"Authorization": f"Bearer {token}"}
