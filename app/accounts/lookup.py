"""One account's standing, for callers that arrive with a token rather than a session."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session

from app.accounts.viewer import SINGLE_USER, Viewer
from app.store.db import get_engine
from app.store.models import UserAccount


def viewer_for_owner(owner_id: str | None, *, db: sa.Engine | None = None) -> Viewer | None:
    """The Viewer an API token's owner is: None when the account is gone or disabled.
    A token without an owner (made in single-user mode) acts as the admin."""
    if owner_id is None:
        return SINGLE_USER
    with Session(db or get_engine()) as session:
        user = session.get(UserAccount, owner_id)
        if user is None or user.disabled:
            return None
        return Viewer(user_id=user.id, username=user.username, is_admin=user.is_admin)
