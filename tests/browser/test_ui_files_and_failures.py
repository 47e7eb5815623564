"""End-to-end: a failing task explains itself; an uploaded file feeds an image-to-video
task; the Kie key and callback secrets never reach the browser."""

from __future__ import annotations

import io
import json
import sqlite3
import uuid

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from app.accounts.sessions import COOKIE_NAME
from tests.browser.conftest import PASSWORD
from tests.browser.helpers import LIVE_TIMEOUT, create_task, open_live

pytestmark = pytest.mark.browser


def _png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 60, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_failing_task_shows_the_providers_message_and_advice(page: Page, atelier, shot):
    # The simulator fails any request carrying this marker (see app/simulator/generation.py).
    create_task(page, atelier, f"[sim:fail] a doomed painting {uuid.uuid4().hex[:6]}")
    badge = page.locator("#task-status .status-badge")
    expect(badge).to_have_attribute("data-status", "failed", timeout=LIVE_TIMEOUT)
    message = page.locator("#fail-message")
    expect(message).to_be_visible()
    assert message.inner_text().strip(), "the provider's message is shown"
    expect(page.locator("main")).to_contain_text("run it again")
    shot(page, "failed")


def test_upload_then_image_to_video(page: Page, atelier, shot):
    open_live(page, atelier + "/")
    page.locator('.model-card[data-api-type="kling-v2-5-turbo-image-to-video"]').click()
    expect(page.locator("#form-title")).to_contain_text("Kling")
    page.locator("#reference-upload input[type=file]").set_input_files(
        files=[{"name": "../../etc/passwd.png", "mimeType": "image/png", "buffer": _png_bytes()}])
    uploaded = page.locator(".uploaded-file")
    expect(uploaded).to_be_visible(timeout=LIVE_TIMEOUT)
    expect(uploaded).to_contain_text("passwd.png")   # a label, never a path
    expect(uploaded).to_contain_text("Kie keeps it until")
    image_field = page.locator("#field-image_url")
    assert "/sim/files/" in image_field.input_value(), "the uploaded file's URL is attached"
    shot(page, "uploaded")
    page.locator("#field-prompt").press_sequentially("the picture slowly comes alive", delay=5)
    page.wait_for_timeout(300)
    page.click("#submit")
    page.wait_for_url("**/task?id=*", timeout=LIVE_TIMEOUT)
    expect(page.locator("#task-status .status-badge")).to_have_attribute(
        "data-status", "succeeded", timeout=LIVE_TIMEOUT * 2)
    video = page.locator("video.result-video").first
    expect(video).to_be_visible()
    page.wait_for_function("v => v.readyState >= 1 && v.duration > 0", arg=video.element_handle(),
                           timeout=LIVE_TIMEOUT)
    shot(page, "video")


def test_no_key_token_or_password_reaches_the_browser_or_the_log(
        browser, atelier, atelier_db_path, atelier_workdir, people):
    context = browser.new_context()
    page = context.new_page()
    frames: list[str] = []
    page.on("websocket", lambda ws: (ws.on("framereceived", lambda f: frames.append(str(f))),
                                     ws.on("framesent", lambda f: frames.append(str(f)))))
    try:
        # Signed in through the form, as a person does.
        page.goto(atelier + "/tasks")
        page.wait_for_url("**/login", timeout=LIVE_TIMEOUT)
        page.fill("#field-username", "alice")
        page.fill("#field-password", PASSWORD)
        page.click("#sign-in")
        expect(page.locator("#signed-in-as")).to_have_text("alice", timeout=LIVE_TIMEOUT)
        session_token = next(c["value"] for c in context.cookies() if c["name"] == COOKIE_NAME)
        task_id = create_task(page, atelier, f"a quiet harbour {uuid.uuid4().hex[:6]}")
        expect(page.locator("#task-status .status-badge")).to_have_attribute(
            "data-status", "succeeded", timeout=LIVE_TIMEOUT)
        html = [page.content()]
        for path in ("/tasks", "/status", "/dashboard", "/settings", f"/task?id={task_id}"):
            page.goto(atelier + path)
            page.wait_for_load_state("networkidle")
            html.append(page.content())
    finally:
        context.close()
    with sqlite3.connect(atelier_db_path) as connection:
        tokens = [row[0] for row in connection.execute(
            "SELECT callback_token FROM generation_task WHERE callback_token IS NOT NULL")]
        tokens += [row[0] for row in connection.execute("SELECT token_hash FROM api_token")]
        hashes = [row[0] for row in connection.execute("SELECT password_hash FROM user_account")]
    assert tokens, "tasks carry callback secrets to look for"
    seen = "\n".join(frames + html)
    assert frames, "websocket frames were captured"
    secrets = [*tokens, *hashes, session_token, PASSWORD, "demo-key", "test-webhook-secret"]
    for secret in secrets:
        assert secret not in seen, "a secret reached the browser"
    log = (atelier_workdir / "server.log").read_text(errors="replace")
    for secret in secrets:
        assert secret not in log, "a secret reached the server's log"
    assert json.dumps(tokens)  # keeps the list readable in a failure report
