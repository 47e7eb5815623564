"""The history routes: streamed export downloads, import, cleanup; all behind a token."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.api import history_api
from app.history.document import TASK_FIELDS
from app.store import db as store_db
from app.store.models import GenerationTask, TaskEvent
from app.store.status import TaskStatus
from tests.api.support import api_app_for, bearer_headers
from tests.history.support import add_finished, add_task, count, export_doc

PROMPT = 'comma, "quote"\nnew line — ü'


@pytest.fixture
def client(tmp_path, database_url) -> Iterator[TestClient]:
    with api_app_for(tmp_path, database_url) as app:
        with TestClient(app) as test_client:
            test_client.headers.update(bearer_headers())
            yield test_client


def _db():
    return store_db.get_engine()


def test_every_history_route_wants_a_token(client):
    bare = TestClient(client.app)
    for method, path in (("GET", "/api/export"), ("POST", "/api/import"),
                         ("POST", "/api/cleanup?dry_run=true")):
        response = bare.request(method, path)
        assert response.status_code == 401, path
        assert response.json()["error"]["kind"] == "unauthorized"


def test_export_downloads_json_and_csv_with_the_filter(client):
    add_finished(_db(), 0, id="ok1", prompt=PROMPT)
    add_finished(_db(), 1, id="bad1", status=TaskStatus.FAILED, prompt="=1+1")
    response = client.get("/api/export", params={"format": "json"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="atelier-history-')
    assert disposition.endswith('.json"')
    document = response.json()
    assert [t["id"] for t in document["tasks"]] == ["ok1", "bad1"]
    assert document["tasks"][0]["prompt"] == PROMPT and len(document["tasks"][0]["events"]) == 4

    response = client.get("/api/export", params={"format": "csv", "status": "failed"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].endswith('.csv"')
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == list(TASK_FIELDS)
    assert [(row[0], row[TASK_FIELDS.index("prompt")]) for row in rows[1:]] == [("bad1", "'=1+1")]

    response = client.get("/api/export", params={"format": "csv", "status": "succeeded"})
    assert list(csv.reader(io.StringIO(response.text)))[1][TASK_FIELDS.index("prompt")] == PROMPT


def test_export_refuses_a_bad_filter_naming_it(client):
    response = client.get("/api/export", params={"status": "exploded"})
    assert response.status_code == 400
    assert response.json()["error"]["fields"][0]["field"] == "statuses"
    response = client.get("/api/export", params={"created_from": "yesterday"})
    assert response.json()["error"]["fields"][0]["field"] == "created_from"
    assert client.get("/api/export", params={"format": "xml"}).status_code == 422


def test_an_owner_token_exports_only_that_owners_tasks(client):
    add_finished(_db(), 0, id="mine", owner_id="alice")
    add_finished(_db(), 1, id="theirs", owner_id="bob")
    response = client.get("/api/export", headers=bearer_headers(owner_id="alice"))
    assert [t["id"] for t in response.json()["tasks"]] == ["mine"]


def test_import_round_trip_twice_and_refusals(client):
    add_finished(_db(), 0, id="ok1", prompt=PROMPT)
    add_task(_db(), id="run1", status=TaskStatus.PROCESSING)
    exported = client.get("/api/export").content
    with _db().begin() as connection:
        connection.execute(TaskEvent.__table__.delete())
        connection.execute(GenerationTask.__table__.delete())

    first = client.post("/api/import", content=exported)
    assert first.status_code == 200, first.text
    assert first.json()["data"] == {"imported": 2, "skipped": 0, "canceled_unfinished": 1}
    second = client.post("/api/import", content=exported)
    assert second.json()["data"] == {"imported": 0, "skipped": 2, "canceled_unfinished": 0}
    assert export_doc(_db())["tasks"][0]["prompt"] == PROMPT

    broken = json.loads(exported)
    broken["tasks"][1]["status"] = "exploded"
    response = client.post("/api/import", json=broken)
    assert response.status_code == 400
    assert response.json()["error"]["fields"][0]["field"] == "tasks[1].status"
    response = client.post("/api/import", content=b"not json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"][0]["field"] == "document"
    assert count(_db(), GenerationTask) == 2


def test_import_refuses_a_body_over_the_limit(client, monkeypatch):
    monkeypatch.setattr(history_api, "IMPORT_MAX_BYTES", 100)
    response = client.post("/api/import", content=b" " * 101)
    assert response.status_code == 413
    assert response.json()["error"]["kind"] == "too_large"

    def chunks():  # no Content-Length: the limit holds while reading
        for _ in range(10):
            yield b" " * 20

    assert client.post("/api/import", content=chunks()).status_code == 413


def test_cleanup_dry_run_then_real_run(client):
    add_finished(_db(), 0, id="ancient")
    add_task(_db(), id="running", status=TaskStatus.PROCESSING)
    preview = client.post("/api/cleanup", params={"dry_run": "true", "older_than_days": 30})
    assert preview.status_code == 200, preview.text
    data = preview.json()["data"]
    assert (data["dry_run"], data["tasks"], data["events"], data["files"]) == (True, 1, 4, 0)
    assert count(_db(), GenerationTask) == 2
    done = client.post("/api/cleanup", params={"older_than_days": 30}).json()["data"]
    assert (done["dry_run"], done["tasks"], done["events"]) == (False, 1, 4)
    assert count(_db(), GenerationTask) == 1


def test_cleanup_without_retention_or_by_an_owner_token_is_refused(client):
    response = client.post("/api/cleanup", params={"dry_run": "true"})
    assert response.status_code == 400
    assert response.json()["error"]["fields"][0]["field"] == "older_than_days"
    response = client.post("/api/cleanup", params={"older_than_days": 1},
                           headers=bearer_headers(owner_id="alice"))
    assert response.status_code == 403
