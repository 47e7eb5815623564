"""query_generation_task: the stored row, refreshed from Kie only when it can have moved.

The provider task is created for real on the simulator (through the Kie client); the
row pointing at it is inserted as the engine would have left it. `sim.state.query_counts`
shows whether a live status query was made.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from app.actions.result import ErrorKind
from app.actions.tasks import query_generation_task
from app.catalog import validate_request
from app.providers.kie import KieClient
from app.providers.kie.families import ApiFamily
from app.simulator.state import SimTask
from app.simulator.testing import RunningSimulator
from app.store.models import EventSource, GenerationTask, TaskEvent, utcnow
from app.store.status import TaskStatus
from tests.factories import make_task

STALE = timedelta(seconds=5)  # older than the action's 2 s freshness window


async def _provider_task(kie: KieClient, sim: RunningSimulator, api_type: str,
                         params: dict) -> tuple[SimTask, dict]:
    """A real task on the simulator, created through the client as the engine would."""
    request = validate_request(api_type, params)
    provider_id = await kie.create_task(ApiFamily(request.family.value), request.body)
    row_values = dict(
        api_type=api_type, service=request.entry.service, model=request.provider_model,
        api_family=request.family.value, media_kind=request.media_kind.value,
        params=request.params, provider_body=request.body, prompt=request.prompt,
        provider_task_id=provider_id,
    )
    return sim.state.tasks[provider_id], row_values


def _insert(db, **values) -> GenerationTask:
    task = make_task(**values)
    with Session(db, expire_on_commit=False) as session:
        session.add(task)
        session.commit()
    return task


def _stored(db, task_id: str) -> GenerationTask:
    with Session(db, expire_on_commit=False) as session:
        return session.get(GenerationTask, task_id)


def _events(db, task_id: str) -> list[TaskEvent]:
    with Session(db) as session:
        return list(session.exec(select(TaskEvent).where(TaskEvent.task_id == task_id)))


def _finish_now(sim_task: SimTask) -> None:
    """Move the simulated task's clock past its end (time scaling, not sleeping)."""
    sim_task.created_at -= sim_task.ends_at - sim_task.created_at + 1


def _halfway_through_generating(sim_task: SimTask) -> None:
    start = sim_task.stage_start("generating")
    sim_task.created_at -= (start - sim_task.created_at) + (sim_task.ends_at - start) / 2
    assert 0.3 < sim_task.progress(time.time()) < 0.7


@pytest.mark.asyncio
async def test_an_unknown_id_is_not_found(db_engine, kie):
    result = await query_generation_task("0123456789abcdef0123456789abcdef", client=kie,
                                         db=db_engine)

    assert not result.ok
    assert result.error_kind is ErrorKind.NOT_FOUND
    assert result.message


@pytest.mark.asyncio
@pytest.mark.parametrize("task_id", ["", "a\x00b", "\ud800", "../etc", "x" * 65, 42, None])
async def test_a_value_that_cannot_be_an_id_is_refused_by_name(db_engine, kie, task_id):
    result = await query_generation_task(task_id, client=kie, db=db_engine)

    assert not result.ok
    assert result.error_kind is ErrorKind.INVALID_PARAMS
    assert [p.field for p in result.field_errors] == ["task_id"]


@pytest.mark.asyncio
async def test_someone_elses_task_is_not_found(db_engine, kie):
    task = _insert(db_engine, owner_id="alice")

    assert (await query_generation_task(task.id, owner_id="alice", client=kie, db=db_engine)).ok
    result = await query_generation_task(task.id, owner_id="bob", client=kie, db=db_engine)
    assert result.error_kind is ErrorKind.NOT_FOUND


@pytest.mark.asyncio
async def test_a_finished_task_is_answered_from_its_row_without_asking_kie(db_engine, kie, sim):
    sim_task, values = await _provider_task(kie, sim, "imagen4", {"prompt": "a red kite"})
    task = _insert(db_engine, **values, status=TaskStatus.SUCCEEDED, progress=1.0,
                   result_urls=["https://files.example/kite.png"],
                   completed_at=utcnow() - STALE, updated_at=utcnow() - STALE)

    result = await query_generation_task(task.id, client=kie, db=db_engine)

    assert result.ok
    assert result.data.status == "succeeded"
    assert result.data.result_urls == ["https://files.example/kite.png"]
    assert sim.state.query_counts[sim_task.task_id] == 0


@pytest.mark.asyncio
async def test_a_stale_running_task_is_refreshed_and_its_end_is_saved(db_engine, kie, sim):
    sim_task, values = await _provider_task(kie, sim, "imagen4", {"prompt": "a red kite"})
    task = _insert(db_engine, **values, status=TaskStatus.PENDING, updated_at=utcnow() - STALE,
                   submitted_at=utcnow() - STALE)
    _finish_now(sim_task)

    result = await query_generation_task(task.id, client=kie, db=db_engine)

    assert result.ok, result.message
    assert sim.state.query_counts[sim_task.task_id] == 1
    assert result.data.status == "succeeded"
    assert result.data.result_urls and result.data.progress == 1.0
    stored = _stored(db_engine, task.id)
    assert stored.status is TaskStatus.SUCCEEDED
    assert stored.result_urls == result.data.result_urls
    assert stored.completed_at is not None
    assert [(e.from_status, e.to_status, e.source) for e in _events(db_engine, task.id)] == [
        ("pending", "succeeded", EventSource.POLL)]


@pytest.mark.asyncio
async def test_a_stale_generating_video_moves_to_processing_with_its_progress(db_engine, kie, sim):
    sim_task, values = await _provider_task(kie, sim, "sora2", {"prompt": "waves on a pier"})
    task = _insert(db_engine, **values, status=TaskStatus.PENDING, updated_at=utcnow() - STALE,
                   submitted_at=utcnow() - STALE)
    _halfway_through_generating(sim_task)

    result = await query_generation_task(task.id, client=kie, db=db_engine)

    assert result.ok, result.message
    assert sim.state.query_counts[sim_task.task_id] == 1
    assert result.data.status == "processing"
    assert 0.2 < result.data.progress < 0.8
    stored = _stored(db_engine, task.id)
    assert stored.status is TaskStatus.PROCESSING
    assert stored.progress == result.data.progress
    assert stored.provider_state == "generating"
    assert stored.updated_at > utcnow() - timedelta(seconds=2)  # fresh again
    assert [(e.to_status, e.source) for e in _events(db_engine, task.id)] == [
        ("processing", EventSource.POLL)]

    # Fresh now: an immediate second look is served from the row.
    again = await query_generation_task(task.id, client=kie, db=db_engine)
    assert again.data.status == "processing"
    assert sim.state.query_counts[sim_task.task_id] == 1


@pytest.mark.asyncio
async def test_a_fresh_running_row_is_not_queried(db_engine, kie, sim):
    sim_task, values = await _provider_task(kie, sim, "imagen4", {"prompt": "a red kite"})
    task = _insert(db_engine, **values, status=TaskStatus.PENDING, updated_at=utcnow())
    _finish_now(sim_task)

    result = await query_generation_task(task.id, client=kie, db=db_engine)

    assert result.ok
    assert result.data.status == "pending"
    assert sim.state.query_counts[sim_task.task_id] == 0


@pytest.mark.asyncio
async def test_refresh_off_or_not_yet_submitted_makes_no_call(db_engine, kie, sim):
    sim_task, values = await _provider_task(kie, sim, "imagen4", {"prompt": "a red kite"})
    running = _insert(db_engine, **values, status=TaskStatus.PENDING, updated_at=utcnow() - STALE)
    queued = _insert(db_engine, status=TaskStatus.QUEUED, updated_at=utcnow() - STALE)

    assert (await query_generation_task(running.id, refresh=False, client=kie, db=db_engine)).ok
    not_sent = await query_generation_task(queued.id, client=kie, db=db_engine)
    assert not_sent.data.status == "queued"
    assert sum(sim.state.query_counts.values()) == 0


@pytest.mark.asyncio
async def test_when_kie_cannot_answer_the_stored_row_is_shown_with_the_reason(db_engine, kie, sim):
    task = _insert(db_engine, status=TaskStatus.PROCESSING, progress=0.4,
                   provider_task_id="f" * 32, updated_at=utcnow() - STALE)

    result = await query_generation_task(task.id, client=kie, db=db_engine)

    assert result.ok
    assert result.data.status == "processing" and result.data.progress == 0.4
    assert "stored state" in result.message
    assert sim.state.query_counts["f" * 32] >= 1
    assert _stored(db_engine, task.id).status is TaskStatus.PROCESSING
