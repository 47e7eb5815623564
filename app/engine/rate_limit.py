"""The account's create budget: never more than N creates in any window of W seconds.

Kie rejects (does not queue) creates beyond about 20 per 10 s. A sliding-window log is
exact where a refilling bucket would let up to 2N through across a window boundary.

Kie counts a create when it *arrives*, which is some time after we decide to send it
and before its answer comes back. So a slot is taken when a create is sent and stays
"in flight" (counted as if it were the newest) until its answer arrives; then it is
stamped with the answer's time. Every stamp is therefore at or after Kie's own count
time, so our window can only be stricter than Kie's, however requests overlap.
"""

from __future__ import annotations

import itertools
import time
from collections import deque
from collections.abc import Callable, Iterable


class SlidingWindowLimiter:
    def __init__(self, limit: int, window_seconds: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window_seconds
        self._clock = clock
        # Answer times of settled creates, oldest first (stamps only ever grow).
        self._settled: deque[float] = deque()
        # Slots of creates still waiting for their answer.
        self._open: set[int] = set()
        self._slot_ids = itertools.count(1)
        self._blocked_until = 0.0

    def _forget_old(self, now: float) -> None:
        while self._settled and self._settled[0] <= now - self.window:
            self._settled.popleft()

    @property
    def in_flight(self) -> int:
        return len(self._open)

    def available(self) -> int:
        """How many creates may go out right now."""
        now = self._clock()
        if now < self._blocked_until:
            return 0
        self._forget_old(now)
        return max(0, self.limit - len(self._settled) - len(self._open))

    def record(self) -> int:
        """A create is being sent: take a slot. Returns the slot to `settle` later."""
        slot = next(self._slot_ids)
        self._open.add(slot)
        return slot

    def settle(self, slot: int) -> None:
        """The create's answer (or failure) came back: its window starts counting now."""
        if slot in self._open:
            self._open.discard(slot)
            self._settled.append(self._clock())

    def seconds_until_available(self) -> float | None:
        """When the next slot frees; None when only a create's answer can free one
        (the caller waits to be woken by `settle`)."""
        now = self._clock()
        if now < self._blocked_until:
            return self._blocked_until - now
        self._forget_old(now)
        excess = len(self._settled) + len(self._open) - self.limit
        if excess < 0:
            return 0.0
        if excess >= len(self._settled):
            return None
        return max(0.0, self._settled[excess] + self.window - now)

    def remember(self, ages: Iterable[float]) -> None:
        """Creates sent `ages` seconds ago by someone else (an earlier process of this
        engine, killed or restarted): they still count against the window."""
        now = self._clock()
        self._settled = deque(sorted([*self._settled, *(now - max(0.0, a) for a in ages)]))

    def back_off(self, seconds: float) -> None:
        """Kie said 429 anyway (another client on the same account): pause all creates."""
        self._blocked_until = max(self._blocked_until, self._clock() + seconds)
