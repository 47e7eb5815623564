"""How long each model takes: learned from finished history, with catalog priors."""

from __future__ import annotations

import statistics
import time

import sqlalchemy as sa
from sqlmodel import Session

from app.catalog import get_entry
from app.engine.schedule import ExpectedDuration
from app.store.models import GenerationTask
from app.store.status import TaskStatus

# A catalog prior gives median and p95; the fast end is assumed at this share of the
# median (durations spread widely: better a few early queries than a late notice).
PRIOR_FAST_SHARE = 0.5
DEFAULT_PRIOR = ExpectedDuration(median=60.0, p95=180.0, p05=60.0 * PRIOR_FAST_SHARE)
SAMPLE_SIZE = 100
MIN_SAMPLES = 5
REFRESH_SECONDS = 60.0
_TASK = GenerationTask.__table__


def prior_for(api_type: str) -> ExpectedDuration:
    entry = get_entry(api_type)
    if entry is None:
        return DEFAULT_PRIOR
    prior = entry.duration
    fast = prior.fast_s if prior.fast_s is not None else prior.median_s * PRIOR_FAST_SHARE
    return ExpectedDuration(median=prior.median_s, p95=prior.p95_s, p05=fast)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


class DurationBook:
    """Per api type: the expected duration, re-learned at most once a minute."""

    def __init__(self, time_scale: float = 1.0) -> None:
        # Demo mode compresses the simulator's durations; priors must follow.
        self.time_scale = time_scale
        self._learned: dict[str, ExpectedDuration] = {}
        self._learned_at: dict[str, float] = {}

    def expected(self, session: Session, api_type: str) -> ExpectedDuration:
        now = time.monotonic()
        if now - self._learned_at.get(api_type, -REFRESH_SECONDS) >= REFRESH_SECONDS:
            self._learned_at[api_type] = now
            learned = self._learn(session, api_type)
            if learned is not None:
                self._learned[api_type] = learned
        if api_type in self._learned:
            return self._learned[api_type]
        prior = prior_for(api_type)
        return ExpectedDuration(prior.median * self.time_scale, prior.p95 * self.time_scale,
                                prior.fast_end * self.time_scale)

    def _learn(self, session: Session, api_type: str) -> ExpectedDuration | None:
        rows = session.execute(
            sa.select(_TASK.c.submitted_at, _TASK.c.completed_at)
            .where(_TASK.c.api_type == api_type, _TASK.c.status == TaskStatus.SUCCEEDED,
                   _TASK.c.submitted_at.is_not(None), _TASK.c.completed_at.is_not(None))
            .order_by(_TASK.c.completed_at.desc())
            .limit(SAMPLE_SIZE)
        ).all()
        session.rollback()
        seconds = [(done - sent).total_seconds() for sent, done in rows if done > sent]
        if len(seconds) < MIN_SAMPLES:
            return None
        middle = statistics.median(seconds)
        return ExpectedDuration(median=middle, p95=max(_percentile(seconds, 0.95), middle),
                                p05=min(_percentile(seconds, 0.05), middle))
