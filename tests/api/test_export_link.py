"""Export links for the browser: signed by the server, naming exactly one filter, and
lapsing after an hour. Anything else is refused without a byte of the history."""

from __future__ import annotations

import csv
import io
import time
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.api.export_link import LINK_LIFETIME_SECONDS, export_link
from app.store.db import get_engine
from app.store.status import TaskStatus
from tests.api.support import api_app_for
from tests.factories import make_task


@pytest.fixture(scope="module")
def single_user_app(tmp_path_factory):
    """Single-user mode: whoever holds a link may use it (with accounts, only the person
    it was made for: tests/accounts)."""
    with api_app_for(tmp_path_factory.mktemp("export"), SINGLE_USER="true") as app:
        yield app


@pytest.fixture(scope="module")
def client(single_user_app):
    with Session(get_engine()) as session:
        session.add_all([
            make_task(prompt="a kite over dunes", params={"prompt": "a kite over dunes"},
                      status=TaskStatus.SUCCEEDED),
            make_task(prompt="a lost kite", params={"prompt": "a lost kite"},
                      status=TaskStatus.FAILED),
            make_task(prompt="a heron", params={"prompt": "a heron"},
                      status=TaskStatus.SUCCEEDED),
        ])
        session.commit()
    with TestClient(single_user_app) as client:
        yield client


def _prompts(answer) -> list[str]:
    assert answer.status_code == 200, answer.text
    return sorted(row["prompt"] for row in csv.DictReader(io.StringIO(answer.text)))


def test_a_signed_link_downloads_exactly_its_filter(client):
    link = export_link("csv", {"search": "kite", "statuses": "succeeded,failed"})
    assert _prompts(client.get(link)) == ["a kite over dunes", "a lost kite"]
    answer = client.get(export_link("csv", {"search": "kite", "statuses": "failed"}))
    assert _prompts(answer) == ["a lost kite"]
    assert "attachment" in answer.headers["content-disposition"]
    whole = client.get(export_link("json", {}))
    assert whole.status_code == 200 and len(whole.json()["tasks"]) == 3


def _tampered(link: str, **changes: str) -> str:
    parts = urlsplit(link)
    pairs = dict(parse_qsl(parts.query))
    pairs.update(changes)
    return f"{parts.path}?{urlencode(pairs)}"


@pytest.mark.parametrize("change", [
    {"search": "heron"},                      # another filter under the same signature
    {"statuses": "succeeded,failed,canceled"},
    {"owner": "someone-else"},
    {"expires": str(int(time.time()) + 10 * LINK_LIFETIME_SECONDS)},
    {"sig": "0" * 64},
    {"sig": ""},
])
def test_a_changed_link_is_refused(client, change):
    link = export_link("csv", {"search": "kite", "statuses": "failed"})
    answer = client.get(_tampered(link, **change))
    assert answer.status_code == 403
    assert answer.json()["error"]["kind"] == "forbidden"
    assert "kite" not in answer.text


def test_a_link_with_an_extra_or_repeated_parameter_is_refused(client):
    link = export_link("csv", {"search": "kite"})
    assert client.get(link + "&tag=x").status_code == 403
    assert client.get(link + "&search=heron").status_code == 403


def test_an_old_link_has_lapsed(client):
    link = export_link("csv", {}, now=time.time() - LINK_LIFETIME_SECONDS - 5)
    answer = client.get(link)
    assert answer.status_code == 403
    assert "lapsed" in answer.json()["error"]["message"]


def test_no_link_no_export(client):
    assert client.get("/api/export/link").status_code == 403
    assert client.get("/api/export/link?format=csv").status_code == 403
