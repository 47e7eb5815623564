"""Exports: exact JSON and CSV content (awkward prompts, formula cells, secrets left
out), filters, and flat memory while streaming a long history."""

from __future__ import annotations

import json
import tracemalloc
from datetime import timedelta

import sqlalchemy as sa

from app.history.document import SECRET_FIELDS, TASK_FIELDS
from app.history.export import csv_cell, open_export, task_chunks
from app.store.filters import TaskFilter
from app.store.models import GenerationTask, TaskEvent
from app.store.status import TaskStatus
from tests.history.support import FINISHED_EVENTS, T0, add_task, at, export_doc, export_text

AWKWARD = 'He said "hi", then\nleft — ünïcødé 🎨'
FORMULA = '=HYPERLINK("http://evil.example","click")'


def _two_tasks(db):
    add_task(
        db, id="t1", idempotency_key="k1", provider_task_id="kie-1", status=TaskStatus.SUCCEEDED,
        previous_status="processing", provider_state="success", prompt=AWKWARD,
        params={"prompt": "x", "seed": 7}, provider_body={"model": "google/imagen4-fast"},
        result_json={"resultUrls": ["https://tempfile.example/a.png"]},
        result_urls=["https://tempfile.example/a.png"], progress=1.0, credits=2.5,
        created_at=at(0), submitted_at=at(1), updated_at=at(10), completed_at=at(10),
        duration_seconds=9.0, tags=["sea", "@night"], favourite=True, selected_result=0,
        # Secrets and engine internals: none of these may leave.
        callback_token="cb-secret", lease_owner="engine-1", lease_expires_at=at(100),
        fail_traceback="Traceback: internal secret", next_poll_at=at(50), poll_attempts=4,
        events=FINISHED_EVENTS)
    add_task(
        db, id="t2", idempotency_key="k2", status=TaskStatus.FAILED, previous_status="pending",
        provider_state="\tstate", prompt=FORMULA, params={"prompt": "p"},
        provider_body={"model": "m", "callBackUrl": "https://x.example/api/kie/callback/cb-2"},
        result_urls=[], fail_code="@E500", fail_message="-5 credits, +retry later", credits=-1.5,
        created_at=at(60), updated_at=at(65), completed_at=at(65), owner_id="alice",
        batch_id="b1", tags=[], callback_token="cb-2")


def _stamp(seconds: float) -> str:
    return at(seconds).isoformat()


def _expected_t1() -> dict:
    return {
        "id": "t1", "idempotency_key": "k1", "provider_task_id": "kie-1",
        "service": "IMAGEN4", "model": "google/imagen4-fast", "api_type": "imagen4",
        "api_family": "market", "media_kind": "image", "status": "succeeded",
        "previous_status": "processing", "provider_state": "success", "prompt": AWKWARD,
        "params": {"prompt": "x", "seed": 7}, "provider_body": {"model": "google/imagen4-fast"},
        "result_json": {"resultUrls": ["https://tempfile.example/a.png"]},
        "result_urls": ["https://tempfile.example/a.png"], "progress": 1.0, "fail_code": None,
        "fail_message": None, "credits": 2.5, "created_at": _stamp(0),
        "submitted_at": _stamp(1), "updated_at": _stamp(10), "completed_at": _stamp(10),
        "duration_seconds": 9.0, "owner_id": None, "batch_id": None, "tags": ["sea", "@night"],
        "favourite": True, "selected_result": 0,
        "events": [
            {"from_status": None, "to_status": "queued", "source": "create",
             "detail": "step 0", "created_at": _stamp(1)},
            {"from_status": "queued", "to_status": "submitting", "source": "submit",
             "detail": "step 1", "created_at": _stamp(2)},
            {"from_status": "submitting", "to_status": "pending", "source": "submit",
             "detail": "step 2", "created_at": _stamp(3)},
            {"from_status": "pending", "to_status": "succeeded", "source": "poll",
             "detail": "step 3", "created_at": _stamp(4)},
        ],
    }


def _expected_t2() -> dict:
    return {
        "id": "t2", "idempotency_key": "k2", "provider_task_id": None,
        "service": "IMAGEN4", "model": "google/imagen4-fast", "api_type": "imagen4",
        "api_family": "market", "media_kind": "image", "status": "failed",
        "previous_status": "pending", "provider_state": "\tstate", "prompt": FORMULA,
        "params": {"prompt": "p"}, "provider_body": {"model": "m"}, "result_json": None,
        "result_urls": [], "progress": None, "fail_code": "@E500",
        "fail_message": "-5 credits, +retry later", "credits": -1.5, "created_at": _stamp(60),
        "submitted_at": None, "updated_at": _stamp(65), "completed_at": _stamp(65),
        "duration_seconds": None, "owner_id": "alice", "batch_id": "b1", "tags": [],
        "favourite": False, "selected_result": None, "events": [],
    }


def test_json_export_is_the_documented_shape_exactly(db_engine):
    _two_tasks(db_engine)
    text = export_text(db_engine, "json")
    assert text.startswith('{"format": "atelier.history", "version": 1, "exported_at": '
                           f'"{T0.isoformat()}", "tasks": [\n')
    assert text.endswith("\n]}\n")
    assert len(text.splitlines()) == 4  # header, one line per task, closing
    assert json.loads(text) == {
        "format": "atelier.history", "version": 1, "exported_at": T0.isoformat(),
        "tasks": [_expected_t1(), _expected_t2()],
    }
    # Unicode is written as itself, not as \u escapes.
    assert "ünïcødé 🎨" in text


def test_no_secret_or_engine_internal_is_exported(db_engine):
    _two_tasks(db_engine)
    for fmt in ("json", "csv"):
        text = export_text(db_engine, fmt)
        for secret in ("cb-secret", "cb-2", "engine-1", "internal secret", "callBackUrl"):
            assert secret not in text, (fmt, secret)
    for name in (*SECRET_FIELDS, "next_poll_at", "poll_attempts", "consecutive_errors",
                 "deadline_at"):
        assert name not in TASK_FIELDS
        assert all(name not in task for task in export_doc(db_engine)["tasks"])


CSV_HEADER = ",".join(TASK_FIELDS) + "\r\n"
CSV_T1 = (
    't1,k1,kie-1,IMAGEN4,google/imagen4-fast,imagen4,market,image,succeeded,processing,'
    'success,"He said ""hi"", then\nleft — ünïcødé 🎨","{""prompt"": ""x"", ""seed"": 7}",'
    '"{""model"": ""google/imagen4-fast""}",'
    '"{""resultUrls"": [""https://tempfile.example/a.png""]}",'
    '"[""https://tempfile.example/a.png""]",1.0,,,2.5,2026-03-01T12:00:00.123456+00:00,'
    '2026-03-01T12:00:01.123456+00:00,2026-03-01T12:00:10.123456+00:00,'
    '2026-03-01T12:00:10.123456+00:00,9.0,,,"[""sea"", ""@night""]",true,0\r\n')
# Formula-looking text cells get a leading apostrophe; the negative number does not.
CSV_T2 = (
    "t2,k2,,IMAGEN4,google/imagen4-fast,imagen4,market,image,failed,pending,'\tstate,"
    '"\'=HYPERLINK(""http://evil.example"",""click"")","{""prompt"": ""p""}",'
    '"{""model"": ""m""}",,[],,\'@E500,"\'-5 credits, +retry later",-1.5,'
    "2026-03-01T12:01:00.123456+00:00,,2026-03-01T12:01:05.123456+00:00,"
    "2026-03-01T12:01:05.123456+00:00,,alice,b1,[],false,\r\n")


def test_csv_export_is_quoted_flat_and_formula_safe_exactly(db_engine):
    _two_tasks(db_engine)
    assert export_text(db_engine, "csv") == CSV_HEADER + CSV_T1 + CSV_T2


def test_csv_cells():
    assert csv_cell(None) == ""
    assert csv_cell(True) == "true"
    assert csv_cell(-3) == "-3"
    for text in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert csv_cell(text) == "'" + text
    assert csv_cell("a=b") == "a=b"
    assert csv_cell({"a": "=x"}) == '{"a": "=x"}'


def test_export_follows_the_filter(db_engine):
    _two_tasks(db_engine)
    failed = export_doc(db_engine, TaskFilter(statuses=(TaskStatus.FAILED,)))
    assert [task["id"] for task in failed["tasks"]] == ["t2"]
    recent = export_doc(db_engine, TaskFilter(created_from=at(30)))
    assert [task["id"] for task in recent["tasks"]] == ["t2"]
    found = export_doc(db_engine, TaskFilter(search="unicode hi"))
    assert found["tasks"] == []
    found = export_doc(db_engine, TaskFilter(search="said"))
    assert [task["id"] for task in found["tasks"]] == ["t1"]
    assert export_text(db_engine, "csv", TaskFilter(statuses=(TaskStatus.QUEUED,))) == CSV_HEADER


def test_export_of_an_empty_history_is_valid(db_engine):
    assert json.loads(export_text(db_engine))["tasks"] == []


def test_open_export_names_the_download(db_engine):
    stream = open_export("csv", db_engine, now=T0)
    assert (stream.filename, stream.media_type) == ("atelier-history-20260301T120000Z.csv",
                                                    "text/csv; charset=utf-8")


def _many_rows(db, start: int, stop: int) -> None:
    table, events = GenerationTask.__table__, TaskEvent.__table__
    prompt = "a lighthouse at dusk, long exposure, " * 4
    for first in range(start, stop, 2000):
        rows = [dict(id=f"bulk{n:028d}", idempotency_key=f"key{n}", service="IMAGEN4",
                     model="google/imagen4-fast", api_type="imagen4", api_family="market",
                     media_kind="image", status=TaskStatus.SUCCEEDED, prompt=prompt,
                     params={"prompt": prompt}, provider_body={"input": {"prompt": prompt}},
                     result_urls=[f"https://tempfile.example/{n}.png"], tags=["bulk"],
                     created_at=T0 + timedelta(seconds=n // 3), updated_at=T0,
                     poll_attempts=0, consecutive_errors=0, favourite=False)
                for n in range(first, min(first + 2000, stop))]
        with db.begin() as connection:
            connection.execute(sa.insert(table), rows)
            connection.execute(sa.insert(events), [
                dict(task_id=row["id"], from_status="pending", to_status="succeeded",
                     source="poll", created_at=T0) for row in rows])


def _drained(fmt: str, db) -> tuple[int, int, int]:
    """(peak bytes traced, characters produced, JSON tasks seen) for one whole export."""
    chunks = open_export(fmt, db).chunks
    tracemalloc.start()
    try:
        produced = tasks = 0
        for chunk in chunks:
            produced += len(chunk)
            tasks += chunk.count('"idempotency_key"')
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, produced, tasks


def test_exports_stream_in_flat_memory(db_engine):
    # Behaviour, not speed, and generous bounds: ten times the history must not cost
    # noticeably more memory, and what is held at any moment is about one chunk of rows
    # while the whole export is tens of MB.
    _many_rows(db_engine, 0, 2_000)
    small_peak, _, small_tasks = _drained("json", db_engine)
    _many_rows(db_engine, 2_000, 20_000)
    peak, produced, tasks = _drained("json", db_engine)
    assert (small_tasks, tasks) == (2_000, 20_000)
    assert produced > 20_000_000
    assert peak < 1.5 * small_peak + 1_000_000, (small_peak, peak)
    assert peak < 12_000_000, peak
    peak, produced, _ = _drained("csv", db_engine)
    assert produced > 10_000_000
    assert peak < 12_000_000 and peak < produced / 2, (peak, produced)


def test_keyset_chunks_neither_repeat_nor_skip_rows_with_equal_timestamps(db_engine):
    # Three tasks per second (see _many_rows), read three, four and seven at a time.
    _many_rows(db_engine, 0, 40)
    expected = [f"bulk{n:028d}" for n in range(40)]
    for size in (3, 4, 7):
        seen = [record["id"] for chunk in task_chunks(db_engine, TaskFilter(),
                                                      with_events=True, chunk_rows=size)
                for record in chunk]
        assert seen == expected, size
