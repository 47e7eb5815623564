"""What every browser test does the same way: open a live page, create a task like a person."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

LIVE_TIMEOUT = 30_000  # ms; demo durations are compressed to seconds


def open_live(page: Page, url: str) -> None:
    """Navigate and wait until the server's state has arrived (the page's on_load ran).

    Typing before then is lost or merged with the values the server sends back.
    """
    page.goto(url)
    expect(page.locator('main[data-hydrated="true"]')).to_be_attached(timeout=LIVE_TIMEOUT)


def create_task(page: Page, base: str, prompt: str, model: str | None = None,
                prompt_field: str = "prompt") -> str:
    open_live(page, base + "/")
    if model:
        page.locator(f'.model-card[data-api-type="{model}"]').click()
        # The form is rebuilt for the picked model: type only into the new one.
        expect(page.locator(f'#create-form[data-api-type="{model}"]')).to_be_attached()
    field = page.locator(f"#field-{prompt_field}")
    # The form keeps the last prompt (handy for variations): start from an empty field.
    field.fill("")
    field.press_sequentially(prompt, delay=5)
    expect(field).to_have_value(prompt)
    page.wait_for_timeout(300)
    page.click("#submit")
    page.wait_for_url(re.compile(r"/task\?id=\w+"), timeout=LIVE_TIMEOUT)
    expect(page.locator("main")).to_contain_text(prompt, timeout=LIVE_TIMEOUT)
    return page.url.split("id=")[1]
