"""create_generation_task: what a person (or a script) sees when asking for a generation.

Every case runs on SQLite and PostgreSQL. A refused request names the field at fault
and leaves no trace in the database; an accepted one is exactly one row plus one
'create' event; one idempotency key is one task, however many requests race for it.
"""

from __future__ import annotations

import asyncio
import threading

import pytest

from app.actions.result import ErrorKind
from app.actions.tasks import create_generation_task
from app.simulator.config import SimulatorConfig
from app.store.models import EventSource, GenerationTask, TaskEvent
from tests.actions.support import event_rows, task_rows
from tests.engine.harness import engine_rig

RACERS = 50
VALID = {"prompt": "a lighthouse at dusk"}

# (label, api_type, params, keyword arguments, the field the answer must name)
INVALID_REQUESTS = [
    ("unknown model", "no-such-model", VALID, {}, "api_type"),
    ("model id not text", 42, VALID, {}, "api_type"),
    ("no model", None, VALID, {}, "api_type"),
    ("params missing", "imagen4", None, {}, "params"),
    ("params a list", "imagen4", ["a lighthouse"], {}, "params"),
    ("param names not text", "imagen4", {1: "a lighthouse"}, {}, "params"),
    ("required field missing", "imagen4", {}, {}, "prompt"),
    ("text field given a number", "imagen4", {"prompt": 5}, {}, "prompt"),
    ("text too long", "imagen4", {"prompt": "x" * 5001}, {}, "prompt"),
    ("text with a NUL", "imagen4", {"prompt": "a\x00b"}, {}, "prompt"),
    ("text with a lone surrogate", "imagen4", {"prompt": "a\ud800b"}, {}, "prompt"),
    ("choice not offered", "imagen4", VALID | {"aspect_ratio": "7:1"}, {}, "aspect_ratio"),
    ("number below its range", "imagen4", VALID | {"seed": -1}, {}, "seed"),
    ("number given text", "imagen4", VALID | {"seed": "abc"}, {}, "seed"),
    ("number given a list", "imagen4", VALID | {"seed": [1]}, {}, "seed"),
    ("unknown setting", "imagen4", VALID | {"bogus": 1}, {}, "bogus"),
    ("rule across fields", "imagen4",
     VALID | {"model": "google/imagen4-ultra", "num_images": "3"}, {}, "num_images"),
    ("model inside params disagrees", "imagen4", VALID | {"api_type": "veo3"}, {}, "api_type"),
    ("service of another model", "imagen4", VALID, {"service": "VEO"}, "service"),
    ("service not text", "imagen4", VALID, {"service": ["IMAGEN4"]}, "service"),
    ("empty idempotency key", "imagen4", VALID, {"idempotency_key": ""}, "idempotency_key"),
    ("blank idempotency key", "imagen4", VALID, {"idempotency_key": "   "}, "idempotency_key"),
    ("idempotency key a number", "imagen4", VALID, {"idempotency_key": 7}, "idempotency_key"),
    ("idempotency key too long", "imagen4", VALID, {"idempotency_key": "k" * 129},
     "idempotency_key"),
    ("idempotency key with a NUL", "imagen4", VALID, {"idempotency_key": "k\x00"},
     "idempotency_key"),
    ("idempotency key with a surrogate", "imagen4", VALID, {"idempotency_key": "k\udc80"},
     "idempotency_key"),
    ("tags a string", "imagen4", VALID, {"tags": "portrait"}, "tags"),
    ("tags not text", "imagen4", VALID, {"tags": [1, 2]}, "tags"),
    ("tag too long", "imagen4", VALID, {"tags": ["t" * 41]}, "tags"),
    ("blank tag", "imagen4", VALID, {"tags": ["  "]}, "tags"),
    ("too many tags", "imagen4", VALID, {"tags": [f"t{i}" for i in range(21)]}, "tags"),
    ("tag with a NUL", "imagen4", VALID, {"tags": ["a\x00"]}, "tags"),
]


@pytest.mark.asyncio
async def test_a_valid_request_is_queued_as_one_row_with_one_create_event(db_engine):
    result = await create_generation_task("imagen4", VALID, tags=["coast"], db=db_engine)

    assert result.ok, result.message
    task = result.data
    assert task.status == "queued"
    assert (task.api_type, task.model, task.prompt) == ("imagen4", "google/imagen4-fast",
                                                        "a lighthouse at dusk")
    assert task.params["prompt"] == "a lighthouse at dusk"
    assert task.tags == ["coast"]
    assert task_rows(db_engine) == 1
    assert event_rows(db_engine) == 1
    assert event_rows(db_engine, TaskEvent.task_id == task.id,
                      TaskEvent.source == EventSource.CREATE, TaskEvent.to_status == "queued",
                      TaskEvent.from_status.is_(None)) == 1
    assert result.to_dict()["error"] is None


@pytest.mark.asyncio
async def test_each_kind_of_bad_request_names_its_field_and_writes_nothing(db_engine, subtests):
    for label, api_type, params, kwargs, field in INVALID_REQUESTS:
        with subtests.test(msg=label):
            result = await create_generation_task(api_type, params, db=db_engine, **kwargs)

            assert not result.ok
            assert result.error_kind is ErrorKind.INVALID_PARAMS
            assert result.error_kind.http_status == 400
            assert field in [problem.field for problem in result.field_errors], result
            assert result.message.startswith(f"{field}:"), result.message
            assert f"{field}: {field}:" not in result.message  # named once, not twice
            assert result.to_dict()["error"]["fields"]
    assert task_rows(db_engine) == 0
    assert event_rows(db_engine) == 0


@pytest.mark.asyncio
async def test_the_same_idempotency_key_twice_is_the_same_task(db_engine):
    first = await create_generation_task("imagen4", VALID, idempotency_key="click-1", db=db_engine)
    second = await create_generation_task("imagen4", VALID, idempotency_key="click-1", db=db_engine)

    assert first.ok and second.ok
    assert second.data.id == first.data.id
    assert "same task" in second.message.lower()
    assert task_rows(db_engine) == 1
    assert event_rows(db_engine) == 1


@pytest.mark.asyncio
async def test_a_reused_key_with_different_params_is_a_conflict(db_engine):
    first = await create_generation_task("imagen4", VALID, idempotency_key="click-2", db=db_engine)
    other_prompt = await create_generation_task(
        "imagen4", {"prompt": "a forest at dawn"}, idempotency_key="click-2", db=db_engine)
    other_model = await create_generation_task(
        "nano-banana", VALID, idempotency_key="click-2", db=db_engine)

    assert first.ok
    for result in (other_prompt, other_model):
        assert not result.ok
        assert result.error_kind is ErrorKind.CONFLICT
        assert [p.field for p in result.field_errors] == ["idempotency_key"]
        assert "idempotency key" in result.message
    assert task_rows(db_engine) == 1
    with db_engine.connect() as connection:
        stored = connection.execute(GenerationTask.__table__.select()).mappings().one()
    assert stored["prompt"] == "a lighthouse at dusk"  # the first request is untouched


def _all_terminal(tasks) -> bool:
    return bool(tasks) and all(task.status.is_terminal for task in tasks)


def _assert_one_task(results, db) -> None:
    assert all(r.ok for r in results), {r.message for r in results if not r.ok}
    assert len({r.data.id for r in results}) == 1
    assert sum(r.message == "Task queued" for r in results) == 1  # one winner
    assert task_rows(db) == 1
    assert event_rows(db, TaskEvent.source == EventSource.CREATE) == 1


@pytest.mark.asyncio
async def test_racing_creates_in_one_event_loop_make_one_task_and_one_paid_call(db_engine):
    async with engine_rig(db_engine, SimulatorConfig(time_scale=0.01, seed=5)) as rig:
        results = await asyncio.gather(*(
            create_generation_task("imagen4", VALID, idempotency_key="double-click", db=db_engine)
            for _ in range(RACERS)))

        _assert_one_task(results, db_engine)
        await rig.wait_until(_all_terminal)
        assert rig.sim.state.create_calls == 1


@pytest.mark.asyncio
async def test_racing_creates_from_many_threads_make_one_task_and_one_paid_call(db_engine):
    """Each thread has its own event loop, so the inserts really race in the database
    (in one loop the action never yields before its commit, so gather runs them in turn)."""
    start = threading.Barrier(RACERS)
    results = []

    def racer() -> None:
        async def create():
            start.wait()
            return await create_generation_task("imagen4", VALID, idempotency_key="many-tabs",
                                                db=db_engine)
        results.append(asyncio.run(create()))

    def race() -> None:
        threads = [threading.Thread(target=racer) for _ in range(RACERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)

    async with engine_rig(db_engine, SimulatorConfig(time_scale=0.01, seed=6)) as rig:
        await asyncio.to_thread(race)

        assert len(results) == RACERS
        _assert_one_task(results, db_engine)
        await rig.wait_until(_all_terminal)
        assert rig.sim.state.create_calls == 1
