"""Expected durations: catalog priors until history exists, then what history says."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError
from sqlmodel import Session

from app.catalog.schema import DurationPrior
from app.engine.durations import PRIOR_FAST_SHARE, DurationBook, prior_for
from app.store.models import utcnow
from app.store.status import TaskStatus
from tests.factories import make_task


def test_a_catalog_fast_end_is_used_as_the_first_query_time():
    kling = prior_for("kling-v2-1-pro")
    assert kling.fast_end == 90


def test_without_a_fast_end_the_prior_assumes_a_share_of_the_median():
    imagen = prior_for("imagen4")
    assert imagen.fast_end == pytest.approx(imagen.median * PRIOR_FAST_SHARE)


def test_a_fast_end_after_the_median_is_refused():
    with pytest.raises(ValidationError, match="fast end"):
        DurationPrior(median_s=60, p95_s=120, fast_s=90)


def test_demo_time_scale_compresses_the_prior(db_engine):
    with Session(db_engine) as session:
        expected = DurationBook(time_scale=0.1).expected(session, "kling-v2-1-pro")
    assert (expected.fast_end, expected.median, expected.p95) == pytest.approx((9, 18, 60))


def _finished(seconds: float, status: TaskStatus = TaskStatus.SUCCEEDED):
    done = utcnow()
    return make_task(api_type="kling-v2-1-pro", status=status,
                     submitted_at=done - timedelta(seconds=seconds), completed_at=done)


def test_history_replaces_the_prior_once_enough_tasks_succeeded(db_engine):
    with Session(db_engine) as session:
        session.add_all([_finished(s) for s in (100, 110, 120, 130, 140)])
        session.add(_finished(5, TaskStatus.FAILED))  # failures say nothing of durations
        session.commit()
        expected = DurationBook().expected(session, "kling-v2-1-pro")
    assert expected.median == pytest.approx(120, abs=1)
    assert expected.fast_end == pytest.approx(100, abs=1)
    assert expected.p95 == pytest.approx(140, abs=1)


def test_too_little_history_keeps_the_prior(db_engine):
    with Session(db_engine) as session:
        session.add_all([_finished(s) for s in (100, 110)])
        session.commit()
        expected = DurationBook().expected(session, "kling-v2-1-pro")
    assert expected == prior_for("kling-v2-1-pro")
