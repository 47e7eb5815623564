"""Picking: favourites, the chosen result, tags, and a batch's one chosen variant.

Every case runs on SQLite and PostgreSQL. A refused mark names the field and changes
nothing; someone else's task is answered as not found; every change is announced.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from app.actions.batches import batch_status, create_batch
from app.actions.picking import select_batch_result, select_result, set_favourite, set_tags
from app.actions.result import ErrorKind
from app.engine.notifier import notifier
from app.store.models import GenerationTask
from app.store.status import TaskStatus
from tests.factories import make_task

pytestmark = pytest.mark.asyncio

URLS = ["https://tempfile.example/a.png", "https://tempfile.example/b.png",
        "https://tempfile.example/c.png"]
UNKNOWN = "0123456789abcdef0123456789abcdef"


def stored(db, task_id: str) -> GenerationTask:
    with Session(db, expire_on_commit=False) as session:
        return session.get(GenerationTask, task_id)


def add_task(db, **overrides) -> str:
    values = dict(status=TaskStatus.SUCCEEDED, result_urls=list(URLS)) | overrides
    with Session(db, expire_on_commit=False) as session:
        task = make_task(**values)
        session.add(task)
        session.commit()
        return task.id


async def succeeded_batch(db, size: int = 3) -> tuple[str, list[str]]:
    batch = (await create_batch("imagen4", {"prompt": "a lighthouse"}, size, db=db)).data
    ids = [task.id for task in batch.tasks]
    with db.begin() as connection:
        connection.execute(sa.update(GenerationTask.__table__)
                           .where(GenerationTask.__table__.c.batch_id == batch.id)
                           .values(status=TaskStatus.SUCCEEDED, result_urls=URLS[:2]))
    return batch.id, ids


def holders(db, ids: list[str]) -> dict[str, int]:
    return {i: stored(db, i).selected_result for i in ids
            if stored(db, i).selected_result is not None}


# --- favourites ----------------------------------------------------------------------

async def test_favourite_is_set_and_cleared_and_announced(db_engine):
    task_id = add_task(db_engine)
    before = stored(db_engine, task_id).updated_at

    async with notifier.listen() as changes:
        on = await set_favourite(task_id, True, db=db_engine)
        heard = changes.get_nowait()
    off = await set_favourite(task_id, False, db=db_engine)

    assert on.ok and on.data.favourite is True
    assert (heard.task_id, heard.status) == (task_id, "succeeded")
    assert off.ok and stored(db_engine, task_id).favourite is False
    # A mark is not news about the provider's state.
    assert stored(db_engine, task_id).updated_at == before


@pytest.mark.parametrize("value", [1, "true", None, []])
async def test_favourite_must_be_true_or_false(db_engine, value):
    task_id = add_task(db_engine)

    result = await set_favourite(task_id, value, db=db_engine)

    assert result.error_kind is ErrorKind.INVALID_PARAMS
    assert [p.field for p in result.field_errors] == ["favourite"]
    assert stored(db_engine, task_id).favourite is False


# --- the chosen result ---------------------------------------------------------------

async def test_a_result_of_a_succeeded_task_is_chosen_and_cleared(db_engine):
    task_id = add_task(db_engine)

    chosen = await select_result(task_id, 2, db=db_engine)
    assert chosen.ok and chosen.data.selected_result == 2
    assert stored(db_engine, task_id).selected_result == 2

    cleared = await select_result(task_id, None, db=db_engine)
    assert cleared.ok and stored(db_engine, task_id).selected_result is None


@pytest.mark.parametrize("position", [3, -1, 10**20, "1", 1.0, True])
async def test_the_position_must_index_an_existing_result(db_engine, position):
    task_id = add_task(db_engine, selected_result=0)

    result = await select_result(task_id, position, db=db_engine)

    assert result.error_kind is ErrorKind.INVALID_PARAMS
    assert [p.field for p in result.field_errors] == ["position"]
    assert stored(db_engine, task_id).selected_result == 0


async def test_a_task_without_results_has_nothing_to_choose(db_engine):
    result = await select_result(add_task(db_engine, result_urls=[]), 0, db=db_engine)

    assert result.error_kind is ErrorKind.INVALID_PARAMS
    assert "no results" in result.message


@pytest.mark.parametrize("status", [TaskStatus.QUEUED, TaskStatus.PROCESSING,
                                    TaskStatus.FAILED, TaskStatus.CANCELED])
async def test_only_a_succeeded_task_has_a_result_to_choose(db_engine, status):
    task_id = add_task(db_engine, status=status)

    result = await select_result(task_id, 0, db=db_engine)

    assert result.error_kind is ErrorKind.CONFLICT
    assert stored(db_engine, task_id).selected_result is None


# --- a batch's chosen variant --------------------------------------------------------

async def test_a_batch_holds_one_choice_whichever_door_is_used(db_engine):
    batch_id, ids = await succeeded_batch(db_engine)

    first = await select_batch_result(batch_id, ids[0], 1, db=db_engine)
    assert first.ok and (first.data.task_id, first.data.position) == (ids[0], 1)
    assert first.data.result_url == URLS[1]
    assert holders(db_engine, ids) == {ids[0]: 1}

    async with notifier.listen() as changes:
        second = await select_result(ids[2], 0, db=db_engine)
        heard = {changes.get_nowait().task_id for _ in range(changes.qsize())}
    assert second.ok
    assert holders(db_engine, ids) == {ids[2]: 0}
    assert heard == {ids[0], ids[2]}  # the one that lost its choice is news too
    choice = (await batch_status(batch_id, db=db_engine)).data.choice
    assert (choice.task_id, choice.position, choice.result_url) == (ids[2], 0, URLS[0])

    cleared = await select_batch_result(batch_id, None, None, db=db_engine)
    assert cleared.ok and holders(db_engine, ids) == {}
    assert (await batch_status(batch_id, db=db_engine)).data.choice is None


async def test_clearing_through_any_task_of_the_batch_clears_the_batch(db_engine):
    batch_id, ids = await succeeded_batch(db_engine)
    await select_batch_result(batch_id, ids[1], 0, db=db_engine)

    result = await select_batch_result(batch_id, ids[0], None, db=db_engine)

    assert result.ok and holders(db_engine, ids) == {}


async def test_a_task_of_another_batch_or_none_is_refused(db_engine):
    batch_id, ids = await succeeded_batch(db_engine)
    other_batch, other_ids = await succeeded_batch(db_engine, 1)
    loose = add_task(db_engine)

    for task_id in (other_ids[0], loose, UNKNOWN):
        result = await select_batch_result(batch_id, task_id, 0, db=db_engine)
        assert result.error_kind is ErrorKind.NOT_FOUND, task_id
    missing = await select_batch_result(batch_id, None, 0, db=db_engine)
    bad_position = await select_batch_result(batch_id, ids[0], 2, db=db_engine)
    no_batch = await select_batch_result(UNKNOWN, ids[0], 0, db=db_engine)

    assert [p.field for p in missing.field_errors] == ["task_id"]
    assert [p.field for p in bad_position.field_errors] == ["position"]
    assert no_batch.error_kind is ErrorKind.NOT_FOUND
    assert holders(db_engine, ids + other_ids) == {}


# --- tags ----------------------------------------------------------------------------

async def test_tags_are_trimmed_deduplicated_and_replaced(db_engine):
    task_id = add_task(db_engine, tags=["old"])

    result = await set_tags(task_id, ["  Sea ", "sea", "cafe\u0301", "café", "👩‍💻", "SEA"],
                            db=db_engine)

    assert result.ok, result.message
    assert result.data.tags == ["Sea", "café", "👩‍💻"]
    assert stored(db_engine, task_id).tags == ["Sea", "café", "👩‍💻"]
    assert (await set_tags(task_id, [], db=db_engine)).data.tags == []


async def test_twenty_different_tags_are_the_limit_after_deduplication(db_engine):
    task_id = add_task(db_engine)
    twenty = [f"t{i}" for i in range(20)]

    assert (await set_tags(task_id, twenty + ["T0", " t1 "], db=db_engine)).ok
    too_many = await set_tags(task_id, twenty + ["t20"], db=db_engine)

    assert too_many.error_kind is ErrorKind.INVALID_PARAMS
    assert stored(db_engine, task_id).tags == twenty


@pytest.mark.parametrize("tags", [None, "sea", ["sea", 1], [""], ["   "], ["x" * 41],
                                  ["a\nb"], ["a\tb"], ["bell\x07"], ["nul\x00"], ["a\ud800"],
                                  ["line\u2028sep"], {"sea": 1}])
async def test_bad_tags_name_the_field_and_change_nothing(db_engine, tags):
    task_id = add_task(db_engine, tags=["kept"])

    result = await set_tags(task_id, tags, db=db_engine)

    assert result.error_kind is ErrorKind.INVALID_PARAMS
    assert [p.field for p in result.field_errors] == ["tags"]
    assert stored(db_engine, task_id).tags == ["kept"]


# --- whose task ----------------------------------------------------------------------

async def test_someone_elses_task_is_not_found_and_unchanged(db_engine):
    task_id = add_task(db_engine, owner_id="alice", tags=["kept"])
    batch = (await create_batch("imagen4", {"prompt": "x"}, 1, owner_id="alice",
                                db=db_engine)).data

    for result in [await set_favourite(task_id, True, owner_id="mallory", db=db_engine),
                   await select_result(task_id, 0, owner_id="mallory", db=db_engine),
                   await set_tags(task_id, ["mine"], owner_id="mallory", db=db_engine),
                   await select_batch_result(batch.id, None, None, owner_id="mallory",
                                             db=db_engine)]:
        assert result.error_kind is ErrorKind.NOT_FOUND
    task = stored(db_engine, task_id)
    assert (task.favourite, task.selected_result, task.tags) == (False, None, ["kept"])

    assert (await set_favourite(task_id, True, owner_id="alice", db=db_engine)).ok
    assert (await select_result(task_id, 0, owner_id="alice", db=db_engine)).ok
    # A task without an owner (made in single-user mode) is the admin's, not alice's.
    unowned = add_task(db_engine)
    refused = await set_tags(unowned, ["x"], owner_id="alice", db=db_engine)
    assert refused.error_kind is ErrorKind.NOT_FOUND
    assert (await set_tags(unowned, ["x"], owner_id=None, db=db_engine)).ok


@pytest.mark.parametrize("task_id", [UNKNOWN, "../etc", "", None, 5])
async def test_an_unknown_task_is_not_found(db_engine, task_id):
    for result in [await set_favourite(task_id, True, db=db_engine),
                   await select_result(task_id, None, db=db_engine),
                   await set_tags(task_id, ["x"], db=db_engine)]:
        assert result.error_kind is ErrorKind.NOT_FOUND
