"""The simulator only ever contacts loopback: this decides what loopback is.

The host is read from the URL itself and never resolved, so a name that merely
points at 127.0.0.1 through DNS is refused too (resolving it would already be a
contact with the outside).
"""

from __future__ import annotations

import functools
import ssl
from urllib.parse import urlsplit

import httpx

from app.loopback import is_loopback_host


def is_loopback_url(url: str) -> bool:
    """True for http(s) URLs whose host is localhost, 127.0.0.0/8 or ::1."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not host:
        return False
    return is_loopback_host(host)


@functools.cache
def _tls_context() -> ssl.SSLContext:
    # Loading the CA bundle costs ~40 ms of the event loop: do it once, not per callback.
    return ssl.create_default_context()


def loopback_client(timeout: float) -> httpx.AsyncClient:
    """A client that ignores proxy settings from the environment and never follows a
    redirect (a loopback server could redirect elsewhere)."""
    return httpx.AsyncClient(timeout=timeout, trust_env=False, follow_redirects=False,
                             verify=_tls_context())
