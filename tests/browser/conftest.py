"""Browser tests: Debian's Chromium driven by Playwright against a running Atelier."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.settings import PROJECT_ROOT
from tests.browser.server import running_atelier

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ARTIFACTS = PROJECT_ROOT / "test-artifacts"


@pytest.fixture(scope="session")
def browser_type_launch_args():
    if not os.path.exists(CHROMIUM):
        pytest.fail("Debian's chromium is missing: `make test` installs it (apt-get install chromium)")
    return {"executable_path": CHROMIUM, "args": CHROMIUM_FLAGS}


@pytest.fixture(scope="session")
def atelier_workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("atelier")


@pytest.fixture(scope="session")
def atelier(atelier_workdir) -> str:
    # A webhook key is configured so the secrets test can look for it too.
    with running_atelier(atelier_workdir, KIE_WEBHOOK_HMAC_KEY="test-webhook-secret") as base_url:
        yield base_url


@pytest.fixture(scope="session")
def atelier_db_path(atelier, atelier_workdir) -> Path:
    return atelier_workdir / "atelier.db"


@pytest.fixture
def shot(request):
    """Save a screenshot as a test artifact: shot(page, "name")."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(page, name: str) -> Path:
        path = ARTIFACTS / f"{request.node.name}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
