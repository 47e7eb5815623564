"""Refuse sign-ins after repeated failures.

Failures are counted per name and per client address over a sliding window (settings:
LOGIN_MAX_FAILURES within LOGIN_WINDOW_MINUTES), in the database, so every process
serving Atelier counts the same tries. A success clears the name's failures.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from app.settings import get_settings
from app.store.models import LoginAttempt


def _window() -> timedelta:
    return timedelta(minutes=get_settings().login_window_minutes)


def seconds_locked(session: Session, username: str, address: str, now: datetime) -> int:
    """0 when a try is allowed; otherwise how long until the oldest counted failure
    leaves the window."""
    since = now - _window()
    limit = get_settings().login_max_failures
    for column, value in ((LoginAttempt.username, username), (LoginAttempt.address, address)):
        times = session.execute(
            sa.select(LoginAttempt.at).where(column == value, LoginAttempt.at > since)
            .order_by(LoginAttempt.at.desc()).limit(limit)).scalars().all()
        if len(times) >= limit:
            return max(1, int((times[-1] + _window() - now).total_seconds()) + 1)
    return 0


def record_failure(session: Session, username: str, address: str, now: datetime) -> None:
    session.add(LoginAttempt(username=username, address=address, at=now))
    session.execute(sa.delete(LoginAttempt).where(LoginAttempt.at < now - _window()))


def clear_failures(session: Session, username: str) -> None:
    session.execute(sa.delete(LoginAttempt).where(LoginAttempt.username == username))
