"""A person's own Kie key, kept encrypted at rest.

Fernet (the `cryptography` library: AES-128-CBC with an HMAC-SHA256, authenticated)
with a key derived from the server's secret (SECRET_KEY, or ./data/secret_key), so a
copy of the database alone does not hold usable keys. The key is never sent back to a
browser: a page learns only whether one is set. Without one, the shared KIE_API_KEY is
used. In demo mode personal keys are kept but not used (the simulator stands in for Kie).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import time
from typing import Any

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken
from sqlmodel import Session

from app.actions.inputs import unstorable_text
from app.actions.result import ActionResult, ErrorKind, FieldProblem, never_raises
from app.settings import get_settings
from app.signing import signing_key
from app.store.db import get_engine
from app.store.models import UserAccount

KEY_MAX = 200
# The engine asks for a task's key at every create and poll; one read a minute per owner.
_CACHE_SECONDS = 60.0
_cache: dict[str | None, tuple[float, str | None]] = {}


@functools.cache
def _fernet() -> Fernet:
    derived = hashlib.sha256(b"atelier personal kie keys\n" + signing_key()).digest()
    return Fernet(base64.urlsafe_b64encode(derived))


def encrypt(key: str) -> str:
    return _fernet().encrypt(key.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str | None:
    """None when the server's secret changed since (the key must be entered again)."""
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, ValueError):
        return None


@never_raises
async def set_personal_kie_key(user_id: Any, key: Any, *,
                               db: sa.Engine | None = None) -> ActionResult[bool]:
    """Store (or, with an empty key, remove) a person's own Kie key."""
    cleaned = key.strip() if isinstance(key, str) else None
    if cleaned is None or len(cleaned) > KEY_MAX or unstorable_text(cleaned) \
            or any(c.isspace() for c in cleaned):
        return ActionResult.invalid([FieldProblem(
            "kie_key", f"must be the key from Kie's dashboard (at most {KEY_MAX} characters, "
                       "no spaces)")])
    with Session(db or get_engine()) as session:
        user = session.get(UserAccount, user_id) if isinstance(user_id, str) else None
        if user is None:
            return ActionResult.failure(ErrorKind.NOT_FOUND, "No such account.")
        user.kie_key_encrypted = encrypt(cleaned) if cleaned else None
        session.add(user)
        session.commit()
    _cache.pop(user_id, None)
    return ActionResult.success(bool(cleaned), "Your Kie key is saved." if cleaned
                                else "Your Kie key is removed: the shared key is used.")


def _stored_key(user_id: str, db: sa.Engine | None) -> str | None:
    """The encrypted key as stored, or None."""
    with Session(db or get_engine()) as session:
        return session.execute(sa.select(UserAccount.kie_key_encrypted)
                               .where(UserAccount.id == user_id)).scalar()


def has_personal_kie_key(user_id: str | None, *, db: sa.Engine | None = None) -> bool:
    return user_id is not None and _stored_key(user_id, db) is not None


def key_for_owner(owner_id: str | None, *, db: sa.Engine | None = None,
                  demo_mode: bool | None = None) -> str | None:
    """The key to send `owner_id`'s requests with when it is not the client's shared one;
    None in demo mode (default: the settings'), where the simulator stands in for Kie
    and takes the shared key."""
    if get_settings().demo_mode if demo_mode is None else demo_mode:
        return None
    return personal_kie_key(owner_id, db=db)


def personal_kie_key(owner_id: str | None, *, db: sa.Engine | None = None) -> str | None:
    """The key a task of `owner_id` is sent with, when it is not the shared one."""
    if owner_id is None:
        return None
    now = time.monotonic()
    cached = _cache.get(owner_id)
    if cached is not None and now - cached[0] < _CACHE_SECONDS:
        return cached[1]
    stored = _stored_key(owner_id, db)
    key = decrypt(stored) if stored else None
    _cache[owner_id] = (now, key)
    return key
