"""Accounts in the browser: signing in and out through the forms, and two people who
never see each other's tasks, pages or files."""

from __future__ import annotations

import re
import sqlite3
import uuid

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD
from tests.browser.helpers import LIVE_TIMEOUT, create_task, open_live

pytestmark = pytest.mark.browser
NEW_PASSWORD = "a replacement password"


def test_signing_in_and_out_through_the_forms(browser, atelier, people, shot):
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(atelier + "/tasks")
        page.wait_for_url(re.compile(r"/login$"), timeout=LIVE_TIMEOUT)  # nobody: sign in first
        page.fill("#field-username", "bob")
        page.fill("#field-password", "not his password")
        page.click("#sign-in")
        expect(page.locator("#sign-in-error")).to_contain_text("Wrong name or password",
                                                                timeout=LIVE_TIMEOUT)
        page.fill("#field-username", "bob")
        page.fill("#field-password", PASSWORD)
        page.click("#sign-in")
        expect(page.locator("#signed-in-as")).to_have_text("bob", timeout=LIVE_TIMEOUT)
        expect(page.locator("h1")).to_have_text("Create")
        assert all(cookie["httpOnly"] for cookie in context.cookies())
        shot(page, "signed-in")

        page.click("#sign-out")
        expect(page.locator("#sign-in-note")).to_contain_text("signed out", timeout=LIVE_TIMEOUT)
        page.goto(atelier + "/settings")
        page.wait_for_url(re.compile(r"/login$"), timeout=LIVE_TIMEOUT)
    finally:
        context.close()


def test_two_people_never_see_each_others_work(browser, atelier, signed_in, shot):
    alice_context = browser.new_context(**signed_in("alice"))
    bob_context = browser.new_context(**signed_in("bob"))
    alice, bob = alice_context.new_page(), bob_context.new_page()
    try:
        prompt = f"alices secret garden {uuid.uuid4().hex[:6]}"
        task_id = create_task(alice, atelier, prompt)
        image = alice.locator(".result-image").first
        expect(image).to_be_visible(timeout=LIVE_TIMEOUT)
        # Her own copy of the result, served by Atelier once mirrored.
        expect(image).to_have_attribute("src", re.compile(r"/api/results/"), timeout=LIVE_TIMEOUT)
        file_url = atelier + image.get_attribute("src")
        assert alice_context.request.get(file_url).status == 200

        open_live(bob, atelier + "/tasks")
        expect(bob.locator("h1").first).to_have_text("Tasks")
        bob.wait_for_load_state("networkidle")
        expect(bob.locator("main")).not_to_contain_text(prompt)
        expect(bob.locator(f'.task-row[data-task-id="{task_id}"]')).to_have_count(0)
        open_live(bob, atelier + f"/task?id={task_id}")
        expect(bob.locator("main")).to_contain_text("No such task", timeout=LIVE_TIMEOUT)
        expect(bob.locator("main")).not_to_contain_text(prompt)
        shot(bob, "not-his")
        assert bob_context.request.get(file_url).status == 404
        # His dashboard counts his own tasks only (he has none); the admin's counts hers.
        open_live(bob, atelier + "/dashboard")
        expect(bob.locator("#total-tasks")).to_have_text("0", timeout=LIVE_TIMEOUT)
        expect(bob.locator("main")).not_to_contain_text(prompt)
        nobody = browser.new_context()
        assert nobody.request.get(file_url).status == 404  # nobody signed in
        nobody.close()
    finally:
        alice_context.close()
        bob_context.close()


def test_the_admin_adds_a_person_and_a_personal_key_stays_on_the_server(
        browser, atelier, signed_in, atelier_db_path, shot):
    admin_context = browser.new_context(**signed_in("admin"))
    admin = admin_context.new_page()
    frames: list[str] = []
    admin.on("websocket", lambda ws: ws.on("framesent", lambda f: frames.append(str(f))))
    name = f"carol{uuid.uuid4().hex[:4]}"
    try:
        open_live(admin, atelier + "/settings")
        admin.fill("#new-username", name)
        admin.fill("#new-password", PASSWORD)
        admin.click("#add-person")
        expect(admin.locator("#people-note")).to_contain_text("Account created",
                                                               timeout=LIVE_TIMEOUT)
        row = admin.locator(f'.person-row[data-username="{name}"]')
        expect(row).to_contain_text("active")
        # They lost it: the admin sets a new one (again a form post, not the websocket).
        admin.fill(f"#reset-{name}", NEW_PASSWORD)
        row.get_by_role("button", name="Set password").click()
        expect(admin.locator("#people-note")).to_contain_text("New password set",
                                                               timeout=LIVE_TIMEOUT)

        personal_key = f"kie-{uuid.uuid4().hex}"
        admin.fill('input[name="kie_key"]', personal_key)
        admin.click("#save-kie-key")
        expect(admin.locator("#kie-key-note")).to_contain_text("saved", timeout=LIVE_TIMEOUT)
        expect(admin.locator("#kie-key-state")).to_contain_text("Set:")
        shot(admin, "settings")
        assert personal_key not in admin.content()
        for secret in (personal_key, PASSWORD, NEW_PASSWORD):
            assert not any(secret in frame for frame in frames)
        with sqlite3.connect(atelier_db_path) as connection:
            stored = [row[0] for row in connection.execute(
                "SELECT kie_key_encrypted FROM user_account WHERE kie_key_encrypted IS NOT NULL")]
        assert stored and all(personal_key not in value for value in stored)
    finally:
        admin_context.close()

    newcomer_context = browser.new_context()
    newcomer = newcomer_context.new_page()
    try:
        newcomer.goto(atelier + "/login")
        newcomer.fill("#field-username", name)
        newcomer.fill("#field-password", NEW_PASSWORD)
        newcomer.click("#sign-in")
        expect(newcomer.locator("#signed-in-as")).to_have_text(name, timeout=LIVE_TIMEOUT)
        open_live(newcomer, atelier + "/settings")
        expect(newcomer.locator("#people-table")).to_have_count(0)  # the admin's part only
    finally:
        newcomer_context.close()


def test_the_live_connection_refuses_pages_from_other_sites(atelier):
    """socket.io checks the handshake's Origin against ALLOWED_ORIGINS: a page on
    another site cannot open a live connection carrying a visitor's cookie."""
    handshake = atelier + "/_event/?EIO=4&transport=polling"
    foreign = httpx.get(handshake, headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 400 and "not an accepted origin" in foreign.text
    own = httpx.get(handshake, headers={"Origin": atelier})
    assert "not an accepted origin" not in own.text
