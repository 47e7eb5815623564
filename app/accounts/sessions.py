"""Sign-in sessions. The browser holds a random token in an HttpOnly cookie; the
database keeps its SHA-256 with an expiry, so a leaked database cannot sign anyone in
and an expired or signed-out session is simply gone."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from http.cookies import CookieError, SimpleCookie

import sqlalchemy as sa
from sqlmodel import Session

from app.accounts.viewer import Viewer
from app.settings import get_settings
from app.store.db import get_engine
from app.store.models import UserAccount, UserSession, utcnow

COOKIE_NAME = "atelier_session"


def session_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user_id: str, *, db: sa.Engine | None = None,
                  now: datetime | None = None) -> str:
    """A new session for this person; returns the token for the cookie."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    lifetime = timedelta(hours=get_settings().session_hours)
    with Session(db or get_engine()) as session:
        session.add(UserSession(token_hash=session_digest(token), user_id=user_id, created_at=now,
                                expires_at=now + lifetime))
        # Expired sessions are dropped as new ones start: the table stays small.
        session.execute(sa.delete(UserSession).where(UserSession.expires_at < now))
        session.commit()
    return token


def end_session(token: str, *, db: sa.Engine | None = None) -> None:
    with Session(db or get_engine()) as session:
        session.execute(sa.delete(UserSession).where(UserSession.token_hash == session_digest(token)))
        session.commit()


def viewer_for_token(token: str | None, *, db: sa.Engine | None = None,
                     now: datetime | None = None) -> Viewer | None:
    """The signed-in person, or None: no token, unknown, expired, or account disabled."""
    if not token or len(token) > 200:
        return None
    with Session(db or get_engine()) as session:
        row = session.execute(
            sa.select(UserAccount.id, UserAccount.username, UserAccount.is_admin,
                      UserSession.expires_at)
            .join(UserSession, UserSession.user_id == UserAccount.id)
            .where(UserSession.token_hash == session_digest(token), UserAccount.disabled.is_(False))
        ).first()
    if row is None or row.expires_at <= (now or utcnow()):
        return None
    return Viewer(user_id=row.id, username=row.username, is_admin=row.is_admin)


def token_from_cookie_header(header: str | None) -> str | None:
    if not header:
        return None
    try:
        jar = SimpleCookie(header)
    except CookieError:
        return None
    morsel = jar.get(COOKIE_NAME)
    return morsel.value if morsel is not None else None
