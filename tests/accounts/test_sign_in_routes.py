"""The sign-in, sign-out and setup form posts: HttpOnly cookies, redirects that name
the problem, origin checks, and setup only for the first admin from this machine."""

from __future__ import annotations

import asyncio

import pytest
from fastapi.testclient import TestClient

from app.accounts.sessions import COOKIE_NAME, start_session, viewer_for_token
from app.accounts.users import create_user
from app.api.routes import build_api
from app.api.security_headers import with_security_headers
from tests.api.support import api_app_for

PASSWORD = "a long enough password"
LOCAL = ("127.0.0.1", 50000)


@pytest.fixture
def client(tmp_path):
    with api_app_for(tmp_path) as app, TestClient(app, client=LOCAL,
                                                 follow_redirects=False) as client:
        yield client


def _session_cookie(answer) -> str:
    header = answer.headers["set-cookie"]
    assert "HttpOnly" in header and "SameSite=lax" in header and "Path=/" in header
    return header.split(";")[0].split("=", 1)[1]


def test_setup_makes_the_first_admin_signs_them_in_and_then_closes(client):
    mismatch = client.post("/auth/setup", data={"username": "root", "password": PASSWORD,
                                                "password_again": PASSWORD + "!"})
    assert mismatch.status_code == 303 and mismatch.headers["location"] == "/setup?error=mismatch"
    short = client.post("/auth/setup", data={"username": "root", "password": "short",
                                             "password_again": "short"})
    assert short.headers["location"] == "/setup?error=password"

    made = client.post("/auth/setup", data={"username": "root", "password": PASSWORD,
                                            "password_again": PASSWORD})
    assert made.status_code == 303 and made.headers["location"] == "/"
    viewer = viewer_for_token(_session_cookie(made))
    assert viewer is not None and viewer.is_admin and viewer.username == "root"

    again = client.post("/auth/setup", data={"username": "eve", "password": PASSWORD,
                                             "password_again": PASSWORD})
    assert again.headers["location"] == "/login" and "set-cookie" not in again.headers


def test_setup_from_another_machine_is_refused(tmp_path):
    with api_app_for(tmp_path) as app, TestClient(app, client=("203.0.113.7", 1),
                                                 follow_redirects=False) as remote:
        answer = remote.post("/auth/setup", data={"username": "root", "password": PASSWORD,
                                                  "password_again": PASSWORD})
    assert answer.headers["location"] == "/setup?error=not-local"
    assert "set-cookie" not in answer.headers


def test_sign_in_sets_an_httponly_cookie_and_sign_out_ends_it(client):
    assert asyncio.run(create_user("ana", PASSWORD)).ok
    wrong = client.post("/auth/login", data={"username": "ana", "password": "nope"})
    assert wrong.headers["location"] == "/login?error=wrong" and "set-cookie" not in wrong.headers
    signed_in = client.post("/auth/login", data={"username": "ana", "password": PASSWORD})
    assert signed_in.headers["location"] == "/"
    token = _session_cookie(signed_in)
    assert viewer_for_token(token).username == "ana"

    out = client.post("/auth/logout", headers={"cookie": f"{COOKIE_NAME}={token}"})
    assert out.headers["location"] == "/login?note=signed-out"
    assert f'{COOKIE_NAME}=""' in out.headers["set-cookie"]  # cleared in the browser
    assert viewer_for_token(token) is None  # and over on the server


def test_repeated_failures_answer_throttled_even_for_the_right_password(client):
    assert asyncio.run(create_user("ana", PASSWORD)).ok
    for n in range(5):
        client.post("/auth/login", data={"username": "ana", "password": f"guess {n}"})
    locked = client.post("/auth/login", data={"username": "ana", "password": PASSWORD})
    assert locked.headers["location"] == "/login?error=throttled"
    assert "set-cookie" not in locked.headers


def test_a_form_posted_from_another_site_is_refused(client):
    assert asyncio.run(create_user("ana", PASSWORD)).ok
    forged = client.post("/auth/login", data={"username": "ana", "password": PASSWORD},
                         headers={"origin": "https://evil.example"})
    assert forged.headers["location"] == "/login?error=origin"
    assert "set-cookie" not in forged.headers
    allowed = client.post("/auth/login", data={"username": "ana", "password": PASSWORD},
                          headers={"origin": "http://localhost:3000"})  # ALLOWED_ORIGINS default
    assert "set-cookie" in allowed.headers


def test_every_answer_carries_the_security_headers(tmp_path):
    with api_app_for(tmp_path):
        app = with_security_headers(build_api())
        with TestClient(app) as client:
            for path in ("/api/health", "/api/tasks", "/api/results/x/0"):
                headers = client.get(path).headers
                assert headers["x-frame-options"] == "DENY", path
                assert headers["x-content-type-options"] == "nosniff"
                assert "frame-ancestors 'none'" in headers["content-security-policy"]
                assert headers["referrer-policy"] == "same-origin"


def test_changing_the_password_needs_the_current_one_and_ends_other_sign_ins(client):
    assert asyncio.run(create_user("ana", PASSWORD)).ok
    here = _session_cookie(client.post("/auth/login", data={"username": "ana", "password": PASSWORD}))
    elsewhere = _session_cookie(client.post("/auth/login", data={"username": "ana",
                                                                 "password": PASSWORD}))
    client.cookies.clear()  # each request below names its session itself
    cookie = {"cookie": f"{COOKIE_NAME}={here}"}
    new = "another long password"
    wrong = client.post("/auth/password", headers=cookie, data={
        "current_password": "not it", "new_password": new, "new_password_again": new})
    assert wrong.headers["location"] == "/settings?password=current_password"
    changed = client.post("/auth/password", headers=cookie, data={
        "current_password": PASSWORD, "new_password": new, "new_password_again": new})
    assert changed.headers["location"] == "/settings?password=changed"
    assert viewer_for_token(here) is not None and viewer_for_token(elsewhere) is None
    assert "set-cookie" in client.post("/auth/login", data={"username": "ana", "password": new}).headers
    old = client.post("/auth/login", data={"username": "ana", "password": PASSWORD})
    assert old.headers["location"] == "/login?error=wrong"
    client.cookies.clear()
    anonymous = client.post("/auth/password", data={
        "current_password": new, "new_password": PASSWORD, "new_password_again": PASSWORD})
    assert anonymous.headers["location"] == "/login"


def test_only_the_admin_adds_people_and_sets_a_new_password(client):
    root = asyncio.run(create_user("root", PASSWORD, first_admin=True)).data
    ana = asyncio.run(create_user("ana", PASSWORD)).data
    as_root = {"cookie": f"{COOKIE_NAME}={start_session(root.id)}"}
    ana_token = start_session(ana.id)
    as_ana = {"cookie": f"{COOKIE_NAME}={ana_token}"}

    refused = client.post("/auth/people", headers=as_ana,
                          data={"username": "mallet", "password": PASSWORD})
    assert refused.headers["location"] == "/login"
    added = client.post("/auth/people", headers=as_root,
                        data={"username": "ben", "password": PASSWORD})
    assert added.headers["location"] == "/settings?people=added"
    taken = client.post("/auth/people", headers=as_root,
                        data={"username": "ben", "password": PASSWORD})
    assert taken.headers["location"] == "/settings?people=username"

    new = "a brand new password"
    assert client.post("/auth/people/password", headers=as_ana, data={
        "user_id": ana.id, "password": new}).headers["location"] == "/login"
    reset = client.post("/auth/people/password", headers=as_root,
                        data={"user_id": ana.id, "password": new})
    assert reset.headers["location"] == "/settings?people=reset"
    assert viewer_for_token(ana_token) is None  # her sign-ins ended
    client.cookies.clear()
    signed_in = client.post("/auth/login", data={"username": "ana", "password": new})
    assert "set-cookie" in signed_in.headers
