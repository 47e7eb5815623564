"""The status machine: illegal moves refused, terminal states final, races have one winner."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from app.store.db import make_engine
from app.store.models import EventSource, GenerationTask, TaskEvent, utcnow
from app.store.status import ALLOWED_FROM, TaskStatus
from app.store.transitions import record_creation, transition, update_in_status
from tests.databases import migrate_to_head
from tests.factories import make_task


def _insert(engine, **overrides) -> str:
    with Session(engine) as session:
        task = make_task(**overrides)
        record_creation(session, task)
        session.commit()
        return task.id


def _status(engine, task_id) -> TaskStatus:
    with Session(engine) as session:
        return session.get(GenerationTask, task_id).status


def _events(engine, task_id) -> list[tuple[str | None, str]]:
    with Session(engine) as session:
        rows = session.exec(
            select(TaskEvent).where(TaskEvent.task_id == task_id).order_by(TaskEvent.id)
        ).all()
        return [(e.from_status, e.to_status) for e in rows]


def test_a_legal_path_to_success_leaves_a_full_trail(db_engine):
    task_id = _insert(db_engine)
    with Session(db_engine) as session:
        for target in (TaskStatus.SUBMITTING, TaskStatus.PENDING, TaskStatus.PROCESSING,
                       TaskStatus.SUCCEEDED):
            assert transition(session, task_id, target, source=EventSource.ENGINE)
    assert _events(db_engine, task_id) == [
        (None, "queued"), ("queued", "submitting"), ("submitting", "pending"),
        ("pending", "processing"), ("processing", "succeeded"),
    ]
    with Session(db_engine) as session:
        task = session.get(GenerationTask, task_id)
        assert task.completed_at is not None and task.completed_at.tzinfo is not None


@pytest.mark.parametrize("target", list(TaskStatus))
def test_illegal_transitions_are_refused(db_engine, target):
    task_id = _insert(db_engine)  # queued
    with Session(db_engine) as session:
        moved = transition(session, task_id, target, source=EventSource.ENGINE)
    assert moved == (TaskStatus.QUEUED in ALLOWED_FROM[target])
    expected = target if moved else TaskStatus.QUEUED
    assert _status(db_engine, task_id) == expected


@pytest.mark.parametrize("terminal", [TaskStatus.SUCCEEDED, TaskStatus.FAILED,
                                      TaskStatus.CANCELED])
def test_terminal_states_never_change(db_engine, terminal):
    task_id = _insert(db_engine, status=terminal)
    with Session(db_engine) as session:
        for target in TaskStatus:
            assert not transition(session, task_id, target, source=EventSource.ENGINE)
        assert not update_in_status(session, task_id, terminal, {"progress": 0.5})
    assert _status(db_engine, task_id) == terminal
    assert _events(db_engine, task_id) == [(None, terminal.value)]


def test_update_in_status_only_while_status_holds(db_engine):
    task_id = _insert(db_engine, status=TaskStatus.PROCESSING)
    with Session(db_engine) as session:
        assert update_in_status(session, task_id, TaskStatus.PROCESSING, {"progress": 0.4})
        assert not update_in_status(session, task_id, TaskStatus.PENDING, {"progress": 0.9})
        assert session.get(GenerationTask, task_id).progress == 0.4


def test_twenty_concurrent_writers_have_one_winner_per_transition(database_url):
    engine = migrate_to_head(database_url)
    task_ids = [_insert(engine, status=TaskStatus.PROCESSING) for _ in range(3)]
    barrier = threading.Barrier(20)
    wins: list[tuple[str, TaskStatus]] = []
    lock = threading.Lock()

    def writer(index: int) -> None:
        # Half the writers report success, half failure, as a poller and a callback
        # racing on the same tasks would.
        target = TaskStatus.SUCCEEDED if index % 2 else TaskStatus.FAILED
        worker_engine = make_engine(database_url)
        barrier.wait()
        for task_id in task_ids:
            with Session(worker_engine) as session:
                if transition(session, task_id, target, source=EventSource.POLL,
                              values={"fail_message": None if index % 2 else f"w{index}"}):
                    with lock:
                        wins.append((task_id, target))
        worker_engine.dispose()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(t for t, _ in wins) == sorted(task_ids)  # exactly one winner each
    for task_id, target in wins:
        assert _status(engine, task_id) == target
        assert _events(engine, task_id) == [(None, "processing"), ("processing", target.value)]
    engine.dispose()


def test_data_survives_a_restart(tmp_path):
    url = f"sqlite:///{tmp_path / 'atelier.db'}"
    engine = migrate_to_head(url)
    task_id = _insert(engine, prompt="kept across restarts")
    engine.dispose()
    reopened = migrate_to_head(url)  # a second start runs the migrations again: no-op
    with Session(reopened) as session:
        task = session.get(GenerationTask, task_id)
        assert task.prompt == "kept across restarts"
        assert task.created_at.tzinfo is not None
        assert task.created_at <= utcnow()
    reopened.dispose()


def test_naive_datetimes_are_refused(db_engine):
    from datetime import datetime

    with Session(db_engine) as session:
        task = make_task()
        task.created_at = datetime(2026, 1, 1)  # naive
        session.add(task)
        with pytest.raises(sa.exc.StatementError):
            session.commit()
