"""People: the first admin, and the users the admin creates.

Names are 3–40 characters of a–z, 0–9, `.`, `_`, `-` (case-folded, so "Ana" and "ana"
are one person). Passwords are 10–200 characters. The first admin takes over every row
made before accounts existed (single-user mode), so none is left without an owner for
other users to stumble on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.accounts.passwords import hash_password, password_matches
from app.accounts.sessions import session_digest
from app.actions.result import ActionResult, ErrorKind, FieldProblem, never_raises
from app.store.db import get_engine
from app.store.models import (ApiToken, GenerationTask, TaskBatch, UploadedFile, UserAccount,
                              UserSession)

USERNAME_PATTERN = re.compile(r"[a-z0-9._-]{3,40}")
PASSWORD_MIN, PASSWORD_MAX = 10, 200
_OWNED_TABLES = (GenerationTask, TaskBatch, UploadedFile, ApiToken)


@dataclass(frozen=True)
class UserPublic:
    id: str
    username: str
    is_admin: bool
    disabled: bool
    created_at: datetime

    @classmethod
    def of(cls, user: UserAccount) -> UserPublic:
        return cls(id=user.id, username=user.username, is_admin=user.is_admin,
                   disabled=user.disabled, created_at=user.created_at)


def normalize_username(value: Any) -> str:
    return value.strip().lower() if isinstance(value, str) else ""


def _password_problem(password: Any) -> str | None:
    if not isinstance(password, str) or not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        return f"must be {PASSWORD_MIN}–{PASSWORD_MAX} characters"
    return None


def _problems(username: Any, password: Any) -> list[FieldProblem]:
    problems = []
    if not USERNAME_PATTERN.fullmatch(normalize_username(username)):
        problems.append(FieldProblem(
            "username", "must be 3–40 characters: letters, digits, '.', '_' or '-'"))
    if (problem := _password_problem(password)) is not None:
        problems.append(FieldProblem("password", problem))
    return problems


def _any_account(session: Session) -> bool:
    return session.execute(sa.select(UserAccount.id).limit(1)).first() is not None


def _account(session: Session, user_id: Any) -> UserAccount | None:
    return session.get(UserAccount, user_id) if isinstance(user_id, str) else None


def _replace_password(session: Session, user: UserAccount, new: str,
                      keep_session: str | None = None) -> None:
    """Store the new hash and end the person's sessions (but `keep_session`'s): a
    session stolen with the old password dies with it."""
    user.password_hash = hash_password(new)
    session.add(user)
    ended = sa.delete(UserSession).where(UserSession.user_id == user.id)
    if keep_session:
        ended = ended.where(UserSession.token_hash != session_digest(keep_session))
    session.execute(ended)
    session.commit()


def has_users(db: sa.Engine | None = None) -> bool:
    with Session(db or get_engine()) as session:
        return _any_account(session)


@never_raises
async def create_user(username: Any, password: Any, *, is_admin: bool = False,
                      first_admin: bool = False,
                      db: sa.Engine | None = None) -> ActionResult[UserPublic]:
    """A new account. `first_admin` succeeds only while nobody has an account yet."""
    problems = _problems(username, password)
    if problems:
        return ActionResult.invalid(problems)
    name = normalize_username(username)
    with Session(db or get_engine()) as session:
        if first_admin and _any_account(session):
            return ActionResult.failure(
                ErrorKind.CONFLICT, "Atelier already has an admin: sign in instead.")
        user = UserAccount(username=name, password_hash=hash_password(password),
                           is_admin=is_admin or first_admin)
        session.add(user)
        try:
            session.flush()
        except IntegrityError:
            return ActionResult.invalid([FieldProblem("username", "is already taken")])
        if first_admin:
            for table in _OWNED_TABLES:
                session.execute(sa.update(table).where(table.owner_id.is_(None))
                                .values(owner_id=user.id))
        session.commit()
        public = UserPublic.of(user)
    return ActionResult.success(public, f"Account '{name}' created.")


@never_raises
async def change_password(user_id: Any, current: Any, new: Any, *, keep_session: str | None = None,
                          db: sa.Engine | None = None) -> ActionResult[str]:
    """A person's new password, given their current one. Every other session of theirs
    ends; `keep_session`'s token (the one asking) stays."""
    if (problem := _password_problem(new)) is not None:
        return ActionResult.invalid([FieldProblem("new_password", problem)])
    with Session(db or get_engine()) as session:
        user = _account(session, user_id)
        if user is None or not isinstance(current, str) \
                or not password_matches(user.password_hash, current[:PASSWORD_MAX]):
            return ActionResult.invalid([FieldProblem("current_password", "is not right")])
        _replace_password(session, user, new, keep_session)
    return ActionResult.success(user_id, "Password changed; your other sign-ins have ended.")


@never_raises
async def set_password_by_admin(user_id: Any, new: Any, *,
                                db: sa.Engine | None = None) -> ActionResult[str]:
    """A new first password for someone who lost theirs; their sessions end."""
    if (problem := _password_problem(new)) is not None:
        return ActionResult.invalid([FieldProblem("password", problem)])
    with Session(db or get_engine()) as session:
        user = _account(session, user_id)
        if user is None:
            return ActionResult.failure(ErrorKind.NOT_FOUND, "No such account.")
        _replace_password(session, user, new)
    return ActionResult.success(user_id, "New password set; hand it over.")


@never_raises
async def list_users(db: sa.Engine | None = None) -> ActionResult[list[UserPublic]]:
    with Session(db or get_engine()) as session:
        rows = session.exec(select(UserAccount).order_by(UserAccount.created_at)).all()
        return ActionResult.success([UserPublic.of(row) for row in rows])


@never_raises
async def set_user_disabled(user_id: Any, disabled: bool, *,
                            db: sa.Engine | None = None) -> ActionResult[str]:
    """Disabling signs the person out everywhere; their work stays."""
    with Session(db or get_engine()) as session:
        user = _account(session, user_id)
        if user is None:
            return ActionResult.failure(ErrorKind.NOT_FOUND, "No such account.")
        if user.is_admin and disabled:
            return ActionResult.invalid([FieldProblem("user_id", "the admin cannot be disabled")])
        user.disabled = bool(disabled)
        session.add(user)
        if disabled:
            session.execute(sa.delete(UserSession).where(UserSession.user_id == user.id))
        session.commit()
    return ActionResult.success(user_id, "Account disabled." if disabled else "Account enabled.")
