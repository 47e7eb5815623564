"""Browser tests: Debian's Chromium driven by Playwright against a running Atelier."""

from __future__ import annotations

import os
from pathlib import Path

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from app.accounts.sessions import COOKIE_NAME, start_session
from app.accounts.users import create_user
from app.settings import PROJECT_ROOT
from tests.browser.server import running_atelier

PASSWORD = "browser test password"
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


@pytest.fixture(scope="session")
def atelier_db(atelier_db_path):
    engine = sa.create_engine(f"sqlite:///{atelier_db_path}")
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def people(atelier, atelier_db):
    """The test server's accounts: the admin (the default browser context is signed in
    as them) and two plain users. Made in its database, as setup and Settings would."""
    made = {}
    for name, admin in (("admin", True), ("alice", False), ("bob", False)):
        # In a thread of its own: Playwright's sync API keeps an event loop in this one.
        with ThreadPoolExecutor(1) as thread:
            created = thread.submit(asyncio.run, create_user(
                name, PASSWORD, is_admin=admin, db=atelier_db)).result()
        assert created.ok, created.message
        made[name] = created.data.id
    return made


def session_cookie(atelier: str, atelier_db, user_id: str) -> dict:
    """A signed-in browser's cookie, as /auth/login sets it."""
    return {"name": COOKIE_NAME, "value": start_session(user_id, db=atelier_db),
            "url": atelier, "httpOnly": True, "sameSite": "Lax"}


@pytest.fixture(scope="session")
def signed_in(atelier, atelier_db, people):
    """Context arguments for a browser signed in as someone: signed_in("alice")."""
    def state(name: str = "admin") -> dict:
        cookie = session_cookie(atelier, atelier_db, people[name])
        return {"storage_state": {"cookies": [cookie], "origins": []}}
    return state


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args, signed_in):
    """Every test's `page` is the admin's, signed in."""
    return {**browser_context_args, **signed_in("admin")}


@pytest.fixture
def shot(request):
    """Save a screenshot as a test artifact: shot(page, "name")."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(page, name: str) -> Path:
        path = ARTIFACTS / f"{request.node.name}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
