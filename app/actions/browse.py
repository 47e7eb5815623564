"""Reading the history: filtered, searched, keyset-paginated task lists, one task's
events, and the counts the UI shows. Read-only; never raises into the UI.

`parse_task_filter` is the one place raw filter input (the UI's, a query string's)
becomes a `TaskFilter`; exports, statistics and cleanup reuse it, so every reader of the
history refuses the same bad input with the same field names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from app.actions.inputs import ID_MAX, is_task_id, unstorable_text
from app.actions.result import ActionResult, ErrorKind, FieldProblem, never_raises
from app.actions.tasks import TAG_MAX, UNSTORABLE
from app.store.db import get_engine
from app.store.ownership import visible, visible_clauses
from app.store.filters import SearchScan, TaskFilter, fts5_query
from app.store.models import GenerationTask, TaskEvent
from app.store.search import search_terms
from app.store.status import ACTIVE_STATUSES, TaskStatus
from app.store.views import EventPublic, TaskPublic

PAGE_MAX = 100
SEARCH_MAX = 200
API_TYPE_MAX = 64  # the column's limit
INSTANT_MAX = 40   # longer than any ISO 8601 date-time with an offset
CURSOR_MAX = 120
SORTS = ("newest", "oldest")
FILTER_FIELDS = ("statuses", "api_type", "search", "created_from", "created_to", "tag",
                 "batch_id", "favourite", "owner_id")
_TRUE, _FALSE = {"true", "1", "yes"}, {"false", "0", "no"}


@dataclass(frozen=True)
class TaskPage:
    tasks: list[TaskPublic]
    # Pass back as `after` (with the same sort) for the next page; None on the last page.
    next_cursor: str | None


# --- raw input → TaskFilter ------------------------------------------------------


def parse_task_filter(**raw: Any) -> TaskFilter | list[FieldProblem]:
    """A validated `TaskFilter` from raw values, or the problems, each naming its field.

    Accepts the `TaskFilter` field names only. `created_from`/`created_to` take a
    datetime, a date, or ISO 8601 text; a time without an offset is read as UTC. A bare
    date in `created_to` means the end of that day, so from 2026-11-01 to 2026-11-30 is
    the whole of November (the filter itself keeps `created_to` exclusive).
    """
    problems = [FieldProblem(name, "is not a filter field") for name in raw
                if name not in FILTER_FIELDS]
    values: dict[str, Any] = {}
    for name, check in _CHECKS.items():
        value = raw.get(name)
        if _blank(value):
            continue
        checked = check(value)
        if isinstance(checked, FieldProblem):
            problems.append(checked)
        else:
            values[name] = checked
    start, end = values.get("created_from"), values.get("created_to")
    if start is not None and end is not None and end <= start:
        problems.append(FieldProblem("created_to", "must be later than created_from"))
    if problems:
        return problems
    return TaskFilter(**values)


def _blank(value: Any) -> bool:
    # A search box left empty (or holding spaces) and an unticked chip list mean "any".
    if isinstance(value, str):
        return not value.strip()
    return value is None or (isinstance(value, (list, tuple)) and not value)


def _statuses(value: Any) -> tuple[TaskStatus, ...] | FieldProblem:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, (list, tuple, set, frozenset)) or len(items) > len(TaskStatus):
        return FieldProblem("statuses", "must be a list of statuses")
    found: list[TaskStatus] = []
    for item in items:
        try:
            status = TaskStatus(item)
        except ValueError:
            return FieldProblem("statuses", f"unknown status {str(item)[:30]!r}")
        if status not in found:
            found.append(status)
    return tuple(found)


def _text(name: str, limit: int, what: str):
    def check(value: Any) -> str | FieldProblem:
        if not isinstance(value, str) or len(value) > limit:
            return FieldProblem(name, f"must be {what} of 1–{limit} characters")
        if unstorable_text(value):
            return FieldProblem(name, UNSTORABLE)
        return value.strip()
    return check


def _identifier(name: str):
    def check(value: Any) -> str | FieldProblem:
        if not is_task_id(value):
            return FieldProblem(name, f"must be an id (letters, digits, '-' or '_', at most {ID_MAX})")
        return value
    return check


def _favourite(value: Any) -> bool | FieldProblem:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    return FieldProblem("favourite", "must be true or false")


def _instant(name: str, end_of_day: bool):
    def check(value: Any) -> datetime | FieldProblem:
        problem = FieldProblem(name, "must be an ISO 8601 date or date-time, "
                                     "e.g. 2026-11-01 or 2026-11-01T09:30:00Z")
        if isinstance(value, str):
            if len(value) > INSTANT_MAX or unstorable_text(value):
                return problem
            try:
                value = (date.fromisoformat(value.strip()) if len(value.strip()) == 10
                         else datetime.fromisoformat(value.strip()))
            except ValueError:
                return problem
        try:
            return to_utc_instant(value, end_of_day=end_of_day)
        except (TypeError, OverflowError):
            return problem
    return check


def to_utc_instant(value: date | datetime, *, end_of_day: bool = False) -> datetime:
    """A tz-aware UTC datetime; a bare date is its midnight (the next one if end_of_day)."""
    if isinstance(value, datetime):
        stamp = value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
        return stamp.astimezone(timezone.utc)
    if isinstance(value, date):
        day = value + timedelta(days=1) if end_of_day else value
        return datetime.combine(day, time(), tzinfo=timezone.utc)
    raise TypeError("not a date")


_CHECKS = {
    "statuses": _statuses,
    "api_type": _text("api_type", API_TYPE_MAX, "a model id"),
    "search": _text("search", SEARCH_MAX, "text"),
    "created_from": _instant("created_from", end_of_day=False),
    "created_to": _instant("created_to", end_of_day=True),
    "tag": _text("tag", TAG_MAX, "a tag"),
    "batch_id": _identifier("batch_id"),
    "favourite": _favourite,
    "owner_id": _identifier("owner_id"),
}


# --- keyset cursors --------------------------------------------------------------
# A cursor is "<sort>|<created_at>|<id>" of the last row shown. The id breaks ties
# between equal timestamps, so no row is shown twice or skipped; the sort is in it so a
# cursor is never read backwards by the other order.


def _cursor(sort: str, task: GenerationTask) -> str:
    return f"{sort}|{task.created_at.isoformat()}|{task.id}"


def _parse_cursor(cursor: Any, sort: str) -> tuple[datetime, str] | FieldProblem:
    problem = FieldProblem("after", "is not a cursor this server handed out")
    if not isinstance(cursor, str) or len(cursor) > CURSOR_MAX:
        return problem
    parts = cursor.split("|")
    if len(parts) != 3 or parts[0] not in SORTS or not is_task_id(parts[2]):
        return problem
    if parts[0] != sort:
        return FieldProblem("after", f"belongs to the {parts[0]!r} order, not {sort!r}: "
                                     "start again from the first page")
    try:
        stamp = datetime.fromisoformat(parts[1])
    except ValueError:
        return problem
    if stamp.tzinfo is None:
        return problem
    return stamp, parts[2]


def _after(sort: str, stamp: datetime, task_id: str):
    # Written as `created_at <= s AND (created_at < s OR id < i)` rather than a bare OR,
    # so both databases can turn the first half into an index range.
    task = GenerationTask
    if sort == "newest":
        return sa.and_(task.created_at <= stamp,
                       sa.or_(task.created_at < stamp, task.id < task_id))
    return sa.and_(task.created_at >= stamp, sa.or_(task.created_at > stamp, task.id > task_id))


# --- page queries ----------------------------------------------------------------


def _page_query(task_filter: TaskFilter, dialect_name: str, sort: str,
                cursor: tuple[datetime, str] | None, search_scan: SearchScan | None = None,
                edge: datetime | None = None):
    task = GenerationTask
    query = task_filter.apply(select(task), dialect_name, search_scan)
    if cursor is not None:
        query = query.where(_after(sort, *cursor))
    if sort == "newest":
        if edge is not None:
            query = query.where(task.created_at > edge)
        return query.order_by(task.created_at.desc(), task.id.desc())
    if edge is not None:
        query = query.where(task.created_at < edge)
    return query.order_by(task.created_at.asc(), task.id.asc())


# A search first tests the next rows after the cursor, newest (or oldest) first, in
# windows of these sizes: a common word fills a page within the first. On SQLite, once
# the first window found too few, the matches are counted (up to FEW_MATCHES): below
# that, the text index fetches them all and they are sorted, cheap for so few; above,
# the rows are walked on with the full list of hits (one more window would cost as
# much: FTS5 merges a prefix query's whole doclist for each). On PostgreSQL a count
# costs too much (a prefix query's GIN bitmap turns lossy and every row on its pages is
# tested again), so the text index is asked after the windows.
SEARCH_WINDOWS = {"sqlite": (1_000,), "postgresql": (1_000, 10_000)}
FEW_MATCHES = 500


def _search_rows(session: Session, task_filter: TaskFilter, sort: str,
                 cursor: tuple[datetime, str] | None, limit: int) -> list[GenerationTask]:
    """A page of a searched list, at a cost bounded by the page rather than by how many
    tasks match. Neither database's planner gets this right alone: both start from the
    text index for common words (fetching and sorting thousands of matches) or walk the
    whole history testing every row for rare ones (PostgreSQL recomputing to_tsvector
    for each)."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    for index, size in enumerate(SEARCH_WINDOWS["sqlite" if sqlite else "postgresql"]):
        rows = _window_page(session, task_filter, sort, cursor, limit, size)
        if rows is not None:
            return rows
        if (sqlite and index == 0
                and _sqlite_matches(session, task_filter.search, FEW_MATCHES) < FEW_MATCHES):
            return _text_index_page(session, task_filter, sort, cursor, limit)
    if sqlite:
        # Many matches, but not among recent rows: walk on, testing each row.
        return _run(session, _page_query(task_filter, "sqlite", sort, cursor, SearchScan()),
                    limit)
    return _text_index_page(session, task_filter, sort, cursor, limit)


def _window_page(session: Session, task_filter: TaskFilter, sort: str,
                 cursor: tuple[datetime, str] | None, limit: int, size: int
                 ) -> list[GenerationTask] | None:
    """The page, if the next `size` rows hold it; None when they do not decide it."""
    dialect_name = session.get_bind().dialect.name
    if dialect_name != "sqlite":
        # Walk the (created_at, id) index in page order and stop after a page; never
        # gather every match first, nor read the whole table, nor sort (the ILIKE tests
        # make matches look so rare to the planner that it would do all three).
        _planner(session, enable_bitmapscan="off", enable_seqscan="off", enable_sort="off",
                 enable_indexscan="on")
    remaining, edge, rowid = _window(session, sort, cursor, size)
    scan = SearchScan(min_rowid=rowid) if sort == "newest" else SearchScan(max_rowid=rowid)
    if remaining < size:
        # Every row left is in this window: its answer is the whole answer.
        return _run(session, _page_query(task_filter, dialect_name, sort, cursor, scan), limit)
    rows = _run(session, _page_query(task_filter, dialect_name, sort, cursor, scan, edge), limit)
    # Every row on the near side of the edge was tested: a full page from them is the
    # true first page (any other match lies beyond the edge).
    return rows if len(rows) > limit else None


def _text_index_page(session: Session, task_filter: TaskFilter, sort: str,
                     cursor: tuple[datetime, str] | None, limit: int) -> list[GenerationTask]:
    """The page from every match the text index finds, sorted."""
    dialect_name = session.get_bind().dialect.name
    if dialect_name != "sqlite":
        _planner(session, enable_bitmapscan="on", enable_seqscan="off", enable_sort="on",
                 enable_indexscan="off")
    return _run(session, _page_query(task_filter, dialect_name, sort, cursor), limit)


def _run(session: Session, query, limit: int) -> list[GenerationTask]:
    return list(session.exec(query.limit(limit + 1)).all())


def _window(session: Session, sort: str, cursor: tuple[datetime, str] | None, size: int
            ) -> tuple[int, datetime | None, int | None]:
    """How many of the next `size` rows exist, the created_at of the last of them, and
    on SQLite the lowest (newest first) or highest rowid among them; read from the
    created_at index alone."""
    task = GenerationTask
    sqlite = session.get_bind().dialect.name == "sqlite"
    columns = [task.created_at]
    if sqlite:
        columns.append(sa.literal_column("generation_task.rowid").label("row_id"))
    inner = sa.select(*columns)
    if cursor is not None:
        inner = inner.where(_after(sort, *cursor))
    newest = sort == "newest"
    inner = inner.order_by(task.created_at.desc() if newest else task.created_at.asc()
                           ).limit(size).subquery()
    last = sa.func.min if newest else sa.func.max
    figures = [sa.func.count(), last(inner.c.created_at)]
    if sqlite:
        figures.append(last(inner.c.row_id))
    row = session.execute(sa.select(*figures)).one()
    edge = row[1]
    if isinstance(edge, str):  # SQLite hands an aggregate back as stored text
        edge = datetime.fromisoformat(edge).replace(tzinfo=timezone.utc)
    return int(row[0]), edge, (row[2] if sqlite else None)


def _sqlite_matches(session: Session, text: str, cap: int) -> int:
    """How many tasks FTS5 matches, counting no further than cap. FTS5 merges a prefix
    query's whole doclist first, so this costs in proportion to all the matches: it is
    asked only once the first window found few."""
    return int(session.execute(sa.text(
        "SELECT count(*) FROM (SELECT 1 FROM task_search WHERE task_search MATCH :q "
        "LIMIT :cap)"), {"q": fts5_query(text), "cap": cap}).scalar_one())


def _planner(session: Session, **settings: str) -> None:
    # SET LOCAL: for this read's transaction only (the session ends it on close).
    for name, value in settings.items():
        session.execute(sa.text(f"SET LOCAL {name} = {value}"))


# --- actions ---------------------------------------------------------------------


@never_raises
async def list_generation_tasks(
    *,
    statuses: Any = None,
    api_type: Any = None,
    search: Any = None,
    created_from: Any = None,
    created_to: Any = None,
    tag: Any = None,
    batch_id: Any = None,
    favourite: Any = None,
    sort: Any = "newest",
    after: Any = None,
    limit: Any = 30,
    owner_id: str | None = None,
    db: sa.Engine | None = None,
) -> ActionResult[TaskPage]:
    """One page of tasks matching every given filter, newest (or oldest) first."""
    parsed = parse_task_filter(
        statuses=statuses, api_type=api_type, search=search, created_from=created_from,
        created_to=created_to, tag=tag, batch_id=batch_id, favourite=favourite,
        owner_id=owner_id)
    problems = parsed if isinstance(parsed, list) else []
    if sort not in SORTS:
        problems.append(FieldProblem("sort", "must be 'newest' or 'oldest'"))
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= PAGE_MAX:
        problems.append(FieldProblem("limit", f"must be a whole number from 1 to {PAGE_MAX}"))
    cursor = _parse_cursor(after, sort) if after and sort in SORTS else None
    if isinstance(cursor, FieldProblem):
        problems.append(cursor)
    if problems:
        return ActionResult.invalid(problems)

    engine = db or get_engine()
    with Session(engine) as session:
        if parsed.search and search_terms(parsed.search):
            rows = _search_rows(session, parsed, sort, cursor, limit)
        else:
            rows = session.exec(_page_query(parsed, engine.dialect.name, sort, cursor)
                                .limit(limit + 1)).all()
        # With their mirrored copies (one query for the page): thumbnails come from Atelier.
        page = TaskPublic.of_many(session, rows[:limit])
    next_cursor = _cursor(sort, rows[limit - 1]) if len(rows) > limit else None
    return ActionResult.success(TaskPage(tasks=page, next_cursor=next_cursor))


@never_raises
async def task_events(task_id: Any, *, owner_id: str | None = None,
                      db: sa.Engine | None = None) -> ActionResult[list[EventPublic]]:
    if not is_task_id(task_id):
        return ActionResult.invalid([FieldProblem("task_id", "must be a task id")])
    with Session(db or get_engine()) as session:
        task = session.get(GenerationTask, task_id)
        if task is None or not visible(task.owner_id, owner_id):
            return ActionResult.failure(ErrorKind.NOT_FOUND, "No such task.")
        events = session.exec(
            select(TaskEvent).where(TaskEvent.task_id == task_id).order_by(TaskEvent.id)
        ).all()
    return ActionResult.success([EventPublic.of(e) for e in events])


def count_active(db: sa.Engine | None = None, owner_id: str | None = None) -> int:
    with Session(db or get_engine()) as session:
        query = sa.select(sa.func.count()).select_from(GenerationTask).where(
            GenerationTask.status.in_(ACTIVE_STATUSES),
            *visible_clauses(GenerationTask.owner_id, owner_id))
        return int(session.execute(query).scalar_one())


def queue_position(task: TaskPublic, db: sa.Engine | None = None) -> int | None:
    """1 for the next task to be sent; None when the task is not waiting in the queue."""
    if task.status != TaskStatus.QUEUED.value:
        return None
    with Session(db or get_engine()) as session:
        ahead = session.execute(
            sa.select(sa.func.count()).select_from(GenerationTask).where(
                GenerationTask.status == TaskStatus.QUEUED,
                sa.or_(GenerationTask.created_at < task.created_at,
                       sa.and_(GenerationTask.created_at == task.created_at,
                               GenerationTask.id < task.id)))
        ).scalar_one()
    return int(ahead) + 1
