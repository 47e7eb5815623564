"""The full-text index follows every write to a task, on both databases."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from app.store.models import GenerationTask, utcnow
from app.store.search import matches_search, search_terms
from app.store.status import TaskStatus
from app.store.transitions import transition
from app.store.models import EventSource
from tests.factories import make_task


def _found(db, text: str) -> set[str]:
    clause = matches_search(text, db.dialect.name)
    with Session(db) as session:
        return set(session.exec(select(GenerationTask.id).where(clause)))


def test_search_finds_words_of_prompts_and_parameters_as_prefixes(db_engine):
    with Session(db_engine) as session:
        kite = make_task(prompt="A red kite over the harbour", params={"style": "watercolour"})
        glacier = make_task(prompt="A slow glacier", params={"style": "photograph"})
        session.add_all([kite, glacier])
        session.commit()
        kite_id, glacier_id = kite.id, glacier.id

    assert _found(db_engine, "harb") == {kite_id}
    assert _found(db_engine, "KITE red") == {kite_id}
    assert _found(db_engine, "watercolour") == {kite_id}
    assert _found(db_engine, "a") == {kite_id, glacier_id}
    assert _found(db_engine, "kite glacier") == set()
    # Operators and quotes are words to look for, never syntax.
    assert _found(db_engine, 'kite" OR "glacier') == set()
    assert _found(db_engine, "(kite) * ^ : &") == {kite_id}
    assert matches_search("  ?! ", db_engine.dialect.name) is None


def test_the_index_follows_edits_and_deletes(db_engine):
    with Session(db_engine) as session:
        task = make_task(prompt="an old lighthouse", params={"aspect_ratio": "16:9"})
        session.add(task)
        session.commit()
        task_id = task.id
        session.execute(sa.update(GenerationTask).where(GenerationTask.id == task_id)
                        .values(prompt="a new windmill"))
        session.commit()
    assert _found(db_engine, "lighthouse") == set()
    assert _found(db_engine, "windmill") == {task_id}
    with Session(db_engine) as session:
        session.execute(sa.delete(GenerationTask).where(GenerationTask.id == task_id))
        session.commit()
    assert _found(db_engine, "windmill") == set()


def test_search_terms_drop_punctuation_and_keep_unicode_words():
    assert search_terms("Café-au-lait, ‘Ω’ 42!") == ["café", "au", "lait", "ω", "42"]


def test_a_finished_task_records_how_long_kie_took(db_engine):
    with Session(db_engine) as session:
        task = make_task(status=TaskStatus.PROCESSING,
                         submitted_at=utcnow() - timedelta(seconds=90))
        session.add(task)
        session.commit()
        assert transition(session, task.id, TaskStatus.SUCCEEDED, source=EventSource.POLL)
        stored = session.get(GenerationTask, task.id)
        session.refresh(stored)
        assert 89 < stored.duration_seconds < 100
