"""End-to-end: a person in Chromium creates, watches, filters and inspects tasks."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import LIVE_TIMEOUT, create_task, open_live

pytestmark = pytest.mark.browser


def test_image_task_succeeds_and_shows_its_image_without_reload(page: Page, atelier, shot):
    open_live(page, atelier + "/")
    expect(page.locator("#form-title")).to_have_text("Imagen 4")
    shot(page, "create")
    create_task(page, atelier, f"a red fox in the snow {uuid.uuid4().hex[:6]}")
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    badge = page.locator("#task-status .status-badge")
    expect(badge).to_have_attribute("data-status", "succeeded", timeout=LIVE_TIMEOUT)
    image = page.locator("img.result-image").first
    expect(image).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    assert navigations == [], "the result arrived without a reload"
    timeline = page.locator("#timeline .timeline-item")
    expect(timeline.first).to_contain_text("Queued")
    expect(timeline.last).to_contain_text("Succeeded")
    shot(page, "task")


def test_missing_prompt_is_caught_before_anything_is_sent(page: Page, atelier):
    open_live(page, atelier + "/")
    page.click("#submit")
    error = page.locator('.field-error[data-field="prompt"]')
    expect(error).to_be_visible()
    expect(page).to_have_url(re.compile(r"/$"))


def test_a_second_browser_sees_the_first_ones_task_change_live(browser, atelier, shot, signed_in):
    watcher_context, creator_context = (browser.new_context(**signed_in()),
                                        browser.new_context(**signed_in()))
    watcher, creator = watcher_context.new_page(), creator_context.new_page()
    try:
        open_live(watcher, atelier + "/tasks")
        expect(watcher.locator("h1")).to_have_text("Tasks")
        prompt = f"a lighthouse seen from a second browser {uuid.uuid4().hex[:6]}"
        task_id = create_task(creator, atelier, prompt)
        row = watcher.locator(f'.task-row[data-task-id="{task_id}"]')
        expect(row).to_be_visible(timeout=LIVE_TIMEOUT)
        expect(row).to_have_attribute("data-status", "succeeded", timeout=LIVE_TIMEOUT)
        shot(watcher, "tasks")
    finally:
        watcher_context.close()
        creator_context.close()


def test_filter_chips_and_search_narrow_the_list(page: Page, atelier):
    marker = uuid.uuid4().hex[:8]
    first = create_task(page, atelier, f"zebra crossing {marker}")
    second = create_task(page, atelier, f"yellow submarine {marker}")
    open_live(page, atelier + "/tasks")
    expect(page.locator(f'.task-row[data-task-id="{second}"]')).to_be_visible()
    page.fill("#task-search", f"zebra crossing {marker}")
    expect(page.locator(f'.task-row[data-task-id="{first}"]')).to_be_visible()
    expect(page.locator(f'.task-row[data-task-id="{second}"]')).to_have_count(0)
    page.fill("#task-search", marker)
    expect(page.locator(f'.task-row[data-task-id="{second}"]')).to_be_visible()
    page.locator('.status-chip[data-chip="canceled"]').click()
    expect(page.locator("#no-matches")).to_be_visible()


def test_status_page_says_demo_and_never_shows_a_key(page: Page, atelier, shot):
    open_live(page, atelier + "/status")
    table = page.locator("#status-table")
    expect(table).to_contain_text("Demo")
    expect(table).to_contain_text("not configured")
    shot(page, "status")


def test_phone_width_layout_has_no_horizontal_scroll(browser, atelier, shot, signed_in):
    context = browser.new_context(viewport={"width": 375, "height": 800}, **signed_in())
    page = context.new_page()
    try:
        for path in ("/", "/tasks", "/status"):
            page.goto(atelier + path)
            expect(page.locator("h1")).to_be_visible()
            page.wait_for_load_state("networkidle")
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, f"{path} scrolls sideways on a phone by {overflow}px"
        shot(page, "phone-status")
    finally:
        context.close()


@pytest.mark.parametrize(("model", "field"), [("suno", "prompt"), ("elevenlabs-tts", "text")])
def test_music_and_speech_results_play_in_place(page: Page, atelier, shot, model, field):
    create_task(page, atelier, f"a calm morning by the sea {uuid.uuid4().hex[:6]}",
                model=model, prompt_field=field)
    expect(page.locator("#task-status .status-badge")).to_have_attribute(
        "data-status", "succeeded", timeout=LIVE_TIMEOUT * 2)
    audio = page.locator("audio.result-audio").first
    expect(audio).to_be_attached()
    page.wait_for_function("a => a.readyState >= 1 && a.duration > 0", arg=audio.element_handle(),
                           timeout=LIVE_TIMEOUT)
    shot(page, model)


def test_a_running_task_shows_a_measured_progress_bar(page: Page, atelier):
    # Sora renders for seconds even in the compressed demo: long enough to look.
    create_task(page, atelier, f"a paper boat on a river {uuid.uuid4().hex[:6]}", model="sora2")
    bar = page.locator(".task-progress").first
    # A number, not Radix's endless "unknown progress" animation.
    expect(bar).to_have_attribute("aria-valuenow", re.compile(r"^\d+(\.\d+)?$"))
    expect(bar).not_to_have_attribute("data-state", "indeterminate")
