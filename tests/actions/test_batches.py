"""Batches: one request run several times, as a seed walk when the model has a seed.

Every case runs on SQLite and PostgreSQL. A refused or failed batch leaves no row at
all; an accepted one is one batch row plus `count` queued tasks, each with its create
event; one idempotency key is one batch.
"""

from __future__ import annotations

import asyncio
import threading

import pytest
import sqlalchemy as sa

from app.actions import batches
from app.actions.batches import BATCH_MAX, aggregate_status, batch_status, cancel_batch, create_batch
from app.actions.result import ErrorKind
from app.catalog.fields import SEED_MAX
from app.engine.notifier import notifier
from app.store.models import EventSource, GenerationTask, TaskBatch, TaskEvent
from app.store.status import TaskStatus
from tests.actions.support import count, event_rows, task_rows

pytestmark = pytest.mark.asyncio

PROMPT = {"prompt": "a lighthouse at dusk"}
S = TaskStatus


def batch_rows(db) -> int:
    return count(db, TaskBatch)


def assert_nothing_written(db) -> None:
    assert (batch_rows(db), task_rows(db), event_rows(db)) == (0, 0, 0)


def seeds(batch, name: str = "seed") -> list[int]:
    return [task.params[name] for task in batch.tasks]


def set_statuses(db, batch, statuses: list[TaskStatus], progress=None) -> None:
    """Put the batch's tasks (in run order) in these statuses, as the engine would have."""
    with db.begin() as connection:
        for i, (task, status) in enumerate(zip(batch.tasks, statuses, strict=True)):
            connection.execute(sa.update(GenerationTask.__table__)
                               .where(GenerationTask.__table__.c.id == task.id)
                               .values(status=status, progress=(progress or {}).get(i)))


# --- the seed walk -------------------------------------------------------------------

async def test_a_given_seed_walks_up_by_one_per_run(db_engine):
    result = await create_batch("imagen4", PROMPT | {"seed": 100}, 4, label=" coast ",
                                tags=["sea"], db=db_engine)

    assert result.ok, result.message
    batch = result.data
    assert (batch.size, batch.seed_start, batch.label, batch.status) == (4, 100, "coast", "running")
    assert seeds(batch) == [100, 101, 102, 103]
    # The provider body carries each run's own seed, as a single create would send it.
    assert [t.params["prompt"] for t in batch.tasks] == ["a lighthouse at dusk"] * 4
    with db_engine.connect() as connection:
        bodies = connection.execute(sa.select(GenerationTask.provider_body, GenerationTask.batch_id)
                                    .order_by(GenerationTask.created_at)).all()
    assert [body["input"]["seed"] for body, _ in bodies] == [100, 101, 102, 103]
    assert {batch_id for _, batch_id in bodies} == {batch.id}
    assert all(t.status == "queued" and t.tags == ["sea"] for t in batch.tasks)
    assert (batch_rows(db_engine), task_rows(db_engine)) == (1, 4)
    assert event_rows(db_engine, TaskEvent.source == EventSource.CREATE) == 4


async def test_a_random_start_keeps_every_seed_within_the_field_limits(db_engine, monkeypatch):
    # veo3's `seeds` field allows 10000..99999: the highest random draw must still fit.
    monkeypatch.setattr(batches.secrets, "randbelow", lambda n: n - 1)
    top = await create_batch("veo3", PROMPT, 3, db=db_engine)
    monkeypatch.setattr(batches.secrets, "randbelow", lambda n: 0)
    bottom = await create_batch("veo3", PROMPT, 3, db=db_engine)

    assert top.ok and bottom.ok, (top.message, bottom.message)
    assert seeds(top.data, "seeds") == [99997, 99998, 99999]
    assert seeds(bottom.data, "seeds") == [10000, 10001, 10002]
    assert (top.data.seed_start, bottom.data.seed_start) == (99997, 10000)


async def test_a_random_start_is_stored_so_the_walk_can_be_repeated(db_engine):
    result = await create_batch("imagen4", PROMPT, 5, db=db_engine)

    assert result.ok, result.message
    start = result.data.seed_start
    assert 0 <= start <= SEED_MAX - 4
    assert seeds(result.data) == list(range(start, start + 5))


async def test_a_given_seed_too_close_to_the_limit_names_the_seed_field(db_engine):
    refused = await create_batch("veo3", PROMPT | {"seeds": 99998}, 3, db=db_engine)
    fits = await create_batch("veo3", PROMPT | {"seeds": 99997}, 3, db=db_engine)

    assert refused.error_kind is ErrorKind.INVALID_PARAMS
    assert [p.field for p in refused.field_errors] == ["seeds"]
    assert "99997" in refused.message
    assert fits.ok and seeds(fits.data, "seeds") == [99997, 99998, 99999]
    assert batch_rows(db_engine) == 1


async def test_a_model_without_a_seed_runs_the_same_params_count_times(db_engine):
    result = await create_batch("nano-banana", PROMPT, 3, db=db_engine)

    assert result.ok, result.message
    assert result.data.seed_start is None
    params = [task.params for task in result.data.tasks]
    assert params == [params[0]] * 3 and "seed" not in params[0]
    assert len({task.id for task in result.data.tasks}) == 3


# --- refused input -------------------------------------------------------------------

@pytest.mark.parametrize("bad_count", [0, -1, BATCH_MAX + 1, 2.0, "3", True, None])
async def test_count_must_be_a_whole_number_within_the_limits(db_engine, bad_count):
    result = await create_batch("imagen4", PROMPT, bad_count, db=db_engine)

    assert result.error_kind is ErrorKind.INVALID_PARAMS
    assert [p.field for p in result.field_errors] == ["count"]
    assert_nothing_written(db_engine)


@pytest.mark.parametrize("size", [1, BATCH_MAX])
async def test_the_count_limits_themselves_are_accepted(db_engine, size):
    result = await create_batch("imagen4", PROMPT | {"seed": 7}, size, db=db_engine)

    assert result.ok, result.message
    assert task_rows(db_engine) == size and seeds(result.data) == list(range(7, 7 + size))


@pytest.mark.parametrize(("api_type", "params", "keywords", "field"), [
    ("imagen4", {}, {}, "prompt"),
    ("no-such-model", PROMPT, {}, "api_type"),
    (42, PROMPT, {}, "api_type"),
    ("imagen4", None, {}, "params"),
    ("imagen4", PROMPT | {"seed": -1}, {}, "seed"),
    ("imagen4", PROMPT | {"bogus": 1}, {}, "bogus"),
    ("imagen4", {"prompt": "a\x00b"}, {}, "prompt"),
    ("imagen4", PROMPT, {"label": "l" * 201}, "label"),
    ("imagen4", PROMPT, {"label": "two\nlines"}, "label"),
    ("imagen4", PROMPT, {"tags": "sea"}, "tags"),
    ("imagen4", PROMPT, {"tags": ["a\x07"]}, "tags"),
    ("imagen4", PROMPT, {"idempotency_key": "  "}, "idempotency_key"),
])
async def test_invalid_input_names_the_field_and_writes_nothing(db_engine, api_type, params,
                                                                keywords, field):
    result = await create_batch(api_type, params, 3, db=db_engine, **keywords)

    assert result.error_kind is ErrorKind.INVALID_PARAMS
    assert field in [p.field for p in result.field_errors], result.message
    assert_nothing_written(db_engine)


async def test_a_failure_while_writing_leaves_no_half_batch(db_engine, monkeypatch):
    real = batches.record_creation
    calls = []

    def failing_on_the_third(session, task, detail=None):
        calls.append(task)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        real(session, task, detail)

    monkeypatch.setattr(batches, "record_creation", failing_on_the_third)
    result = await create_batch("imagen4", PROMPT, 5, db=db_engine)

    assert result.error_kind is ErrorKind.INTERNAL
    assert_nothing_written(db_engine)


# --- idempotency ---------------------------------------------------------------------

async def test_the_same_key_is_the_same_batch(db_engine):
    first = await create_batch("imagen4", PROMPT, 3, idempotency_key="k1", db=db_engine)
    again = await create_batch("imagen4", PROMPT, 3, idempotency_key="k1", db=db_engine)
    other = await create_batch("imagen4", PROMPT | {"prompt": "a harbour"}, 3,
                               idempotency_key="k1", db=db_engine)
    bigger = await create_batch("imagen4", PROMPT, 4, idempotency_key="k1", db=db_engine)
    someone_else = await create_batch("imagen4", PROMPT, 3, idempotency_key="k1",
                                      owner_id="bob", db=db_engine)

    assert first.ok and again.ok, (first.message, again.message)
    assert again.data.id == first.data.id
    assert [t.id for t in again.data.tasks] == [t.id for t in first.data.tasks]
    assert "same batch" in again.message
    assert other.error_kind is ErrorKind.CONFLICT and bigger.error_kind is ErrorKind.CONFLICT
    assert someone_else.ok and someone_else.data.id != first.data.id
    assert (batch_rows(db_engine), task_rows(db_engine)) == (2, 6)


async def test_racing_requests_with_one_key_make_one_batch(db_engine):
    answers = []

    def racer():
        answers.append(asyncio.run(create_batch("imagen4", PROMPT, 4, idempotency_key="race",
                                                db=db_engine)))

    threads = [threading.Thread(target=racer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert all(a.ok for a in answers), [a.message for a in answers if not a.ok]
    assert len({a.data.id for a in answers}) == 1
    assert (batch_rows(db_engine), task_rows(db_engine)) == (1, 4)


async def test_every_new_task_is_announced_to_open_browsers(db_engine):
    async with notifier.listen() as changes:
        result = await create_batch("imagen4", PROMPT, 3, db=db_engine)
        heard = [changes.get_nowait() for _ in range(changes.qsize())]

    assert result.ok
    assert sorted(c.task_id for c in heard) == sorted(t.id for t in result.data.tasks)
    assert {c.status for c in heard} == {"queued"}


# --- status and progress -------------------------------------------------------------

@pytest.mark.parametrize(("statuses", "expected"), [
    ([S.QUEUED, S.SUCCEEDED, S.FAILED], "running"),
    ([S.SUBMITTING, S.CANCELED], "running"),
    ([S.PROCESSING, S.NEEDS_ATTENTION], "running"),
    ([S.NEEDS_ATTENTION, S.SUCCEEDED], "needs_attention"),
    ([S.SUCCEEDED, S.SUCCEEDED], "succeeded"),
    ([S.SUCCEEDED, S.FAILED], "partly_failed"),
    ([S.SUCCEEDED, S.CANCELED], "partly_failed"),
    ([S.FAILED, S.FAILED], "failed"),
    ([S.FAILED, S.CANCELED], "failed"),
    ([S.CANCELED, S.CANCELED], "canceled"),
    ([], "empty"),
])
async def test_the_batch_status_follows_its_tasks(statuses, expected):
    assert aggregate_status(statuses).value == expected


async def test_batch_status_reports_progress_counts_and_tasks_in_run_order(db_engine):
    created = (await create_batch("imagen4", PROMPT | {"seed": 1}, 4, db=db_engine)).data
    set_statuses(db_engine, created,
                 [S.SUCCEEDED, S.PROCESSING, S.QUEUED, S.FAILED], progress={1: 0.5})

    result = await batch_status(created.id, db=db_engine)

    assert result.ok, result.message
    batch = result.data
    assert batch.status == "running"
    assert batch.progress == pytest.approx((1 + 0.5 + 0 + 1) / 4)
    assert {k: v for k, v in batch.counts.items() if v} == {
        "succeeded": 1, "processing": 1, "queued": 1, "failed": 1}
    assert sum(batch.counts.values()) == 4
    assert seeds(batch) == [1, 2, 3, 4]

    set_statuses(db_engine, created, [S.SUCCEEDED, S.SUCCEEDED, S.FAILED, S.FAILED])
    assert (await batch_status(created.id, db=db_engine)).data.status == "partly_failed"


async def test_a_batch_whose_tasks_were_deleted_is_empty(db_engine):
    created = (await create_batch("imagen4", PROMPT, 2, db=db_engine)).data
    with db_engine.begin() as connection:
        connection.execute(sa.delete(TaskEvent.__table__))
        connection.execute(sa.delete(GenerationTask.__table__))

    batch = (await batch_status(created.id, db=db_engine)).data
    assert (batch.status, batch.progress, batch.tasks) == ("empty", 0.0, [])


@pytest.mark.parametrize("batch_id", ["0123456789abcdef0123456789abcdef", "../x", "", None, 7])
async def test_an_unknown_batch_is_not_found(db_engine, batch_id):
    assert (await batch_status(batch_id, db=db_engine)).error_kind is ErrorKind.NOT_FOUND
    assert (await cancel_batch(batch_id, db=db_engine)).error_kind is ErrorKind.NOT_FOUND


async def test_someone_elses_batch_is_not_found(db_engine):
    created = (await create_batch("imagen4", PROMPT, 2, owner_id="alice", db=db_engine)).data

    assert (await batch_status(created.id, owner_id="alice", db=db_engine)).ok
    assert (await batch_status(created.id, db=db_engine)).ok  # None: everyone's
    mallory = await batch_status(created.id, owner_id="mallory", db=db_engine)
    stop = await cancel_batch(created.id, owner_id="mallory", db=db_engine)
    assert mallory.error_kind is ErrorKind.NOT_FOUND and stop.error_kind is ErrorKind.NOT_FOUND
    assert (await batch_status(created.id, db=db_engine)).data.counts["queued"] == 2


# --- stopping ------------------------------------------------------------------------

async def test_cancel_stops_only_the_unfinished_tasks(db_engine):
    created = (await create_batch("imagen4", PROMPT, 6, db=db_engine)).data
    set_statuses(db_engine, created, [S.SUCCEEDED, S.FAILED, S.QUEUED, S.PROCESSING,
                                      S.NEEDS_ATTENTION, S.SUBMITTING])

    async with notifier.listen() as changes:
        result = await cancel_batch(created.id, db=db_engine)
        heard = [changes.get_nowait() for _ in range(changes.qsize())]

    assert result.ok, result.message
    assert (result.data.canceled, result.data.not_stopped) == (3, 1)
    assert [t.status for t in result.data.batch.tasks] == [
        "succeeded", "failed", "canceled", "canceled", "canceled", "submitting"]
    # Each stop went through the status machine: one user event per canceled task.
    assert event_rows(db_engine, TaskEvent.source == EventSource.USER,
                      TaskEvent.to_status == "canceled") == 3
    assert sorted(c.task_id for c in heard) == sorted(t.id for t in created.tasks[2:5])
    assert all(c.finished for c in heard)

    again = await cancel_batch(created.id, db=db_engine)
    assert (again.data.canceled, again.data.not_stopped) == (0, 1)
