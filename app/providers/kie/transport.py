"""Translating httpx's transport exceptions into the Kie error tree.

The one distinction that matters is whether a request could have reached Kie: a paid
create that might have been received must be reconciled, not resent.
"""

from __future__ import annotations

import httpx

from app.providers.kie.errors import (
    KieConnectionError,
    KieError,
    KieTimeoutError,
    KieUnknownOutcomeError,
)

# Failures that happen before any byte of the request leaves this machine.
NOT_SENT_ERRORS: tuple[type[httpx.RequestError], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.UnsupportedProtocol,
)


def safe_call_error(exc: httpx.RequestError, what: str) -> KieError:
    """For calls that are safe to repeat: timeouts apart from other trouble."""
    if isinstance(exc, httpx.TimeoutException):
        return KieTimeoutError(f"{what}: no answer in time ({type(exc).__name__})")
    return KieConnectionError(f"{what}: {type(exc).__name__}: {exc or 'connection failed'}")


def create_call_error(exc: httpx.RequestError, what: str) -> KieError:
    """For a create: only a failure before sending is a plain transport error."""
    if isinstance(exc, NOT_SENT_ERRORS):
        return safe_call_error(exc, what)
    return KieUnknownOutcomeError(
        f"{what}: the request may have reached Kie but no answer came back "
        f"({type(exc).__name__}); check before sending it again"
    )
