"""Two people, every API route, every download: each sees only their own work, the
admin sees everyone's, and a refusal (404, or 403 for an export link) says nothing
about the other person's data."""

from __future__ import annotations

import asyncio
import csv
import io

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.accounts.sessions import COOKIE_NAME, start_session
from app.accounts.users import create_user
from app.api.export_link import export_link
from app.results.storage import RESULTS_DIR
from app.settings import get_settings
from app.store.db import get_engine
from app.store.models import ResultFile, ResultState
from app.store.status import TaskStatus
from tests.api.support import api_app_for, bearer_headers
from tests.factories import make_task

SECRET_PROMPT = "alices private harbour at night"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
# Bodies for routes that take one, so a refusal comes from the owner check and not
# from validation.
BODIES = {
    "/api/tasks/{task_id}/favourite": {"favourite": True},
    "/api/tasks/{task_id}/selection": {"position": 0},
    "/api/tasks/{task_id}/tags": {"tags": ["stolen"]},
}


class Person:
    def __init__(self, name: str, *, admin: bool = False):
        created = asyncio.run(create_user(name, "a long enough password", is_admin=admin))
        assert created.ok, created.message
        self.id = created.data.id
        self.bearer = bearer_headers(owner_id=self.id)
        self.cookie = {"cookie": f"{COOKIE_NAME}={start_session(self.id)}"}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with api_app_for(tmp_path_factory.mktemp("isolation")) as app, TestClient(app) as client:
        alice, bob, root = Person("alice"), Person("bob"), Person("root", admin=True)
        made = client.post("/api/tasks", headers=alice.bearer, json={
            "api_type": "imagen4", "params": {"prompt": SECRET_PROMPT}, "tags": ["private"]})
        assert made.status_code == 201, made.text
        batch = client.post("/api/batches", headers=alice.bearer, json={
            "api_type": "imagen4", "params": {"prompt": SECRET_PROMPT}, "count": 2}).json()
        finished = make_task(prompt=SECRET_PROMPT, params={"prompt": SECRET_PROMPT},
                             status=TaskStatus.SUCCEEDED, owner_id=alice.id,
                             result_urls=["https://files.example/a.png"])
        storage = get_settings().storage_dir
        (storage / RESULTS_DIR).mkdir(parents=True, exist_ok=True)
        (storage / RESULTS_DIR / "alice.png").write_bytes(PNG)
        with Session(get_engine()) as session:
            session.add(finished)
            session.flush()
            session.add(ResultFile(task_id=finished.id, position=0, source_url=finished.result_urls[0],
                                   state=ResultState.MIRRORED, storage_path=f"{RESULTS_DIR}/alice.png",
                                   size_bytes=len(PNG), mime_type="image/png"))
            session.commit()
            finished_id = finished.id
        bobs = client.post("/api/tasks", headers=bob.bearer, json={
            "api_type": "imagen4", "params": {"prompt": "bobs own lighthouse"}})
        assert bobs.status_code == 201
        yield dict(client=client, alice=alice, bob=bob, root=root, task=made.json()["data"]["id"],
                   batch=batch["data"]["id"], finished=finished_id, app=app)


def _routes_with_ids(app) -> list[tuple[str, str]]:
    paths = app.openapi()["paths"]
    return sorted((method.upper(), path) for path, operations in paths.items()
                  for method in operations if "{task_id}" in path or "{batch_id}" in path)


def _fill(path: str, world) -> str:
    return path.format(task_id=world["finished"], batch_id=world["batch"], position=0)


def test_every_route_naming_alices_work_refuses_bob_without_detail(world):
    client, bob, alice = world["client"], world["bob"], world["alice"]
    routes = _routes_with_ids(world["app"])
    assert len(routes) >= 12  # every task and batch route the API documents
    for method, path in routes:
        url = _fill(path, world)
        answer = client.request(method, url, headers=bob.bearer, json=BODIES.get(path))
        assert answer.status_code == 404, (method, path, answer.status_code, answer.text)
        assert SECRET_PROMPT not in answer.text and alice.id not in answer.text
        # The same with Bob's session cookie and no token: still nothing.
        anonymous = client.request(method, url, headers=bob.cookie, json=BODIES.get(path))
        assert anonymous.status_code in (401, 404), (method, path)
    # Nothing Bob tried changed Alice's task; she reads it whole.
    mine = client.get(f"/api/tasks/{world['finished']}?refresh=false", headers=alice.bearer).json()
    assert mine["ok"] and mine["data"]["prompt"] == SECRET_PROMPT
    assert mine["data"]["tags"] == [] and mine["data"]["favourite"] is False
    assert client.get(f"/api/batches/{world['batch']}", headers=alice.bearer).json()["ok"]


def test_lists_statistics_and_exports_hold_only_the_callers_work(world):
    client, alice, bob, root = world["client"], world["alice"], world["bob"], world["root"]

    def prompts(person) -> list[str]:
        page = client.get("/api/tasks?limit=100", headers=person.bearer).json()["data"]
        return sorted({task["prompt"] for task in page["tasks"]})

    assert prompts(bob) == ["bobs own lighthouse"]
    assert prompts(alice) == [SECRET_PROMPT]
    assert prompts(root) == sorted({"bobs own lighthouse", SECRET_PROMPT})

    assert client.get("/api/tasks?q=harbour", headers=bob.bearer).json()["data"]["tasks"] == []
    stats = client.get("/api/stats/models", headers=bob.bearer).json()["data"]
    assert sum(row["tasks"] for row in stats) == 1
    exported = client.get("/api/export?format=csv", headers=bob.bearer).text
    assert SECRET_PROMPT not in exported and "bobs own lighthouse" in exported
    cleanup = client.post("/api/cleanup?dry_run=true", headers=bob.bearer)
    assert cleanup.status_code == 403
    assert client.post("/api/cleanup?dry_run=true&older_than_days=30", headers=root.bearer).status_code == 200


def test_a_result_file_is_served_to_its_owner_and_the_admin_only(world):
    client, alice, bob, root = world["client"], world["alice"], world["bob"], world["root"]
    url = f"/api/results/{world['finished']}/0"
    assert client.get(url, headers=alice.cookie).content == PNG
    assert client.get(url, headers=root.cookie).content == PNG
    assert client.get(url, headers=alice.bearer).content == PNG
    for refused in (client.get(url, headers=bob.cookie), client.get(url, headers=bob.bearer),
                    client.get(url), client.get(url, headers={"cookie": f"{COOKIE_NAME}=forged"})):
        assert refused.status_code == 404 and PNG not in refused.content


def test_an_export_link_works_only_for_the_person_it_was_made_for(world):
    client, alice, bob = world["client"], world["alice"], world["bob"]
    link = export_link("csv", {"owner": alice.id, "for": alice.id})
    rows = list(csv.DictReader(io.StringIO(client.get(link, headers=alice.cookie).text)))
    assert {row["prompt"] for row in rows} == {SECRET_PROMPT}
    for refused in (client.get(link, headers=bob.cookie), client.get(link)):
        assert refused.status_code == 403 and SECRET_PROMPT not in refused.text
    # Bob cannot re-aim a link of his own at Alice's tasks: the signature covers both.
    own = export_link("csv", {"owner": bob.id, "for": bob.id})
    forged = own.replace(f"owner={bob.id}", f"owner={alice.id}")
    assert client.get(forged, headers=bob.cookie).status_code == 403


def test_an_idempotency_key_is_the_callers_own(world):
    client, alice, bob = world["client"], world["alice"], world["bob"]
    body = {"api_type": "imagen4", "params": {"prompt": SECRET_PROMPT}, "idempotency_key": "k-1"}
    first = client.post("/api/tasks", headers=alice.bearer, json=body).json()["data"]
    # The same key from Bob is a new task of his, never Alice's (nor a conflict hinting at it).
    theirs = client.post("/api/tasks", headers=bob.bearer, json=body)
    assert theirs.status_code == 201 and theirs.json()["data"]["id"] != first["id"]
    again = client.post("/api/tasks", headers=alice.bearer, json=body).json()["data"]
    assert again["id"] == first["id"]


def test_exports_carry_no_secrets(world):
    client, root = world["client"], world["root"]
    with Session(get_engine()) as session:
        secrets = [row[0] for row in session.execute(sa.text(
            "SELECT callback_token FROM generation_task WHERE callback_token IS NOT NULL"))]
        secrets += [row[0] for row in session.execute(sa.text(
            "SELECT password_hash FROM user_account"))]
        secrets += [row[0] for row in session.execute(sa.text("SELECT token_hash FROM api_token"))]
    assert len(secrets) >= 6
    for fmt in ("json", "csv"):
        exported = client.get(f"/api/export?format={fmt}", headers=root.bearer)
        assert exported.status_code == 200 and SECRET_PROMPT in exported.text
        assert not [secret for secret in secrets if secret in exported.text]
