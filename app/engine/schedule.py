"""When to ask Kie again: a pure function of what we know about a task.

A task's finish is expected inside a window, from its fast end (p05) to its slow end
(p95), learned per model from finished history with priors from the catalog. The
first query goes at the fast end; inside the window queries come at a steady interval
(a share of the window, capped, so a finish is noticed within seconds); after the slow
end the interval grows with the overrun. A progress hint that says "far from done"
stretches the wait. Nothing here touches the network or the database.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class ScheduleSettings:
    min_interval: float = 0.34    # at most 3 queries per second per task
    max_interval: float = 30.0
    # Inside the finish window, query this many times (evenly)...
    window_queries: float = 4.0
    # ...but never less often than every max_interval * this share (4.5 s by default).
    window_cap_share: float = 0.15
    # After the p95, the interval grows by this share of the overrun.
    overrun_growth: float = 0.25
    error_base: float = 1.0


@dataclass(frozen=True)
class ExpectedDuration:
    median: float
    p95: float
    # The fast end of the window; unknown priors assume half the median.
    p05: float | None = None

    @property
    def fast_end(self) -> float:
        return self.p05 if self.p05 is not None else self.median * 0.5


def _clamp(value: float, cfg: ScheduleSettings) -> float:
    return min(cfg.max_interval, max(cfg.min_interval, value))


def window_interval(expected: ExpectedDuration, cfg: ScheduleSettings) -> float:
    """The steady interval inside the finish window."""
    width = max(expected.p95 - expected.fast_end, 0.0)
    cap = max(cfg.min_interval, cfg.max_interval * cfg.window_cap_share)
    return _clamp(min(width / cfg.window_queries, cap), cfg)


def first_query_delay(expected: ExpectedDuration, cfg: ScheduleSettings) -> float:
    return _clamp(expected.fast_end, cfg)


def next_query_delay(
    elapsed: float,
    expected: ExpectedDuration,
    cfg: ScheduleSettings,
    progress: float | None = None,
) -> float:
    """Seconds until the next status query of a task running for `elapsed` seconds."""
    steady = window_interval(expected, cfg)
    if elapsed < expected.fast_end:
        # Queried early (say, after a callback): wait for the window, do not poll densely.
        return _clamp(max(expected.fast_end - elapsed, steady), cfg)
    if elapsed <= expected.p95:
        delay = steady
    else:
        delay = steady + (elapsed - expected.p95) * cfg.overrun_growth
    if progress is not None and 0.05 <= progress < 0.5 and elapsed > 0:
        # Kie says it is far from done: stretch the wait toward the extrapolated rest,
        # at most to twice the steady interval (progress is rarely linear in time).
        remaining = elapsed * (1.0 - progress) / progress
        delay = max(delay, min(remaining * 0.7, 2 * steady))
    return _clamp(delay, cfg)


def error_backoff(consecutive_errors: int, cfg: ScheduleSettings,
                  rng: random.Random | None = None) -> float:
    """Exponential backoff, capped, with jitter in the upper half of each step (never
    less than half the step, so a run of errors really slows down): for transient errors."""
    ceiling = min(cfg.max_interval, cfg.error_base * (2 ** max(0, consecutive_errors - 1)))
    return max(cfg.min_interval, (rng or random).uniform(ceiling / 2, ceiling))


class SchedulePolicy(Protocol):
    """When to query a task: first after submission, then after each answer."""

    def first(self, expected: ExpectedDuration) -> float: ...

    def next(self, elapsed: float, expected: ExpectedDuration, progress: float | None) -> float: ...


@dataclass(frozen=True)
class AdaptiveSchedule:
    """Atelier's schedule (the functions above)."""

    cfg: ScheduleSettings

    def first(self, expected: ExpectedDuration) -> float:
        return first_query_delay(expected, self.cfg)

    def next(self, elapsed: float, expected: ExpectedDuration, progress: float | None) -> float:
        return next_query_delay(elapsed, expected, self.cfg, progress)


@dataclass(frozen=True)
class FixedInterval:
    """What a browser-tab poller does (every 5 s): kept as a benchmark baseline."""

    seconds: float

    def first(self, expected: ExpectedDuration) -> float:
        return self.seconds

    def next(self, elapsed: float, expected: ExpectedDuration, progress: float | None) -> float:
        return self.seconds


@dataclass(frozen=True)
class AgeBasedInterval:
    """An interval growing with the task's age (2 s → 15 s): a benchmark baseline."""

    start: float
    end: float
    ramp_seconds: float

    def first(self, expected: ExpectedDuration) -> float:
        return self.start

    def next(self, elapsed: float, expected: ExpectedDuration, progress: float | None) -> float:
        share = min(1.0, max(0.0, elapsed / self.ramp_seconds))
        return self.start + (self.end - self.start) * share
