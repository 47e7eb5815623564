"""End-to-end: a person keeps a history — variants, favourites, tags, a chosen result,
filters by date, the dashboard's figures, and API tokens from the Settings page."""

from __future__ import annotations

import re
import sqlite3
import uuid
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import LIVE_TIMEOUT, create_task, open_live

pytestmark = pytest.mark.browser


def _wait_succeeded(page: Page) -> None:
    expect(page.locator("#task-status .status-badge")).to_have_attribute(
        "data-status", "succeeded", timeout=LIVE_TIMEOUT)


def test_variants_run_as_one_batch_with_a_seed_walk(page: Page, atelier, atelier_db_path, shot):
    marker = uuid.uuid4().hex[:8]
    open_live(page, atelier + "/")
    page.locator('.model-card[data-api-type="imagen4"]').click()  # a model with a seed
    expect(page.locator('#create-form[data-api-type="imagen4"]')).to_be_attached()
    field = page.locator("#field-prompt")
    field.fill("")
    field.press_sequentially(f"three lanterns {marker}", delay=5)
    page.select_option("#runs", "3")
    page.fill("#tags", "lanterns #night")
    expect(page.locator("#runs")).to_have_value("3")
    page.wait_for_timeout(300)
    page.click("#submit")
    page.wait_for_url(re.compile(r"/tasks\?batch=\w+"), timeout=LIVE_TIMEOUT)

    rows = page.locator(".task-row")
    expect(rows).to_have_count(3, timeout=LIVE_TIMEOUT)
    expect(page.locator("#batch-banner")).to_contain_text("3 variants")
    expect(page.locator("#batch-status")).to_have_attribute("data-status", "succeeded",
                                                            timeout=LIVE_TIMEOUT)
    expect(rows.first).to_contain_text("#lanterns #night")
    shot(page, "batch")

    batch_id = page.url.split("batch=")[1]
    with sqlite3.connect(atelier_db_path) as connection:
        seeds = sorted(row[0] for row in connection.execute(
            "SELECT json_extract(params, '$.seed') FROM generation_task WHERE batch_id = ?",
            (batch_id,)))
    assert len(seeds) == 3 and None not in seeds
    assert seeds == [seeds[0], seeds[0] + 1, seeds[0] + 2], "each variant its own next seed"


def test_favourite_tags_and_chosen_result_stay_and_filter_the_list(page: Page, atelier):
    marker = uuid.uuid4().hex[:8]
    kept = create_task(page, atelier, f"a kept heron {marker}")
    _wait_succeeded(page)
    # Its image is copied into Atelier's storage, and the page switches to the copy live.
    card = page.locator(".result-card").first
    expect(card).to_have_attribute("data-mirrored", "1", timeout=LIVE_TIMEOUT)
    expect(card.locator(".result-keeping")).to_contain_text("Kept by Atelier")
    assert "/api/results/" in card.locator("img").get_attribute("src")
    page.click("#favourite-toggle")
    expect(page.locator("#favourite-toggle")).to_have_attribute("data-favourite", "1")
    page.fill("#task-tags", f"keeper-{marker} birds")
    page.click("#save-tags")
    page.locator(".result-card .choose-result").first.click()
    expect(page.locator(".result-card").first).to_have_attribute("data-chosen", "1")

    other = create_task(page, atelier, f"a passing heron {marker}")

    # All of it is stored: a fresh load shows the same.
    open_live(page, atelier + f"/task?id={kept}")
    expect(page.locator("#favourite-toggle")).to_have_attribute("data-favourite", "1")
    expect(page.locator("#task-tags")).to_have_value(f"keeper-{marker} birds")
    expect(page.locator(".result-card").first).to_have_attribute("data-chosen", "1")

    open_live(page, atelier + "/tasks")
    page.fill("#task-search", marker)
    expect(page.locator(f'.task-row[data-task-id="{other}"]')).to_be_visible()
    page.locator("#favourites-only").click()
    expect(page.locator(f'.task-row[data-task-id="{kept}"]')).to_be_visible()
    expect(page.locator(f'.task-row[data-task-id="{other}"]')).to_have_count(0)
    page.locator("#favourites-only").click()
    page.fill("#tag-filter", f"keeper-{marker}")
    expect(page.locator(f'.task-row[data-task-id="{kept}"]')).to_be_visible()
    expect(page.locator(f'.task-row[data-task-id="{other}"]')).to_have_count(0)
    expect(page.locator(f'.task-row[data-task-id="{kept}"] .favourite-mark')).to_be_visible()
    # The export link downloads what is on screen, and only that.
    with page.expect_download() as download:
        page.click("#export-csv")
    exported = Path(download.value.path()).read_text()
    assert f"a kept heron {marker}" in exported and f"a passing heron {marker}" not in exported

    # Dates: nothing was made tomorrow; today's range holds both.
    page.click("#clear-filters")
    page.fill("#task-search", marker)
    expect(page.locator(f'.task-row[data-task-id="{other}"]')).to_be_visible()
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    page.fill("#date-from", tomorrow)
    expect(page.locator("#no-matches")).to_be_visible()
    page.fill("#date-from", (date.today() - timedelta(days=1)).isoformat())
    page.fill("#date-to", tomorrow)
    expect(page.locator(f'.task-row[data-task-id="{kept}"]')).to_be_visible()
    expect(page.locator(f'.task-row[data-task-id="{other}"]')).to_be_visible()
    page.select_option("#sort-order", "oldest")
    expect(page.locator(".task-row").first).to_have_attribute("data-task-id", kept)


def test_dashboard_counts_what_was_made(page: Page, atelier, shot):
    create_task(page, atelier, f"a counted comet {uuid.uuid4().hex[:6]}")
    _wait_succeeded(page)
    open_live(page, atelier + "/dashboard")
    row = page.locator('.model-stats-row[data-api-type="imagen4"]')
    expect(row).to_be_visible()
    cells = row.locator("td")
    assert int(cells.nth(0).inner_text()) >= 1          # tasks
    assert int(cells.nth(1).inner_text()) >= 1          # succeeded
    expect(page.locator("#total-tasks")).not_to_have_text("0")
    # Both charts drew bars.
    expect(page.locator("#daily-chart .recharts-bar-rectangle").first).to_be_attached()
    expect(page.locator("#model-chart .recharts-bar-rectangle").first).to_be_attached()
    shot(page, "dashboard")


def test_an_api_token_is_shown_once_works_and_can_be_revoked(page: Page, atelier, shot):
    name = f"script {uuid.uuid4().hex[:6]}"
    open_live(page, atelier + "/settings")
    page.fill("#token-name", name)
    page.click("#create-token")
    token_box = page.locator("#fresh-token")
    expect(token_box).to_contain_text("atl_")
    token = token_box.inner_text().strip()
    shot(page, "token")
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.get(atelier + "/api/tasks", headers=headers).status_code == 200
    assert httpx.get(atelier + "/api/tasks").status_code == 401

    # Shown once: gone after a reload, listed by its first characters only.
    open_live(page, atelier + "/settings")
    expect(page.locator("#fresh-token")).to_have_count(0)
    row = page.locator(f'.token-row[data-token-name="{name}"]')
    expect(row).to_be_visible()
    assert token not in page.content()
    row.get_by_role("button", name="Revoke").click()
    expect(row).to_have_count(0)
    assert httpx.get(atelier + "/api/tasks", headers=headers).status_code == 401
