"""The server's signing key, and HMAC signatures made with it (links handed to a
browser that the server must later trust, such as an export link).

`SECRET_KEY` from the settings when set (required to share links between machines);
otherwise a random key created once in the data folder and kept there, so every
process on this machine, and every restart, signs alike.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import secrets

from app.settings import DATA_DIR, get_settings

KEY_FILE_NAME = "secret_key"


@functools.cache
def signing_key() -> bytes:
    configured = get_settings().secret_key
    if configured:
        return configured.get_secret_value().encode("utf-8")
    path = DATA_DIR / KEY_FILE_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: of two processes starting together, one writes, the other reads it.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip().encode("utf-8")
    with os.fdopen(descriptor, "w") as handle:
        key = secrets.token_hex(32)
        handle.write(key)
    return key.encode("utf-8")


def sign(purpose: str, message: str) -> str:
    """A signature of `message` for one purpose (a signature for one use is no good for
    another)."""
    return hmac.new(signing_key(), f"{purpose}\n{message}".encode("utf-8"),
                    hashlib.sha256).hexdigest()


def verify(purpose: str, message: str, signature: str) -> bool:
    return hmac.compare_digest(sign(purpose, message), signature)
