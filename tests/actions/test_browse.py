"""list_generation_tasks and parse_task_filter: every filter on both databases, the
full-text search through the list, and keyset pages in both orders with equal
timestamps (no row twice, none skipped)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlmodel import Session

from app.actions.browse import list_generation_tasks, parse_task_filter
from app.actions.result import ErrorKind
from app.store.filters import TaskFilter
from app.store.status import TaskStatus
from tests.databases import fresh_postgres_url, migrate_to_head, postgres_available
from tests.factories import make_task

pytestmark = pytest.mark.asyncio

S = TaskStatus


def _at(day: int, hour: int = 10, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 10, day, hour, minute, second, tzinfo=timezone.utc)


# Five tasks, named by their prompts' first word; newest last.
HISTORY = [
    dict(id="kite", prompt="kite red over the harbour", api_type="imagen4",
         status=S.SUCCEEDED, tags=["birds", "sea"], favourite=True, owner_id="alice",
         batch_id="batch1", created_at=_at(1)),
    dict(id="glacier", prompt="glacier slow at dawn", api_type="veo3", status=S.FAILED,
         tags=["ice"], owner_id="alice", created_at=_at(2)),
    dict(id="harbour", prompt="harbour lights at night", api_type="imagen4", status=S.QUEUED,
         owner_id="bob", batch_id="batch1", created_at=_at(3),
         params={"prompt": "harbour lights at night", "style": "watercolour"}),
    dict(id="festival", prompt="festival of kites", api_type="suno", status=S.CANCELED,
         tags=["birds"], favourite=True, owner_id="bob", created_at=_at(4, 23, 59, 59)),
    dict(id="meadow", prompt="meadow quiet", api_type="veo3", status=S.SUCCEEDED,
         tags=["birdsong"], created_at=_at(5, 0)),
]


def _insert(db, rows: list[dict]) -> None:
    with Session(db) as session:
        session.add_all(make_task(**row) for row in rows)
        session.commit()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def history(request, tmp_path_factory):
    """HISTORY in a fresh database of each kind, shared by the read-only cases."""
    if request.param == "sqlite":
        engine = migrate_to_head(f"sqlite:///{tmp_path_factory.mktemp('browse') / 'a.db'}")
        _insert(engine, HISTORY)
        yield engine
        engine.dispose()
        return
    if not postgres_available():
        pytest.skip("PostgreSQL at 127.0.0.1:5432 is not reachable")
    with fresh_postgres_url() as url:
        engine = migrate_to_head(url)
        _insert(engine, HISTORY)
        yield engine
        engine.dispose()


async def _ids(db, **filters) -> list[str]:
    result = await list_generation_tasks(db=db, **filters)
    assert result.ok, result.message
    assert result.data.next_cursor is None
    return [task.id for task in result.data.tasks]


@pytest.mark.parametrize("filters, expected", [
    ({}, ["meadow", "festival", "harbour", "glacier", "kite"]),
    ({"sort": "oldest"}, ["kite", "glacier", "harbour", "festival", "meadow"]),
    ({"statuses": ["succeeded"]}, ["meadow", "kite"]),
    ({"statuses": [S.SUCCEEDED, "failed"]}, ["meadow", "glacier", "kite"]),
    ({"statuses": "canceled"}, ["festival"]),
    ({"api_type": "imagen4"}, ["harbour", "kite"]),
    ({"api_type": "flux"}, []),
    # Full-text: words as prefixes, all required, prompts and parameters alike.
    ({"search": "harb"}, ["harbour", "kite"]),
    ({"search": "KITE"}, ["festival", "kite"]),
    ({"search": "kite harbour"}, ["kite"]),
    ({"search": "watercolour"}, ["harbour"]),
    ({"search": "  "}, ["meadow", "festival", "harbour", "glacier", "kite"]),
    # created_from inclusive; created_to exclusive, a bare date meaning its whole day.
    ({"created_from": "2026-10-02"}, ["meadow", "festival", "harbour", "glacier"]),
    ({"created_from": "2026-10-02T10:00:00Z"}, ["meadow", "festival", "harbour", "glacier"]),
    ({"created_from": "2026-10-02T12:00:00+02:00"},
     ["meadow", "festival", "harbour", "glacier"]),
    ({"created_from": "2026-10-02T10:00:01"}, ["meadow", "festival", "harbour"]),
    ({"created_to": "2026-10-04"}, ["festival", "harbour", "glacier", "kite"]),
    ({"created_to": "2026-10-04T23:59:59"}, ["harbour", "glacier", "kite"]),
    ({"created_to": "2026-10-05T00:00:00+00:00"}, ["festival", "harbour", "glacier", "kite"]),
    ({"created_from": _at(2), "created_to": _at(4)}, ["harbour", "glacier"]),
    ({"created_from": "2026-10-03", "created_to": "2026-10-03"}, ["harbour"]),
    # A tag is matched whole: "birds" is not "birdsong".
    ({"tag": "birds"}, ["festival", "kite"]),
    ({"tag": "bird"}, []),
    ({"tag": "birdsong"}, ["meadow"]),
    ({"batch_id": "batch1"}, ["harbour", "kite"]),
    ({"favourite": True}, ["festival", "kite"]),
    ({"favourite": "false"}, ["meadow", "harbour", "glacier"]),
    ({"owner_id": "alice"}, ["glacier", "kite"]),
    ({"owner_id": "carol"}, []),
    ({"api_type": "imagen4", "owner_id": "bob"}, ["harbour"]),
    ({"tag": "birds", "favourite": True, "statuses": ["canceled"], "sort": "oldest"},
     ["festival"]),
])
async def test_each_filter_narrows_the_list(history, filters, expected):
    assert await _ids(history, **filters) == expected


@pytest.mark.parametrize("filters, field", [
    ({"statuses": ["nope"]}, "statuses"),
    ({"statuses": 3}, "statuses"),
    ({"api_type": "x" * 65}, "api_type"),
    ({"api_type": 42}, "api_type"),
    ({"search": "x" * 201}, "search"),
    ({"search": "kite\x00"}, "search"),
    ({"search": "\ud800"}, "search"),
    ({"created_from": "yesterday"}, "created_from"),
    ({"created_from": "2026-13-01"}, "created_from"),
    ({"created_from": "2026-10-01T10:00:00" + " " * 40}, "created_from"),
    ({"created_to": 20261001}, "created_to"),
    ({"created_to": "9999-12-31"}, "created_to"),
    ({"created_from": "2026-10-02", "created_to": "2026-10-01"}, "created_to"),
    ({"created_from": _at(2), "created_to": _at(2)}, "created_to"),
    ({"tag": "t" * 41}, "tag"),
    ({"tag": ["birds"]}, "tag"),
    ({"batch_id": "../etc"}, "batch_id"),
    ({"favourite": "maybe"}, "favourite"),
    ({"favourite": 1}, "favourite"),
    ({"owner_id": "a b"}, "owner_id"),
    ({"sort": "random"}, "sort"),
    ({"sort": None}, "sort"),
    ({"limit": 0}, "limit"),
    ({"limit": 101}, "limit"),
    ({"limit": "30"}, "limit"),
    ({"limit": True}, "limit"),
    ({"after": "garbage"}, "after"),
    ({"after": "newest|not-a-time|kite"}, "after"),
    ({"after": "newest|2026-10-01T10:00:00|kite"}, "after"),  # no zone: not ours
    ({"after": "newest|2026-10-01T10:00:00+00:00|../x"}, "after"),
    ({"after": 7}, "after"),
])
async def test_bad_input_is_refused_naming_the_field(history, filters, field):
    result = await list_generation_tasks(db=history, **filters)

    assert not result.ok
    assert result.error_kind is ErrorKind.INVALID_PARAMS
    assert [p.field for p in result.field_errors] == [field]
    assert result.message.startswith(f"{field}: ")


async def test_several_bad_fields_are_all_named(history):
    result = await list_generation_tasks(db=history, statuses=["x"], tag="t" * 50,
                                         sort="up", limit=0)

    assert sorted(p.field for p in result.field_errors) == ["limit", "sort", "statuses", "tag"]


async def test_parse_task_filter_builds_the_filter_and_names_unknown_fields():
    parsed = parse_task_filter(statuses=["failed", "failed", "queued"], api_type=" veo3 ",
                               created_from="2026-10-01", created_to="2026-10-31",
                               tag="birds", favourite="yes", owner_id=None, search="")
    assert parsed == TaskFilter(
        statuses=(S.FAILED, S.QUEUED), api_type="veo3",
        created_from=datetime(2026, 10, 1, tzinfo=timezone.utc),
        created_to=datetime(2026, 11, 1, tzinfo=timezone.utc), tag="birds", favourite=True)

    problems = parse_task_filter(colour="red", sort="newest", tag="ok")
    assert [p.field for p in problems] == ["colour", "sort"]
    assert parse_task_filter() == TaskFilter()


# --- keyset pages -------------------------------------------------------------------

# Seven tasks, three sharing one timestamp and two another: ties are broken by id.
TIES = [
    dict(id="t-e", created_at=_at(1)),
    dict(id="t-c", created_at=_at(2)), dict(id="t-a", created_at=_at(2)),
    dict(id="t-b", created_at=_at(2), status=S.FAILED),
    dict(id="t-g", created_at=_at(3), status=S.FAILED),
    dict(id="t-d", created_at=_at(3)), dict(id="t-f", created_at=_at(4)),
]
NEWEST = ["t-f", "t-g", "t-d", "t-c", "t-b", "t-a", "t-e"]
OLDEST = ["t-e", "t-a", "t-b", "t-c", "t-d", "t-g", "t-f"]


async def _walk(db, limit: int, **filters) -> list[list[str]]:
    pages, after = [], None
    while True:
        result = await list_generation_tasks(db=db, after=after, limit=limit, **filters)
        assert result.ok, result.message
        pages.append([task.id for task in result.data.tasks])
        after = result.data.next_cursor
        if after is None:
            return pages
        assert len(pages) < 20, "pagination does not end"


@pytest.mark.parametrize("limit", [1, 2, 3, 6, 7, 8])
async def test_pages_in_both_orders_cover_every_row_once_across_equal_timestamps(db_engine,
                                                                                 limit):
    _insert(db_engine, TIES)

    newest = await _walk(db_engine, limit)
    oldest = await _walk(db_engine, limit, sort="oldest")

    assert [task for page in newest for task in page] == NEWEST
    assert [task for page in oldest for task in page] == OLDEST
    assert all(len(page) == limit for page in newest[:-1])
    assert len(newest) == -(-len(TIES) // limit)


async def test_pages_of_a_filtered_list_keep_the_filter_and_the_ties(db_engine):
    _insert(db_engine, TIES)

    assert await _walk(db_engine, 1, statuses=["failed"]) == [["t-g"], ["t-b"]]
    assert await _walk(db_engine, 2, statuses=["succeeded", "queued"], sort="oldest") == [
        ["t-e", "t-a"], ["t-c", "t-d"], ["t-f"]]


async def test_a_cursor_is_refused_by_the_other_order(db_engine):
    _insert(db_engine, TIES)
    first = await list_generation_tasks(db=db_engine, limit=2, sort="oldest")

    other = await list_generation_tasks(db=db_engine, limit=2, after=first.data.next_cursor)

    assert other.error_kind is ErrorKind.INVALID_PARAMS
    assert [p.field for p in other.field_errors] == ["after"]
    assert "oldest" in other.message


async def test_rows_added_while_paging_do_not_shift_the_next_page(db_engine):
    _insert(db_engine, TIES)
    first = await list_generation_tasks(db=db_engine, limit=3)
    assert [t.id for t in first.data.tasks] == NEWEST[:3]

    _insert(db_engine, [dict(id="t-new", created_at=_at(9)),
                        dict(id="t-0", created_at=_at(3))])  # ties the cursor's row, sorts before
    second = await list_generation_tasks(db=db_engine, limit=3, after=first.data.next_cursor)

    assert [t.id for t in second.data.tasks] == ["t-0", "t-c", "t-b"]


async def test_microseconds_are_kept_in_the_cursor(db_engine):
    base = _at(1)
    _insert(db_engine, [dict(id=f"m-{i}", created_at=base + timedelta(microseconds=i))
                        for i in range(5)])

    assert await _walk(db_engine, 2) == [["m-4", "m-3"], ["m-2", "m-1"], ["m-0"]]


# --- searched pages: every path of the search plan gives the same pages --------------

# Twelve tasks a minute apart; "kite" in every third, "harbour" in all but those.
SEARCHED = [dict(id=f"s-{i:02d}", created_at=_at(1, 10, i),
                 prompt="a red kite" if i % 3 == 0 else "the old harbour")
            for i in range(12)]


@pytest.mark.parametrize("windows, few", [
    ((1_000,), 2_000),        # everything fits the first window
    ((1_000,), 0),
    ((2,), 0),                # windows too small for a page: the full plan
    ((1, 2, 3), 0),
    ((4, 8), 0),              # a page found in a later window
    ((2, 4), 5),              # SQLite: few matches in all for "kite", not for "harbour"
    ((1, 2), 1_000),          # SQLite: few in all after the first window
])
async def test_searched_pages_are_the_same_whichever_way_they_are_found(db_engine, monkeypatch,
                                                                         windows, few):
    from app.actions import browse

    monkeypatch.setattr(browse, "SEARCH_WINDOWS", {"sqlite": windows, "postgresql": windows})
    monkeypatch.setattr(browse, "FEW_MATCHES", few)
    _insert(db_engine, SEARCHED)

    assert await _walk(db_engine, 2, search="kite") == [["s-09", "s-06"], ["s-03", "s-00"]]
    assert await _walk(db_engine, 3, search="kite", sort="oldest") == [
        ["s-00", "s-03", "s-06"], ["s-09"]]
    assert await _walk(db_engine, 3, search="harb") == [
        ["s-11", "s-10", "s-08"], ["s-07", "s-05", "s-04"], ["s-02", "s-01"]]
    assert await _walk(db_engine, 4, search="harbour", sort="oldest") == [
        ["s-01", "s-02", "s-04", "s-05"], ["s-07", "s-08", "s-10", "s-11"]]
    assert await _walk(db_engine, 5, search="kite", statuses=["queued"]) == [
        ["s-09", "s-06", "s-03", "s-00"]]
    assert await _walk(db_engine, 5, search="glacier") == [[]]
