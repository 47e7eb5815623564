"""Atelier as `make run` starts it (reflex run --env prod, demo mode), on a free port,
with its own temporary database and storage, for the browser tests."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

from app.settings import PROJECT_ROOT
from tests.databases import migrate_to_head
from tests.processes import free_port, running_process

START_TIMEOUT = 600  # a cold build installs the frontend packages first


def reflex_environment() -> dict[str, str]:
    """What the Makefile exports for Reflex, for runs of pytest outside `make test`."""
    env = {
        "REFLEX_TELEMETRY_ENABLED": "false",
        "REFLEX_CHECK_LATEST_VERSION": "false",
        "REFLEX_DIR": str(PROJECT_ROOT / ".cache/reflex"),
        "REFLEX_BUN_PATH": str(PROJECT_ROOT / ".tools/bun/node_modules/bun/bin/bun.exe"),
        "BUN_INSTALL_CACHE_DIR": str(PROJECT_ROOT / ".cache/bun"),
    }
    if not os.environ.get("NPM_CONFIG_REGISTRY"):
        registry = subprocess.run(["npm", "config", "get", "registry"], capture_output=True,
                                  text=True).stdout.strip()
        if registry:
            env["NPM_CONFIG_REGISTRY"] = registry
    return {key: os.environ.get(key) or value for key, value in env.items()}


@contextlib.contextmanager
def running_atelier(workdir: Path, **settings: str) -> Iterator[str]:
    """Start Atelier; yield its base URL; stop it (SIGINT, then SIGKILL)."""
    port = free_port()
    database_url = f"sqlite:///{workdir / 'atelier.db'}"
    migrate_to_head(database_url).dispose()
    env = {
        **reflex_environment(),
        "DATABASE_URL": database_url,
        "STORAGE_DIR": str(workdir / "files"),
        "DEMO_TIME_SCALE": "0.02",
        # Failures only where a test asks for one (the [sim:fail] prompt marker).
        "DEMO_FAILURE_RATE": "0",
        # Demo mode: no key, whatever the caller's environment holds.
        "KIE_API_KEY": "",
        # Accounts on, as `make run` starts (tests sign in: see conftest's signed_in).
        "SINGLE_USER": "false",
        # Its own frontend build: the build names the server's port, so servers sharing
        # the project's .web (another test server, `make run`) would break each other.
        "REFLEX_WEB_WORKDIR": str(workdir / "web"),
        **settings,
    }
    base = f"http://127.0.0.1:{port}"
    # The page's own origin: the live connection from it is accepted, others are not.
    env.setdefault("ALLOWED_ORIGINS", base)
    args = [str(PROJECT_ROOT / ".venv/bin/reflex"), "run", "--env", "prod",
            "--frontend-port", str(port), "--backend-port", str(port),
            "--backend-host", "127.0.0.1"]
    with running_process(args, [base + "/api/health", base + "/"], env, workdir / "server.log",
                         timeout=START_TIMEOUT, stop_signal=signal.SIGINT):
        yield base
