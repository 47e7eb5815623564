"""The batches and picking routes, end to end through `build_api` with a bearer token,
on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from app.store.db import get_engine
from app.store.models import GenerationTask
from app.store.status import TaskStatus
from tests.api.support import api_app_for, bearer_headers

URLS = ["https://tempfile.example/a.png", "https://tempfile.example/b.png"]


@pytest.fixture
def client(database_url, tmp_path):
    with api_app_for(tmp_path, database_url) as app, TestClient(app) as client:
        yield client


def finish(task_ids: list[str], status: TaskStatus = TaskStatus.SUCCEEDED) -> None:
    with get_engine().begin() as connection:
        connection.execute(sa.update(GenerationTask.__table__)
                           .where(GenerationTask.__table__.c.id.in_(task_ids))
                           .values(status=status, result_urls=URLS))


def test_a_batch_round_trip(client):
    auth = bearer_headers()
    body = {"api_type": "imagen4", "params": {"prompt": "a lighthouse", "seed": 40},
            "count": 3, "label": "coast", "tags": ["sea", " Sea "]}

    created = client.post("/api/batches", json=body, headers=auth | {"Idempotency-Key": "b1"})
    replay = client.post("/api/batches", json=body, headers=auth | {"Idempotency-Key": "b1"})

    assert created.status_code == 201, created.text
    batch = created.json()["data"]
    assert replay.status_code == 201 and replay.json()["data"]["id"] == batch["id"]
    assert [t["params"]["seed"] for t in batch["tasks"]] == [40, 41, 42]
    assert batch["tasks"][0]["tags"] == ["sea"]
    ids = [t["id"] for t in batch["tasks"]]

    finish(ids[:1])
    finish(ids[1:2], TaskStatus.FAILED)
    stopped = client.post(f"/api/batches/{batch['id']}/cancel", headers=auth)
    assert stopped.status_code == 200, stopped.text
    assert stopped.json()["data"]["canceled"] == 1
    shown = client.get(f"/api/batches/{batch['id']}", headers=auth).json()["data"]
    assert shown["status"] == "partly_failed"
    assert [t["status"] for t in shown["tasks"]] == ["succeeded", "failed", "canceled"]

    assert client.put(f"/api/tasks/{ids[0]}/favourite", json={"favourite": True},
                      headers=auth).json()["data"]["favourite"] is True
    picked = client.put(f"/api/tasks/{ids[0]}/selection", json={"position": 1}, headers=auth)
    assert picked.status_code == 200 and picked.json()["data"]["selected_result"] == 1
    choice = client.get(f"/api/batches/{batch['id']}", headers=auth).json()["data"]["choice"]
    assert (choice["task_id"], choice["result_url"]) == (ids[0], URLS[1])
    tagged = client.put(f"/api/tasks/{ids[0]}/tags", json={"tags": [" best ", "BEST"]},
                        headers=auth)
    assert tagged.json()["data"]["tags"] == ["best"]

    deleted = client.delete(f"/api/batches/{batch['id']}", headers=auth)
    assert deleted.status_code == 200, deleted.text
    assert client.get(f"/api/batches/{batch['id']}", headers=auth).status_code == 404
    assert all(client.get(f"/api/tasks/{i}", headers=auth).status_code == 404 for i in ids)


def test_refusals_keep_the_answer_shape_and_name_the_field(client):
    auth = bearer_headers()
    too_many = client.post("/api/batches", headers=auth, json={
        "api_type": "imagen4", "params": {"prompt": "x"}, "count": 17})
    task_id = client.post("/api/batches", headers=auth, json={
        "api_type": "imagen4", "params": {"prompt": "x"}, "count": 1}).json()["data"]["tasks"][0]["id"]
    queued_pick = client.put(f"/api/tasks/{task_id}/selection", json={"position": 0}, headers=auth)
    bad_tags = client.put(f"/api/tasks/{task_id}/tags", json={"tags": ["a\u0007"]}, headers=auth)

    assert too_many.status_code == 400
    assert too_many.json()["error"]["fields"][0]["field"] == "count"
    assert queued_pick.status_code == 409 and queued_pick.json()["error"]["kind"] == "conflict"
    assert bad_tags.status_code == 400 and bad_tags.json()["error"]["fields"][0]["field"] == "tags"


def test_someone_elses_batch_and_tasks_are_not_found_and_a_token_is_required(client):
    alice, mallory = bearer_headers(owner_id="alice"), bearer_headers(owner_id="mallory")
    batch = client.post("/api/batches", headers=alice, json={
        "api_type": "nano-banana", "params": {"prompt": "x"}, "count": 2}).json()["data"]
    task_id = batch["tasks"][0]["id"]

    for method, path, body in [
        ("GET", f"/api/batches/{batch['id']}", None),
        ("POST", f"/api/batches/{batch['id']}/cancel", None),
        ("PUT", f"/api/tasks/{task_id}/favourite", {"favourite": True}),
        ("PUT", f"/api/tasks/{task_id}/selection", {"position": None}),
        ("PUT", f"/api/tasks/{task_id}/tags", {"tags": ["mine"]}),
    ]:
        answer = client.request(method, path, json=body, headers=mallory)
        assert answer.status_code == 404, (method, path, answer.text)
        assert client.request(method, path, json=body).status_code == 401
    shown = client.get(f"/api/batches/{batch['id']}", headers=alice).json()["data"]
    assert shown["counts"]["queued"] == 2 and shown["tasks"][0]["tags"] == []
