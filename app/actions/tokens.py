"""Bearer tokens for the JSON API: created on the Settings page, stored as a SHA-256.

A token is 32 random bytes, so a plain SHA-256 is as safe to store as a slow password
hash would be (nothing to brute-force), and a request is checked with one indexed
lookup. The token itself is shown once, when created, and never again.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from app.actions.inputs import is_task_id, unstorable_text
from app.actions.result import ActionResult, ErrorKind, FieldProblem, never_raises
from app.store.db import get_engine
from app.store.models import ApiToken, utcnow

TOKEN_PREFIX = "atl_"
NAME_MAX = 100
TOKENS_PER_OWNER_MAX = 50
# Writing last_used_at on every request would turn each read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class TokenPublic:
    id: str
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None

    @classmethod
    def of(cls, token: ApiToken) -> TokenPublic:
        return cls(id=token.id, name=token.name, prefix=token.prefix,
                   created_at=token.created_at, last_used_at=token.last_used_at)


@dataclass(frozen=True)
class CreatedToken:
    token: str          # shown once; Atelier keeps only its hash
    details: TokenPublic


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@never_raises
async def create_api_token(name: Any, *, owner_id: str | None = None,
                           db: sa.Engine | None = None) -> ActionResult[CreatedToken]:
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > NAME_MAX \
            or unstorable_text(name):
        return ActionResult.invalid([FieldProblem(
            "name", f"give the token a name of 1 to {NAME_MAX} characters")])
    with Session(db or get_engine(), expire_on_commit=False) as session:
        live = session.execute(sa.select(sa.func.count()).select_from(ApiToken).where(
            ApiToken.owner_id == owner_id if owner_id is not None else ApiToken.owner_id.is_(None),
            ApiToken.revoked_at.is_(None))).scalar_one()
        if live >= TOKENS_PER_OWNER_MAX:
            return ActionResult.failure(
                ErrorKind.CONFLICT, f"At most {TOKENS_PER_OWNER_MAX} tokens; revoke one first.")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        row = ApiToken(name=name.strip(), token_hash=hash_token(token),
                       prefix=token[:len(TOKEN_PREFIX) + 6], owner_id=owner_id)
        session.add(row)
        session.commit()
        return ActionResult.success(CreatedToken(token=token, details=TokenPublic.of(row)),
                                    "Token created: copy it now, it will not be shown again.")


@never_raises
async def list_api_tokens(*, owner_id: str | None = None,
                          db: sa.Engine | None = None) -> ActionResult[list[TokenPublic]]:
    """The tokens still in force, newest first (None: single-user mode's own tokens)."""
    with Session(db or get_engine()) as session:
        query = select(ApiToken).where(ApiToken.revoked_at.is_(None))
        query = query.where(ApiToken.owner_id == owner_id if owner_id is not None
                            else ApiToken.owner_id.is_(None))
        rows = session.exec(query.order_by(ApiToken.created_at.desc())).all()
    return ActionResult.success([TokenPublic.of(row) for row in rows])


@never_raises
async def revoke_api_token(token_id: Any, *, owner_id: str | None = None,
                           db: sa.Engine | None = None) -> ActionResult[str]:
    if not is_task_id(token_id):
        return ActionResult.invalid([FieldProblem("token_id", "must be a token id")])
    with Session(db or get_engine()) as session:
        owner_clause = (ApiToken.owner_id == owner_id if owner_id is not None
                        else ApiToken.owner_id.is_(None))
        revoked = session.execute(
            sa.update(ApiToken).where(ApiToken.id == token_id, owner_clause,
                                      ApiToken.revoked_at.is_(None))
            .values(revoked_at=utcnow())).rowcount
        session.commit()
    if not revoked:
        return ActionResult.failure(ErrorKind.NOT_FOUND, "No such token.")
    return ActionResult.success(token_id, "Token revoked: requests with it are refused now.")


def authenticate(token: str, db: sa.Engine | None = None) -> ApiToken | None:
    """The live token row for a presented bearer token, or None."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    with Session(db or get_engine(), expire_on_commit=False) as session:
        row = session.exec(select(ApiToken).where(
            ApiToken.token_hash == hash_token(token), ApiToken.revoked_at.is_(None))).first()
        if row is None:
            return None
        now = utcnow()
        if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
            session.execute(sa.update(ApiToken).where(ApiToken.id == row.id)
                            .values(last_used_at=now))
            session.commit()
        session.expunge(row)
        return row
