"""model_stats, daily_report and failure_reasons against small histories whose figures
are worked out by hand below, on both databases."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlmodel import Session

from app.actions.result import ErrorKind
from app.actions.stats import (
    DayStats,
    FailureReason,
    ModelStats,
    daily_report,
    failure_reasons,
    model_stats,
)
from app.store.status import TaskStatus
from tests.factories import make_task

pytestmark = pytest.mark.asyncio

S = TaskStatus
DAY = datetime(2026, 10, 1, 12, tzinfo=timezone.utc)


def _insert(db, *rows: dict) -> None:
    with Session(db) as session:
        session.add_all(make_task(**row) for row in rows)
        session.commit()


def _ok(result):
    assert result.ok, result.message
    return result.data


def _model_history(db) -> None:
    def task(api_type, status, duration=None, credits=None, **more):
        return dict(api_type=api_type, status=status, duration_seconds=duration,
                    credits=credits, created_at=more.pop("created_at", DAY), **more)

    _insert(
        db,
        # imagen4: durations 40, 10, 30, 20 (inserted out of order) and one succeeded
        # without a duration; a failure's duration (5) is not a generation's.
        task("imagen4", S.SUCCEEDED, 40, 1.5), task("imagen4", S.SUCCEEDED, 10, 1.5),
        task("imagen4", S.SUCCEEDED, 30, 1.5), task("imagen4", S.SUCCEEDED, 20, 1.5),
        task("imagen4", S.SUCCEEDED, None, None),
        task("imagen4", S.FAILED, 5, 0.5), task("imagen4", S.CANCELED),
        task("imagen4", S.QUEUED),
        # veo3: durations 12, 11, ..., 1 (alice's), one failure (bob's).
        *(task("veo3", S.SUCCEEDED, float(d), 2.0, owner_id="alice") for d in range(12, 0, -1)),
        task("veo3", S.FAILED, None, None, owner_id="bob"),
        # suno: nothing finished yet.
        task("suno", S.PROCESSING, None, None, owner_id="bob"),
        # A week earlier: outside the windows used below.
        task("imagen4", S.SUCCEEDED, 1000, 100.0, created_at=DAY - timedelta(days=7)),
    )


async def test_model_stats_figures(db_engine):
    _model_history(db_engine)

    stats = _ok(await model_stats(db=db_engine, created_from=DAY - timedelta(days=1)))

    assert stats == [
        # 13 tasks; 12 of 13 finished succeeded. Nearest rank over 1..12: p50 is rank
        # ceil(0.5 * 12) = 6 -> 6 s; p95 is rank ceil(0.95 * 12) = ceil(11.4) = 12 -> 12 s
        # (rounding would give 11, interpolation 6.5 and 11.45). Mean 78 / 12 = 6.5.
        # Credits 12 * 2.0.
        ModelStats(api_type="veo3", tasks=13, succeeded=12, failed=1, canceled=0,
                   success_rate=12 / 13, duration_avg=6.5, duration_p50=6.0,
                   duration_p95=12.0, credits=24.0),
        # 8 tasks; finished = 5 succeeded + 1 failed + 1 canceled -> 5/7. Durations
        # 10, 20, 30, 40: p50 rank ceil(2) = 2 -> 20 s; p95 rank ceil(3.8) = 4 -> 40 s;
        # mean 25. Credits 4 * 1.5 + 0.5.
        ModelStats(api_type="imagen4", tasks=8, succeeded=5, failed=1, canceled=1,
                   success_rate=5 / 7, duration_avg=25.0, duration_p50=20.0,
                   duration_p95=40.0, credits=6.5),
        ModelStats(api_type="suno", tasks=1, succeeded=0, failed=0, canceled=0,
                   success_rate=None, duration_avg=None, duration_p50=None,
                   duration_p95=None, credits=0.0),
    ]


async def test_model_stats_all_time_includes_the_old_task(db_engine):
    _model_history(db_engine)

    imagen4 = [s for s in _ok(await model_stats(db=db_engine)) if s.api_type == "imagen4"][0]

    # Durations 10, 20, 30, 40, 1000: p50 rank ceil(2.5) = 3 -> 30; p95 rank 5 -> 1000.
    assert (imagen4.tasks, imagen4.succeeded, imagen4.duration_p50, imagen4.duration_p95,
            imagen4.duration_avg, imagen4.credits) == (9, 6, 30.0, 1000.0, 220.0, 106.5)


async def test_model_stats_for_one_owner_and_a_filter(db_engine):
    _model_history(db_engine)

    bob = _ok(await model_stats(db=db_engine, owner_id="bob"))
    assert [(s.api_type, s.tasks, s.failed, s.success_rate, s.duration_p50) for s in bob] == [
        ("suno", 1, 0, None, None), ("veo3", 1, 1, 0.0, None)]
    # A window ending before the day of the rest: the old task alone.
    old = _ok(await model_stats(db=db_engine, created_to=DAY - timedelta(days=1)))
    assert [(s.api_type, s.tasks, s.duration_p50, s.duration_p95, s.credits) for s in old] == [
        ("imagen4", 1, 1000.0, 1000.0, 100.0)]
    assert _ok(await model_stats(db=db_engine, owner_id="carol")) == []


async def test_model_stats_refuses_bad_filters_by_name(db_engine):
    result = await model_stats(db=db_engine, created_from="last week", sort="newest")

    assert result.error_kind is ErrorKind.INVALID_PARAMS
    assert sorted(p.field for p in result.field_errors) == ["created_from", "sort"]


def _day(day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(2026, 10, day, hour, minute, tzinfo=timezone.utc)


async def test_daily_report_has_every_day_of_the_window_including_empty_ones(db_engine):
    _insert(
        db_engine,
        dict(created_at=_day(1, 0, 0), status=S.SUCCEEDED, duration_seconds=10, credits=1.0),
        dict(created_at=_day(1, 23, 59), status=S.FAILED, duration_seconds=99, credits=0.5),
        dict(created_at=_day(3), status=S.SUCCEEDED, duration_seconds=20, credits=2.0),
        dict(created_at=_day(3), status=S.SUCCEEDED, duration_seconds=40, credits=2.0),
        dict(created_at=_day(3), status=S.QUEUED),
        dict(created_at=datetime(2026, 10, 5, 23, 59, 59, 999999, tzinfo=timezone.utc),
             status=S.CANCELED, owner_id="alice"),
        # Outside the five days: the evening before, and the midnight after.
        dict(created_at=datetime(2026, 9, 30, 23, 59, 59, tzinfo=timezone.utc),
             status=S.SUCCEEDED, duration_seconds=1000, credits=9.0),
        dict(created_at=datetime(2026, 10, 6, tzinfo=timezone.utc), status=S.FAILED),
    )

    report = _ok(await daily_report(5, last_day="2026-10-05", db=db_engine))

    assert report == [
        DayStats(day="2026-10-01", tasks=2, succeeded=1, failed=1, credits=1.5,
                 duration_avg=10.0),
        DayStats(day="2026-10-02", tasks=0, succeeded=0, failed=0, credits=0.0,
                 duration_avg=None),
        DayStats(day="2026-10-03", tasks=3, succeeded=2, failed=0, credits=4.0,
                 duration_avg=30.0),
        DayStats(day="2026-10-04", tasks=0, succeeded=0, failed=0, credits=0.0,
                 duration_avg=None),
        DayStats(day="2026-10-05", tasks=1, succeeded=0, failed=0, credits=0.0,
                 duration_avg=None),
    ]
    alice = _ok(await daily_report(2, last_day="2026-10-05", owner_id="alice", db=db_engine))
    assert [(d.day, d.tasks) for d in alice] == [("2026-10-04", 0), ("2026-10-05", 1)]
    one = _ok(await daily_report(1, last_day="2026-09-30", db=db_engine))
    assert one == [DayStats(day="2026-09-30", tasks=1, succeeded=1, failed=0, credits=9.0,
                            duration_avg=1000.0)]


async def test_daily_report_ends_today_by_default(db_engine):
    now = datetime.now(timezone.utc)
    _insert(db_engine, dict(created_at=now, status=S.SUCCEEDED))

    report = _ok(await daily_report(3, db=db_engine))

    assert [d.day for d in report] == [(now.date() - timedelta(days=n)).isoformat()
                                       for n in (2, 1, 0)]
    assert [d.tasks for d in report] == [0, 0, 1]


@pytest.mark.parametrize("args, field", [
    ({"days": 0}, "days"), ({"days": 367}, "days"), ({"days": "7"}, "days"),
    ({"last_day": "05/10/2026"}, "last_day"), ({"last_day": "2026-02-30"}, "last_day"),
    ({"last_day": "9999-12-31"}, "last_day"), ({"days": 2, "last_day": "0001-01-01"}, "last_day"),
    ({"created_from": "2026-10-01"}, "created_from"), ({"tag": "x" * 41}, "tag"),
])
async def test_daily_report_refuses_bad_input_by_name(db_engine, args, field):
    result = await daily_report(db=db_engine, **args)

    assert result.error_kind is ErrorKind.INVALID_PARAMS
    assert [p.field for p in result.field_errors] == [field]


async def test_failure_reasons_most_frequent_first(db_engine):
    def failed(code, message, **more):
        return dict(status=S.FAILED, fail_code=code, fail_message=message,
                    created_at=more.pop("created_at", DAY), **more)

    _insert(
        db_engine,
        *(failed("500", "Internal error") for _ in range(3)),
        *(failed("422", "prompt too long") for _ in range(2)),
        failed("422", "image too large"),
        failed(None, "timed out after 30 minutes", owner_id="alice"),
        failed("500", "Internal error", created_at=DAY - timedelta(days=30)),
        # Not failures: a success and a cancellation carrying stale codes are not counted.
        dict(status=S.SUCCEEDED, fail_code="500", fail_message="Internal error"),
        dict(status=S.CANCELED, fail_code="500", fail_message="Internal error"),
    )

    reasons = _ok(await failure_reasons(10, db=db_engine))
    assert reasons == [
        FailureReason("500", "Internal error", 4),
        FailureReason("422", "prompt too long", 2),
        # Ties in code then message order, a missing code last.
        FailureReason("422", "image too large", 1),
        FailureReason(None, "timed out after 30 minutes", 1),
    ]
    assert _ok(await failure_reasons(2, db=db_engine,
                                     created_from=DAY - timedelta(days=1))) == [
        FailureReason("500", "Internal error", 3), FailureReason("422", "prompt too long", 2)]
    assert _ok(await failure_reasons(db=db_engine, owner_id="alice")) == [
        FailureReason(None, "timed out after 30 minutes", 1)]


@pytest.mark.parametrize("args, field", [
    ({"limit": 0}, "limit"), ({"limit": 101}, "limit"), ({"limit": None}, "limit"),
    ({"statuses": ["succeeded"]}, "statuses"), ({"created_to": "soon"}, "created_to"),
])
async def test_failure_reasons_refuses_bad_input_by_name(db_engine, args, field):
    result = await failure_reasons(db=db_engine, **args)

    assert result.error_kind is ErrorKind.INVALID_PARAMS
    assert [p.field for p in result.field_errors] == [field]
