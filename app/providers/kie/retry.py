"""The one retry policy for safe Kie calls.

Safe means repeating the call cannot start or pay for anything twice: status queries,
credits, download URLs, and uploads (the same path and name overwrite). A create is
never retried here (see `KieClient.create_task`).

Retried in place: server errors (5xx), maintenance (455), timeouts, connection errors
and unreadable answers. Never retried in place: 400/401/402/404/422/429/433/451/501/505
— either retrying cannot help, or (429) the back-off belongs to the engine's rate
limiter, which knows about every other request in flight.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from app.providers.kie.errors import (
    KieError,
    KieMaintenanceError,
    KieMalformedResponseError,
    KieServerError,
    KieTransportError,
)

T = TypeVar("T")

logger = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]

# Error classes worth repeating immediately (after a short backoff).
RETRIED_IN_PLACE: tuple[type[KieError], ...] = (
    KieServerError,
    KieMaintenanceError,
    KieTransportError,
    KieMalformedResponseError,
)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter and a cap.

    Delay before retry n (1-based) is drawn uniformly from [0, min(max_delay,
    base_delay * 2**(n-1))] when `jitter` is on, else exactly that cap. Tests pass
    `sleep` that returns at once and count attempts.
    """

    max_attempts: int = 4
    base_delay: float = 0.25
    max_delay: float = 5.0
    jitter: bool = True
    sleep: Sleep = field(default=asyncio.sleep, compare=False, repr=False)
    # Source of randomness for jitter, injectable for deterministic tests.
    rand: Callable[[], float] = field(default=random.random, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0:
            raise ValueError("delays must not be negative")

    def delay_before_retry(self, retry_number: int) -> float:
        """Seconds to wait before retry number `retry_number` (1 = first retry)."""
        ceiling = min(self.max_delay, self.base_delay * (2 ** max(retry_number - 1, 0)))
        return self.rand() * ceiling if self.jitter else ceiling

    def should_retry(self, error: KieError) -> bool:
        """Whether `error` from a safe call is worth repeating in place."""
        return isinstance(error, RETRIED_IN_PLACE)

    async def run(self, call: Callable[[], Awaitable[T]]) -> T:
        """Await `call()` until it succeeds, fails for good, or attempts run out.

        `call` must build a fresh request each time (a consumed upload stream cannot
        be sent twice). The last error is raised unchanged.
        """
        attempt = 1
        while True:
            try:
                return await call()
            except KieError as error:
                if attempt >= self.max_attempts or not self.should_retry(error):
                    raise
                delay = self.delay_before_retry(attempt)
                logger.info(
                    "Kie call failed (%s, attempt %d of %d); retrying in %.2fs",
                    error.kind,
                    attempt,
                    self.max_attempts,
                    delay,
                )
                await self.sleep(delay)
                attempt += 1


NO_RETRY = RetryPolicy(max_attempts=1)
