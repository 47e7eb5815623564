"""GET /api/tasks with the history filters, and /api/stats/*: the actions' answers in
the API's envelope, bad filters as 400s naming the field, a token's owner respected."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.store.db import get_engine
from app.store.status import TaskStatus
from tests.api.support import bearer_headers
from tests.factories import make_task

S = TaskStatus


def _at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 10, day, hour, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def client(api_app):
    rows = [
        dict(id="h-kite", prompt="red kite", api_type="imagen4", status=S.SUCCEEDED,
             duration_seconds=10, credits=1.0, tags=["birds"], favourite=True,
             owner_id="alice", created_at=_at(1)),
        dict(id="h-gull", prompt="gull on a pier", api_type="imagen4", status=S.SUCCEEDED,
             duration_seconds=30, credits=1.0, tags=["birds"], owner_id="bob",
             batch_id="b1", created_at=_at(2)),
        dict(id="h-wave", prompt="waves", api_type="veo3", status=S.FAILED, fail_code="500",
             fail_message="Internal error", credits=0.5, owner_id="alice", created_at=_at(2)),
        dict(id="h-dune", prompt="dunes", api_type="veo3", status=S.FAILED, fail_code="422",
             fail_message="prompt refused", owner_id="bob", created_at=_at(4)),
    ]
    with Session(get_engine()) as session:
        session.add_all(make_task(**row) for row in rows)
        session.commit()
    with TestClient(api_app) as client:
        client.headers.update(bearer_headers())
        yield client


def _data(answer, status: int = 200):
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body["ok"] is True and body["error"] is None
    return body["data"]


def _refused(answer) -> list[str]:
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert body["ok"] is False and body["error"]["kind"] == "invalid_params"
    return [problem["field"] for problem in body["error"]["fields"]]


def _ids(client, **params) -> list[str]:
    return [task["id"] for task in _data(client.get("/api/tasks", params=params))["tasks"]]


def test_the_task_list_takes_every_filter(client):
    assert _ids(client) == ["h-dune", "h-wave", "h-gull", "h-kite"]
    assert _ids(client, sort="oldest") == ["h-kite", "h-gull", "h-wave", "h-dune"]
    assert _ids(client, tag="birds", favourite="true") == ["h-kite"]
    assert _ids(client, favourite="false") == ["h-dune", "h-wave", "h-gull"]
    assert _ids(client, batch_id="b1") == ["h-gull"]
    assert _ids(client, created_from="2026-10-02", created_to="2026-10-02") == [
        "h-wave", "h-gull"]
    assert _ids(client, created_to="2026-10-02T12:00:00Z") == ["h-kite"]
    assert _ids(client, q="KIT") == ["h-kite"]
    assert _ids(client, status=["failed", "succeeded"], api_type="veo3") == [
        "h-dune", "h-wave"]


def test_the_task_list_pages_with_the_cursor_in_both_orders(client):
    for sort, expected in (("newest", ["h-dune", "h-wave", "h-gull", "h-kite"]),
                           ("oldest", ["h-kite", "h-gull", "h-wave", "h-dune"])):
        seen, after = [], None
        while True:
            page = _data(client.get("/api/tasks", params={
                "sort": sort, "limit": 1, **({"after": after} if after else {})}))
            seen += [task["id"] for task in page["tasks"]]
            after = page["next_cursor"]
            if after is None:
                break
        assert seen == expected
    first = _data(client.get("/api/tasks", params={"sort": "oldest", "limit": 1}))
    assert _refused(client.get("/api/tasks", params={"after": first["next_cursor"]})) == [
        "after"]


@pytest.mark.parametrize("params, fields", [
    ({"created_from": "someday"}, ["created_from"]),
    ({"created_from": "2026-10-03", "created_to": "2026-10-01"}, ["created_to"]),
    ({"sort": "sideways"}, ["sort"]),
    ({"tag": "x" * 41, "batch_id": "no/slash"}, ["tag", "batch_id"]),
    ({"q": "x" * 201}, ["search"]),
])
def test_bad_task_list_filters_are_400s_naming_the_field(client, params, fields):
    assert _refused(client.get("/api/tasks", params=params)) == fields


def test_model_stats_over_the_api(client):
    models = _data(client.get("/api/stats/models"))
    assert models == [
        {"api_type": "imagen4", "tasks": 2, "succeeded": 2, "failed": 0, "canceled": 0,
         "success_rate": 1.0, "duration_avg": 20.0, "duration_p50": 10.0,
         "duration_p95": 30.0, "credits": 2.0},
        {"api_type": "veo3", "tasks": 2, "succeeded": 0, "failed": 2, "canceled": 0,
         "success_rate": 0.0, "duration_avg": None, "duration_p50": None,
         "duration_p95": None, "credits": 0.5},
    ]
    window = _data(client.get("/api/stats/models", params={
        "created_from": "2026-10-02", "created_to": "2026-10-03T00:00:00+00:00",
        "api_type": "imagen4"}))
    assert [(m["api_type"], m["tasks"], m["duration_p95"]) for m in window] == [
        ("imagen4", 1, 30.0)]
    assert _refused(client.get("/api/stats/models", params={"created_to": "nope"})) == [
        "created_to"]


def test_daily_report_over_the_api(client):
    days = _data(client.get("/api/stats/daily", params={"days": 4, "last_day": "2026-10-04"}))
    assert [(d["day"], d["tasks"], d["succeeded"], d["failed"], d["credits"],
             d["duration_avg"]) for d in days] == [
        ("2026-10-01", 1, 1, 0, 1.0, 10.0), ("2026-10-02", 2, 1, 1, 1.5, 30.0),
        ("2026-10-03", 0, 0, 0, 0.0, None), ("2026-10-04", 1, 0, 1, 0.0, None)]
    assert _refused(client.get("/api/stats/daily", params={"days": 0})) == ["days"]
    assert _refused(client.get("/api/stats/daily", params={"last_day": "tomorrow"})) == [
        "last_day"]


def test_failure_reasons_over_the_api(client):
    reasons = _data(client.get("/api/stats/failures", params={"limit": 1}))
    # Both reasons occur once: the tie goes to the smaller code.
    assert reasons == [{"fail_code": "422", "fail_message": "prompt refused", "tasks": 1}]
    assert _refused(client.get("/api/stats/failures", params={"limit": 500})) == ["limit"]


def test_a_token_with_an_owner_sees_that_owners_tasks_and_figures_only(client):
    alice = bearer_headers(owner_id="alice")

    tasks = _data(client.get("/api/tasks", headers=alice))["tasks"]
    assert [task["id"] for task in tasks] == ["h-wave", "h-kite"]
    models = _data(client.get("/api/stats/models", headers=alice))
    assert [(m["api_type"], m["tasks"]) for m in models] == [("imagen4", 1), ("veo3", 1)]
    reasons = _data(client.get("/api/stats/failures", headers=alice))
    assert [r["fail_code"] for r in reasons] == ["500"]
    days = _data(client.get("/api/stats/daily", headers=alice,
                            params={"days": 2, "last_day": "2026-10-02"}))
    assert [d["tasks"] for d in days] == [1, 1]


@pytest.mark.parametrize("path", ["/api/stats/models", "/api/stats/daily",
                                  "/api/stats/failures"])
def test_the_figures_need_a_token(client, path):
    answer = client.get(path, headers={"Authorization": "Bearer atl_not-a-token"})

    assert answer.status_code == 401
    assert answer.json()["error"]["kind"] == "unauthorized"
