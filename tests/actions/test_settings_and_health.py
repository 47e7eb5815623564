"""A malformed setting stops start-up with one readable line; /api/health tells an
operator whether the database answers and which provider is in use."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import warnings

import pytest

from app.api.routes import build_api
from app.engine import runtime
from app.settings import PROJECT_ROOT, Settings, get_settings
from app.store.db import get_engine

with warnings.catch_warnings():
    # Starlette's notice that its test client will move to httpx2 is not about Atelier.
    warnings.filterwarnings("ignore", message=".*starlette.testclient.*")
    from fastapi.testclient import TestClient

SETTING_NAMES = {name.upper() for name in Settings.model_fields}


def _start_with(**bad: str) -> subprocess.CompletedProcess:
    """Import rxconfig (what `reflex run` does first) with these environment values."""
    env = {k: v for k, v in os.environ.items() if k.upper() not in SETTING_NAMES}
    env.update(bad)
    return subprocess.run([sys.executable, "-c", "import rxconfig"], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("name, value", [
    ("DATABASE_URL", "mysql://x"),
    ("RATE_LIMIT_CREATES", "abc"),
    ("UPLOAD_MAX_BYTES", "-5"),
    ("KIE_BASE_URL", "not a url"),
    ("ENGINE_TICK_SECONDS", "0"),
    ("REDIS_URL", "http://127.0.0.1:6379"),
])
def test_a_malformed_setting_stops_start_up_with_one_line(name, value):
    started = _start_with(**{name: value})

    assert started.returncode == 2
    lines = started.stderr.strip().splitlines()
    assert len(lines) == 1, started.stderr
    assert name in lines[0]
    assert "Traceback" not in started.stderr
    assert started.stdout == ""


def test_every_bad_setting_is_named_on_the_same_line():
    started = _start_with(DATABASE_URL="mysql://x", RATE_LIMIT_CREATES="abc")

    assert started.returncode == 2
    [line] = started.stderr.strip().splitlines()
    assert "DATABASE_URL" in line and "RATE_LIMIT_CREATES" in line


def test_good_settings_start_quietly():
    started = _start_with()

    assert started.returncode == 0, started.stderr
    assert "Traceback" not in started.stderr


@pytest.fixture
def configured(monkeypatch, tmp_path):
    """Point the process-wide settings and database engine at a test configuration."""

    def configure(database_url: str, **env: str) -> None:
        monkeypatch.setenv("DATABASE_URL", database_url)
        monkeypatch.setenv("STORAGE_DIR", str(tmp_path / "storage"))
        for name in ("KIE_API_KEY", "KIE_BASE_URL", "KIE_UPLOAD_BASE_URL"):
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        get_engine.cache_clear()
        # A fresh runtime (client, engine) for these settings; the previous one comes back after.
        monkeypatch.setattr(runtime, "_runtime", None)

    yield configure
    # Release this test's connections (the PostgreSQL database is dropped next).
    if get_engine.cache_info().currsize:
        get_engine().dispose()
    get_engine.cache_clear()
    get_settings.cache_clear()


def _health() -> dict:
    with TestClient(build_api()) as client:
        response = client.get("/api/health")
    assert response.status_code == 200
    return response.json()


def test_health_reports_a_reachable_database_and_demo_mode(db_engine, database_url, configured):
    configured(database_url)

    health = _health()

    assert health["status"] == "ok"
    assert health["database"] == "reachable"
    assert health["provider"] == "simulator (demo mode)"
    assert health["engine"] == {"running": False}


def test_health_names_kie_when_a_key_is_configured(db_engine, database_url, configured):
    configured(database_url, KIE_API_KEY="sk-test-not-real")

    health = _health()

    assert health["database"] == "reachable"
    assert health["provider"] == "kie.ai"
    assert "sk-test" not in str(health)  # the key is never shown


def test_health_reports_an_unreachable_database(configured):
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    configured(f"postgresql+psycopg://postgres@127.0.0.1:{port}/atelier")

    health = _health()

    assert health["status"] == "degraded"
    assert health["database"] == "unreachable"
