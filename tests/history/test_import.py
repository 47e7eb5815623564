"""Import: export→import round trip, idempotence, refusals that name the fault and
write nothing, unfinished tasks never resubmitted."""

from __future__ import annotations

import copy
import json

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from app.actions.result import ErrorKind
from app.history import importer
from app.history.importer import import_history, parse_document
from app.store.models import EventSource, GenerationTask, TaskEvent
from app.store.status import TaskStatus
from tests.history.support import (T0, add_finished, add_task, at, count, export_doc,
                                   export_text)


def _history(db) -> None:
    add_finished(db, 0, id="s1", provider_task_id="kie-s1", prompt='quote " comma, ünï\n🎨',
                 params={"prompt": "x", "nested": {"list": [1, 2.5, None, True]}},
                 result_urls=["https://tempfile.example/1.png"], result_json={"a": [1]},
                 credits=3.0, duration_seconds=4.25, submitted_at=at(1), completed_at=at(5),
                 tags=["a", "b"], favourite=True, selected_result=0, batch_id="b1",
                 owner_id="alice", callback_token="secret-s1")
    add_finished(db, 10, id="f1", status=TaskStatus.FAILED, fail_code="500",
                 fail_message="Kie failed", completed_at=at(12))
    add_finished(db, 20, id="c1", status=TaskStatus.CANCELED, completed_at=at(21))


def _unfinished(db) -> None:
    add_task(db, id="q1", status=TaskStatus.QUEUED, created_at=at(30), updated_at=at(30),
             next_poll_at=at(30), events=[(None, "queued", "create")])
    add_task(db, id="p1", status=TaskStatus.PROCESSING, provider_task_id="kie-p1",
             created_at=at(40), updated_at=at(41), lease_owner="engine-x",
             lease_expires_at=at(99), next_poll_at=at(45), callback_token="secret-p1",
             events=[(None, "queued", "create"), ("queued", "processing", "submit")])


@pytest.mark.asyncio
async def test_round_trip_reproduces_tasks_and_events(db_engine, other_db):
    _history(db_engine)
    exported = export_doc(db_engine)
    result = await import_history(exported, db=other_db)
    assert result.ok, result.message
    assert (result.data.imported, result.data.skipped, result.data.canceled_unfinished) == (3, 0, 0)
    # The destination exports exactly what the source did (timestamps, JSON, unicode,
    # event order and all).
    assert export_doc(other_db) == exported
    assert export_text(other_db) == export_text(db_engine)
    assert count(other_db, TaskEvent) == count(db_engine, TaskEvent) == 12
    with Session(other_db) as session:
        task = session.get(GenerationTask, "s1")
        # Secrets stay behind; the engine has nothing to do for an imported task.
        assert task.callback_token is None and task.lease_owner is None
        assert task.next_poll_at is None


@pytest.mark.asyncio
async def test_round_trip_between_database_kinds(db_engine, tmp_path):
    from tests.databases import migrate_to_head

    _history(db_engine)
    sqlite = migrate_to_head(f"sqlite:///{tmp_path / 'third.db'}")
    try:
        assert (await import_history(export_doc(db_engine), db=sqlite)).ok
        assert export_text(sqlite) == export_text(db_engine)
    finally:
        sqlite.dispose()


@pytest.mark.asyncio
async def test_importing_twice_adds_nothing_the_second_time(db_engine, other_db):
    _history(db_engine)
    document = export_doc(db_engine)
    first = await import_history(document, db=other_db)
    second = await import_history(document, db=other_db)
    assert (first.data.imported, first.data.skipped) == (3, 0)
    assert (second.data.imported, second.data.skipped) == (0, 3)
    assert second.message == "Imported 0 tasks, skipped 3 already present"
    assert count(other_db, GenerationTask) == 3
    assert count(other_db, TaskEvent) == 12


@pytest.mark.asyncio
async def test_a_task_matching_by_idempotency_key_or_kie_id_is_skipped(db_engine, other_db):
    _history(db_engine)
    document = export_doc(db_engine)
    renamed = copy.deepcopy(document)
    renamed["tasks"][0]["id"] = "other-id-same-key"       # same idempotency key
    renamed["tasks"][1]["id"] = "other-id-2"
    renamed["tasks"][1]["idempotency_key"] = "fresh-key"    # a new task after all
    assert (await import_history(document, db=other_db)).ok
    result = await import_history(renamed, db=other_db)
    assert (result.data.imported, result.data.skipped) == (1, 2)
    same_kie = copy.deepcopy(document["tasks"][0])
    same_kie.update(id="third", idempotency_key="third-key")  # provider_task_id kie-s1
    result = await import_history(dict(document, tasks=[same_kie]), db=other_db)
    assert (result.data.imported, result.data.skipped) == (0, 1)


@pytest.mark.asyncio
async def test_unfinished_tasks_are_imported_canceled_never_resubmitted(db_engine, other_db):
    _unfinished(db_engine)
    document = export_doc(db_engine)
    result = await import_history(document, db=other_db, now=T0)
    assert (result.data.imported, result.data.canceled_unfinished) == (2, 2)
    with Session(other_db) as session:
        for task_id, was in (("q1", "queued"), ("p1", "processing")):
            task = session.get(GenerationTask, task_id)
            assert task.status is TaskStatus.CANCELED
            assert (task.previous_status, task.fail_code) == (was, "imported_unfinished")
            assert task.fail_message.startswith(f"Imported while {was}")
            assert (task.next_poll_at, task.lease_owner, task.callback_token) == (None, None, None)
            assert task.completed_at == T0
            last = session.exec(sa.select(TaskEvent).where(TaskEvent.task_id == task_id)
                                .order_by(TaskEvent.id.desc())).scalars().first()
            assert (last.from_status, last.to_status, last.source) == (
                was, "canceled", EventSource.ENGINE)
    exported = {t["id"]: t for t in export_doc(other_db)["tasks"]}
    original = {t["id"]: t for t in document["tasks"]}
    # Everything else as exported; the trail gains exactly one event.
    for task_id in ("q1", "p1"):
        assert exported[task_id]["events"][:-1] == original[task_id]["events"]
        assert exported[task_id]["prompt"] == original[task_id]["prompt"]
        assert exported[task_id]["created_at"] == original[task_id]["created_at"]


def _valid_document(db) -> dict:
    _history(db)
    return export_doc(db)


def _broken(document: dict, change) -> dict:
    broken = copy.deepcopy(document)
    change(broken)
    return broken


BAD_DOCUMENTS = [
    ("not an object", lambda d: d.clear() or d.update(x=1), "format"),
    ("another format", lambda d: d.update(format="something.else"), "format"),
    ("a newer version", lambda d: d.update(version=2), "version"),
    ("tasks not a list", lambda d: d.update(tasks={"a": 1}), "tasks"),
    ("unknown status", lambda d: d["tasks"][2].update(status="exploded"), "tasks[2].status"),
    ("naive timestamp", lambda d: d["tasks"][1].update(created_at="2026-03-01T12:00:00"),
     "tasks[1].created_at"),
    ("missing field", lambda d: d["tasks"][2].pop("api_type"), "tasks[2].api_type"),
    ("a secret smuggled in", lambda d: d["tasks"][2].update(callback_token="x"),
     "tasks[2].callback_token"),
    ("bad event source", lambda d: d["tasks"][0]["events"][3].update(source="magic"),
     "tasks[0].events[3].source"),
    ("NUL in a prompt", lambda d: d["tasks"][2].update(prompt="a\x00b"), "tasks[2].prompt"),
    ("surrogate in params", lambda d: d["tasks"][2]["params"].update(p="\ud800"),
     "tasks[2].params.p"),
    ("over-long prompt", lambda d: d["tasks"][2].update(prompt="x" * 10_001), "tasks[2].prompt"),
    ("repeated id", lambda d: d["tasks"][2].update(id=d["tasks"][0]["id"]), "tasks[2].id"),
    ("bad id", lambda d: d["tasks"][2].update(id="../../etc"), "tasks[2].id"),
]


@pytest.mark.asyncio
@pytest.mark.parametrize("what,change,field", BAD_DOCUMENTS, ids=[b[0] for b in BAD_DOCUMENTS])
async def test_an_invalid_document_is_refused_naming_the_fault_and_writes_nothing(
        db_engine, other_db, what, change, field):
    document = _broken(_valid_document(db_engine), change)
    result = await import_history(document, db=other_db)
    assert not result.ok and result.error_kind is ErrorKind.INVALID_PARAMS, what
    assert field in [problem.field for problem in result.field_errors], result.field_errors
    assert field in result.message
    # The valid tasks before the bad one were not written either.
    assert count(other_db, GenerationTask) == 0 and count(other_db, TaskEvent) == 0


def test_text_that_is_not_json_is_refused_with_its_place():
    result = parse_document(b'{"format": "atelier.history", "tasks": [}')
    assert not result.ok and result.field_errors[0].field == "document"
    assert "line 1, column 41" in result.message
    assert parse_document(b"\xff\xfe").field_errors[0].message == "is not UTF-8 text"
    assert "nested too deeply" in parse_document("[" * 100_000 + "]" * 100_000).message


@pytest.mark.asyncio
async def test_a_write_that_fails_midway_leaves_nothing(db_engine, other_db, monkeypatch):
    # As when another import stores the last task between our check and our write:
    # the database refuses the duplicate after the first tasks went in.
    document = _valid_document(db_engine)
    await import_history(dict(document, tasks=document["tasks"][2:]), db=other_db)
    monkeypatch.setattr(importer, "_already_stored",
                        lambda session, tasks: {name: set() for name in importer.MATCHED_BY})
    monkeypatch.setattr(importer, "WRITE_ROWS", 1)
    result = await import_history(document, db=other_db)
    assert not result.ok and result.error_kind is ErrorKind.CONFLICT
    assert "nothing was imported" in result.message
    assert count(other_db, GenerationTask) == 1 and count(other_db, TaskEvent) == 4


@pytest.mark.asyncio
async def test_an_owner_scoped_import_writes_only_into_that_owners_history(db_engine, other_db):
    document = _valid_document(db_engine)
    assert (await import_history(document, owner_id="bob", db=other_db)).ok
    with other_db.connect() as connection:
        owners = set(connection.execute(sa.select(GenerationTask.__table__.c.owner_id)).scalars())
    assert owners == {"bob"}


@pytest.mark.asyncio
async def test_an_export_written_by_hand_with_only_the_required_fields_imports(other_db):
    document = {"format": "atelier.history", "version": 1, "tasks": [{
        "id": "hand1", "idempotency_key": "hand-key", "service": "IMAGEN4",
        "model": "google/imagen4-fast", "api_type": "imagen4", "api_family": "market",
        "media_kind": "image", "status": "succeeded", "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:01:00+01:00"}]}
    result = await import_history(json.loads(json.dumps(document)), db=other_db)
    assert result.ok and result.data.imported == 1
    task = export_doc(other_db)["tasks"][0]
    assert task["updated_at"] == "2025-12-31T23:01:00+00:00"
    assert (task["params"], task["tags"], task["events"]) == ({}, [], [])


@pytest.mark.asyncio
async def test_a_document_that_is_not_an_object_is_refused(other_db):
    for value in ([1, 2], "text", None):
        result = await import_history(value, db=other_db)
        assert [p.field for p in result.field_errors] == ["document"]
