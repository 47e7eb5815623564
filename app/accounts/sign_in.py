"""Signing in: throttle, check the password, start a session.

Every refusal says the same thing whether the name exists or not; only the throttle's
refusal differs (it says how long to wait).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from app.accounts.passwords import password_matches
from app.accounts.sessions import start_session
from app.accounts.throttle import clear_failures, record_failure, seconds_locked
from app.accounts.users import normalize_username
from app.actions.result import ActionResult, ErrorKind, FieldProblem, never_raises
from app.store.db import get_engine
from app.store.models import UserAccount, utcnow

WRONG = "Wrong name or password."


@never_raises
async def sign_in(username: Any, password: Any, address: str, *,
                  db: sa.Engine | None = None, now: datetime | None = None) -> ActionResult[str]:
    """The new session's token, or a failure a person can read."""
    name = normalize_username(username)[:40]
    if not name:
        return ActionResult.invalid([FieldProblem("username", "is required")])
    if not isinstance(password, str) or not password:
        return ActionResult.invalid([FieldProblem("password", "is required")])
    engine = db or get_engine()
    now = now or utcnow()
    with Session(engine) as session:
        wait = seconds_locked(session, name, address[:64], now)
        if wait:
            minutes = max(1, round(wait / 60))
            return ActionResult.failure(
                ErrorKind.RATE_LIMITED,
                f"Too many failed sign-ins. Try again in about {minutes} minute(s).")
        user = session.exec(select(UserAccount).where(UserAccount.username == name)).first()
        # The hash is checked even for an unknown name: both take as long.
        matches = password_matches(user.password_hash if user else None, password[:200])
        if not matches or user is None or user.disabled:
            record_failure(session, name, address[:64], now)
            session.commit()
            return ActionResult.failure(ErrorKind.UNAUTHORIZED, WRONG)
        clear_failures(session, name)
        session.commit()
        user_id = user.id
    return ActionResult.success(start_session(user_id, db=engine, now=now))
