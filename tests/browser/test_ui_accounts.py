"""Accounts in the browser: signing in and out through the forms, and two people who
never see each other's tasks, pages or files."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD
from tests.browser.helpers import LIVE_TIMEOUT, create_task, open_live

pytestmark = pytest.mark.browser


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
        expect(bob.locator("h1")).to_have_text("Tasks")
        bob.wait_for_load_state("networkidle")
        expect(bob.locator("main")).not_to_contain_text(prompt)
        expect(bob.locator(f'.task-row[data-task-id="{task_id}"]')).to_have_count(0)
        open_live(bob, atelier + f"/task?id={task_id}")
        expect(bob.locator("main")).to_contain_text("No such task", timeout=LIVE_TIMEOUT)
        expect(bob.locator("main")).not_to_contain_text(prompt)
        shot(bob, "not-his")
        assert bob_context.request.get(file_url).status == 404
        nobody = browser.new_context()
        assert nobody.request.get(file_url).status == 404  # nobody signed in
        nobody.close()
    finally:
        alice_context.close()
        bob_context.close()
