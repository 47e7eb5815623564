"""Figures about the history: per model, per day, and why tasks failed.

Every figure is computed by the database, so the cost grows with the rows in the window,
never with Python loops over them; only one row per model, per day or per reason (and,
on SQLite, one value per percentile) comes back. Every action takes
the same filter fields as the task list (`parse_task_filter`): `owner_id` (None =
everyone's tasks) and a window `created_from`/`created_to` among them.

Durations are `duration_seconds` (Kie's acceptance to the end) of *succeeded* tasks: a
failure's duration says how long until it gave up, not how long a generation takes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa

from app.actions.browse import parse_task_filter, to_utc_instant
from app.actions.result import ActionResult, FieldProblem, never_raises
from app.store.db import get_engine
from app.store.filters import TaskFilter
from app.store.models import GenerationTask
from app.store.status import TaskStatus

DAYS_MAX = 366
REASONS_MAX = 100
# Nearest-rank percentiles: the value at rank ceil(p/100 * n) of the n durations sorted
# ascending; always a value that occurred (no interpolation), identical on both databases.
PERCENTILES = (50, 95)

_TASK = GenerationTask


@dataclass(frozen=True)
class ModelStats:
    api_type: str
    tasks: int
    succeeded: int
    failed: int
    canceled: int
    # succeeded / finished (succeeded + failed + canceled); None when none finished.
    success_rate: float | None
    # Over succeeded tasks that have a duration; None when there are none.
    duration_avg: float | None
    duration_p50: float | None
    duration_p95: float | None
    credits: float


@dataclass(frozen=True)
class DayStats:
    day: str  # YYYY-MM-DD, UTC
    tasks: int
    succeeded: int
    failed: int
    credits: float
    duration_avg: float | None  # over that day's succeeded tasks


@dataclass(frozen=True)
class FailureReason:
    fail_code: str | None
    fail_message: str | None
    tasks: int


def _count_when(condition) -> sa.ColumnElement:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def _succeeded_duration() -> sa.ColumnElement:
    return sa.case((_TASK.status == TaskStatus.SUCCEEDED, _TASK.duration_seconds))


def _filter_or_problems(raw: dict[str, Any]) -> TaskFilter | ActionResult:
    parsed = parse_task_filter(**raw)
    return ActionResult.invalid(parsed) if isinstance(parsed, list) else parsed


def _rank(percent: int, size: int) -> int:
    """ceil(percent/100 * size), in integers (no float rounding at exact products)."""
    return (percent * size + 99) // 100


def _postgres_rows(connection, task_filter: TaskFilter) -> list[tuple]:
    """(api_type, tasks, succeeded, failed, canceled, credits, mean, p50, p95) per model,
    in one pass over the stats index."""
    succeeded = _TASK.status == TaskStatus.SUCCEEDED
    timed = sa.and_(succeeded, _TASK.duration_seconds.is_not(None))
    query = task_filter.apply(sa.select(
        _TASK.api_type,
        sa.func.count(),
        _count_when(succeeded),
        _count_when(_TASK.status == TaskStatus.FAILED),
        _count_when(_TASK.status == TaskStatus.CANCELED),
        sa.func.coalesce(sa.func.sum(_TASK.credits), 0),
        sa.func.avg(_succeeded_duration()),
        # percentile_disc is the nearest rank: the first value whose cumulative share
        # reaches p, i.e. rank ceil(p * n). Both share one sort of each model's durations.
        *(sa.func.percentile_disc(p / 100).within_group(_TASK.duration_seconds).filter(timed)
          for p in PERCENTILES),
    ), "postgresql").group_by(_TASK.api_type)
    return [tuple(row) for row in connection.execute(query)]


def _sqlite_rows(connection, task_filter: TaskFilter) -> list[tuple]:
    """The same rows as `_postgres_rows`, from SQLite, which has no percentile aggregate
    (and whose window functions would sort every duration again)."""
    # Grouped by (api_type, status), the order of the stats index: SQLite streams the
    # groups without sorting, and plain sums cost less per row than CASE expressions.
    query = task_filter.apply(sa.select(
        _TASK.api_type, _TASK.status, sa.func.count(), sa.func.total(_TASK.credits),
        sa.func.total(_TASK.duration_seconds), sa.func.count(_TASK.duration_seconds),
    ), "sqlite").group_by(_TASK.api_type, _TASK.status)
    models: dict[str, dict[str, Any]] = {}
    for api_type, status, tasks, credits, duration_sum, timed in connection.execute(query):
        model = models.setdefault(api_type, {"tasks": 0, "credits": 0.0, "timed": 0,
                                             "duration_sum": 0.0})
        model["tasks"] += tasks
        model["credits"] += credits
        model[TaskStatus(status).value] = tasks
        if status == TaskStatus.SUCCEEDED:
            model["timed"], model["duration_sum"] = timed, duration_sum
    rows = []
    for api_type, model in models.items():
        timed = model["timed"]
        percentiles = [_value_at_rank(connection, task_filter, api_type, _rank(p, timed), timed)
                       if timed else None for p in PERCENTILES]
        rows.append((api_type, model["tasks"], model.get("succeeded", 0),
                     model.get("failed", 0), model.get("canceled", 0), model["credits"],
                     model["duration_sum"] / timed if timed else None, *percentiles))
    return rows


def _value_at_rank(connection, task_filter: TaskFilter, api_type: str, rank: int,
                   size: int) -> float | None:
    """The rank-th (from 1) smallest of a model's `size` succeeded durations.

    Walks the stats index (api_type, status, duration_seconds, ...) from whichever end
    is nearer, so p95 costs 5 % of the durations in index steps, and nothing is sorted.
    Between the aggregate that gave `size` and this a task may finish: the rank is then
    at worst one off, and a rank past the end gives None, never an error."""
    ascending = rank - 1 <= size - rank
    query = task_filter.apply(
        sa.select(_TASK.duration_seconds).where(
            _TASK.api_type == api_type, _TASK.status == TaskStatus.SUCCEEDED,
            _TASK.duration_seconds.is_not(None)),
        "sqlite",
    ).order_by(_TASK.duration_seconds.asc() if ascending else _TASK.duration_seconds.desc()
               ).offset(rank - 1 if ascending else size - rank).limit(1)
    value = connection.execute(query).scalar()
    return None if value is None else float(value)


@never_raises
async def model_stats(*, db: sa.Engine | None = None, **filters: Any) -> ActionResult[list[ModelStats]]:
    """One row per model (api_type) with tasks in the filter, most used first."""
    task_filter = _filter_or_problems(filters)
    if isinstance(task_filter, ActionResult):
        return task_filter
    engine = db or get_engine()
    read = _postgres_rows if engine.dialect.name == "postgresql" else _sqlite_rows
    with engine.connect() as connection:
        rows = read(connection, task_filter)
    stats = []
    for api_type, tasks, succeeded, failed, canceled, credits, mean, p50, p95 in rows:
        finished = succeeded + failed + canceled
        stats.append(ModelStats(
            api_type=api_type, tasks=int(tasks), succeeded=int(succeeded),
            failed=int(failed), canceled=int(canceled),
            success_rate=succeeded / finished if finished else None,
            duration_avg=None if mean is None else float(mean),
            duration_p50=None if p50 is None else float(p50),
            duration_p95=None if p95 is None else float(p95),
            credits=float(credits)))
    stats.sort(key=lambda row: (-row.tasks, row.api_type))
    return ActionResult.success(stats)


def _day_figures() -> list[sa.ColumnElement]:
    return [sa.func.count(),
            _count_when(_TASK.status == TaskStatus.SUCCEEDED),
            _count_when(_TASK.status == TaskStatus.FAILED),
            sa.func.coalesce(sa.func.sum(_TASK.credits), 0),
            sa.func.avg(_succeeded_duration())]


def _days_sqlite(connection, task_filter: TaskFilter, first: date, days: int) -> dict:
    """offset from `first` -> that day's figures.

    One aggregate per day, as one UNION ALL: each reads its own range of the
    (created_at, ...) stats index. Grouping by a computed day instead makes SQLite put
    every row of the window through a temporary B-tree, several times slower."""
    branches = []
    for offset in range(days):
        start = to_utc_instant(first + timedelta(days=offset))
        day_filter = replace(task_filter, created_from=start,
                             created_to=start + timedelta(days=1))
        branches.append(day_filter.apply(
            sa.select(sa.literal(offset).label("day"), *_day_figures()), "sqlite"))
    return {row[0]: row[1:] for row in connection.execute(sa.union_all(*branches))}


def _days_postgres(connection, task_filter: TaskFilter, first: date, days: int) -> dict:
    """offset from `first` -> that day's figures: one hash aggregate over the window
    (PostgreSQL plans a many-branch UNION slowly, and hashes cheaply)."""
    start = to_utc_instant(first)
    window = replace(task_filter, created_from=start, created_to=start + timedelta(days=days))
    day = sa.cast(sa.func.timezone("UTC", _TASK.created_at), sa.Date)
    query = window.apply(sa.select(day, *_day_figures()), "postgresql").group_by(day)
    return {(row[0] - first).days: row[1:] for row in connection.execute(query)}


def _day(value: Any, field: str) -> date | FieldProblem:
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    return FieldProblem(field, "must be a date, e.g. 2026-11-30")


@never_raises
async def daily_report(days: Any = 30, *, last_day: Any = None, db: sa.Engine | None = None,
                       **filters: Any) -> ActionResult[list[DayStats]]:
    """One row per UTC day, oldest first, for the `days` days ending on `last_day` (today
    by default), days without tasks included as zeros."""
    problems = [FieldProblem(name, "the window is set by days and last_day")
                for name in ("created_from", "created_to") if filters.get(name) is not None]
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= DAYS_MAX:
        problems.append(FieldProblem("days", f"must be a whole number from 1 to {DAYS_MAX}"))
    end = _day(last_day, "last_day") if last_day is not None else datetime.now(timezone.utc).date()
    if isinstance(end, FieldProblem):
        problems.append(end)
    parsed = parse_task_filter(**{k: v for k, v in filters.items()
                                  if k not in ("created_from", "created_to")})
    if isinstance(parsed, list):
        problems.extend(parsed)
    if problems:
        return ActionResult.invalid(problems)
    try:
        first = end - timedelta(days=days - 1)
        to_utc_instant(end, end_of_day=True)  # the window's end must be a datetime too
    except OverflowError:
        return ActionResult.invalid([FieldProblem("last_day", "is out of range")])

    engine = db or get_engine()
    with engine.connect() as connection:
        found = (_days_postgres if engine.dialect.name == "postgresql" else _days_sqlite)(
            connection, parsed, first, days)
    report = []
    for offset in range(days):
        tasks, succeeded, failed, credits, duration_avg = found.get(
            offset, (0, 0, 0, 0.0, None))
        report.append(DayStats(day=(first + timedelta(days=offset)).isoformat(),
                               tasks=int(tasks), succeeded=int(succeeded), failed=int(failed),
                               credits=float(credits),
                               duration_avg=None if duration_avg is None else float(duration_avg)))
    return ActionResult.success(report)


@never_raises
async def failure_reasons(limit: Any = 10, *, db: sa.Engine | None = None,
                          **filters: Any) -> ActionResult[list[FailureReason]]:
    """Failed tasks counted by (fail_code, fail_message), most frequent first."""
    problems = []
    if filters.get("statuses"):
        problems.append(FieldProblem("statuses", "failure reasons are about failed tasks only"))
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= REASONS_MAX:
        problems.append(FieldProblem("limit", f"must be a whole number from 1 to {REASONS_MAX}"))
    parsed = parse_task_filter(**{k: v for k, v in filters.items() if k != "statuses"})
    if isinstance(parsed, list):
        problems.extend(parsed)
    if problems:
        return ActionResult.invalid(problems)
    task_filter = replace(parsed, statuses=(TaskStatus.FAILED,))

    engine = db or get_engine()
    tasks = sa.func.count().label("tasks")
    query = task_filter.apply(
        sa.select(_TASK.fail_code, _TASK.fail_message, tasks), engine.dialect.name,
    ).group_by(_TASK.fail_code, _TASK.fail_message).order_by(
        # Ties in a fixed order on both databases (their NULL placement differs).
        tasks.desc(), _TASK.fail_code.asc().nulls_last(),
        _TASK.fail_message.asc().nulls_last()).limit(limit)
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return ActionResult.success([FailureReason(fail_code=code, fail_message=message,
                                               tasks=int(count))
                                 for code, message, count in rows])
