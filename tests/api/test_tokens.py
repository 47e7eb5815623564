"""API tokens: made on the Settings page, shown once, stored hashed, revocable; the
history's routes refuse anyone without a live one."""

from __future__ import annotations

import hashlib

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.actions.result import ErrorKind
from app.actions.tokens import create_api_token, list_api_tokens, revoke_api_token
from app.store.db import get_engine
from app.store.models import ApiToken

pytestmark = pytest.mark.asyncio

OPEN_PATHS = {"/api/health", "/api/openapi.json", "/api/docs", "/api/kie/callback/{token}",
              "/api/docs/oauth2-redirect"}


@pytest.fixture
def client(api_app):
    with TestClient(api_app) as client:
        yield client


async def test_a_new_token_is_shown_once_and_only_its_hash_is_stored(client):
    created = await create_api_token("nightly export")
    assert created.ok, created.message
    token = created.data.token

    with Session(get_engine()) as session:
        row = session.exec(select(ApiToken).where(ApiToken.id == created.data.details.id)).one()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in repr(row.model_dump())
    listed = await list_api_tokens()
    assert [t.name for t in listed.data if t.id == row.id] == ["nightly export"]
    assert all(not hasattr(t, "token") and not hasattr(t, "token_hash") for t in listed.data)
    assert token.startswith(listed.data[0].prefix)

    answer = client.get("/api/tasks", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize("header", [None, "Bearer ", "Bearer atl_not-a-real-token",
                                    "Basic dXNlcjpwYXNz", "atl_raw-token-without-scheme"])
async def test_the_history_is_refused_without_a_live_token(client, header):
    headers = {"Authorization": header} if header is not None else {}
    for method, path in [("GET", "/api/tasks"), ("POST", "/api/tasks"),
                         ("GET", "/api/tasks/0123456789abcdef0123456789abcdef"),
                         ("POST", "/api/uploads"), ("GET", "/api/catalog")]:
        answer = client.request(method, path, headers=headers)
        assert answer.status_code == 401, (method, path, answer.text)
        assert answer.headers["www-authenticate"] == "Bearer"
        body = answer.json()
        assert body["ok"] is False and body["error"]["kind"] == "unauthorized"
        assert "Settings" in body["error"]["message"]


async def test_every_route_but_the_open_few_demands_a_token(api_app, client):
    guarded = []
    for path, operations in api_app.openapi()["paths"].items():
        if path in OPEN_PATHS or path.startswith("/api/results"):
            continue  # results are shown by the browser's own <img>/<video> tags
        concrete = path.replace("{", "").replace("}", "")
        for method in operations:
            guarded.append((method, path, client.request(method.upper(), concrete).status_code))
    assert len(guarded) >= 8
    assert [g for g in guarded if g[2] != 401] == []


async def test_a_revoked_token_stops_working_at_once(client):
    created = await create_api_token("laptop script")
    headers = {"Authorization": f"Bearer {created.data.token}"}
    assert client.get("/api/tasks", headers=headers).status_code == 200

    revoked = await revoke_api_token(created.data.details.id)
    assert revoked.ok
    assert client.get("/api/tasks", headers=headers).status_code == 401
    assert created.data.details.id not in {t.id for t in (await list_api_tokens()).data}
    again = await revoke_api_token(created.data.details.id)
    assert again.error_kind is ErrorKind.NOT_FOUND


@pytest.mark.parametrize("name", ["", "   ", "x" * 101, "a\x00b", None, 7])
async def test_a_token_needs_a_usable_name(name):
    result = await create_api_token(name)
    assert result.error_kind is ErrorKind.INVALID_PARAMS
    assert [p.field for p in result.field_errors] == ["name"]


async def test_someone_elses_token_cannot_be_revoked(client):
    mine = await create_api_token("alice's", owner_id="alice")
    result = await revoke_api_token(mine.data.details.id, owner_id="bob")
    assert result.error_kind is ErrorKind.NOT_FOUND
    assert [t.id for t in (await list_api_tokens(owner_id="alice")).data] == [mine.data.details.id]
