"""Wiring for one Atelier process: its Kie client, its engine, its demo simulator.

In demo mode (no `KIE_API_KEY`) the Kie-compatible simulator is mounted into this
process's backend at `/kie-sim`, and the client talks to it over loopback exactly as
it would talk to Kie.
"""

from __future__ import annotations

import asyncio
import secrets
import contextlib
import logging
from dataclasses import dataclass
from typing import Any

from app.engine.notifier import notifier
from app.engine.worker import Engine
from app.history.cleanup import start_history_cleanup
from app.providers.kie import KieClient
from app.settings import DATA_DIR, Settings, get_settings
from app.store.db import get_engine

logger = logging.getLogger("atelier.runtime")

SIMULATOR_MOUNT = "/kie-sim"
DEMO_API_KEY = "demo-key"


@dataclass
class Runtime:
    settings: Settings
    client: KieClient
    engine: Engine | None
    # The running Reflex app, handed to the lifespan task (to see connected tabs).
    reflex_app: Any = None


_runtime: Runtime | None = None


def backend_base_url() -> str:
    """This process's own backend, on loopback (Reflex exports the port it chose)."""
    from reflex.config import get_config

    port = get_config().backend_port or 8000
    return f"http://127.0.0.1:{port}"


def build_client(settings: Settings) -> KieClient:
    if settings.demo_mode:
        base = (str(settings.kie_base_url).rstrip("/") if settings.kie_base_url
                else backend_base_url() + SIMULATOR_MOUNT)
        upload = str(settings.kie_upload_base_url).rstrip("/") if settings.kie_upload_base_url else base
        return KieClient(DEMO_API_KEY, base, upload, timeout=settings.kie_request_timeout_seconds)
    base = str(settings.kie_base_url or "https://api.kie.ai").rstrip("/")
    upload = str(settings.kie_upload_base_url or "https://kieai.redpandaai.co").rstrip("/")
    return KieClient(settings.kie_api_key, base, upload,
                     timeout=settings.kie_request_timeout_seconds)


def callback_base_url(settings: Settings) -> str | None:
    if settings.public_base_url:
        return str(settings.public_base_url).rstrip("/")
    # The demo simulator lives on this machine, so it can call us back on loopback.
    return backend_base_url() if settings.demo_mode and not settings.kie_base_url else None


def current_engine() -> Engine | None:
    """This process's running engine, if any, without building a runtime (a callback
    receiver in a process without an engine must not construct one)."""
    return _runtime.engine if _runtime is not None else None


def get_runtime() -> Runtime:
    global _runtime
    if _runtime is None:
        settings = get_settings()
        _runtime = Runtime(settings=settings, client=build_client(settings), engine=None)
    return _runtime


def demo_simulator_app():
    """The simulator mounted in demo mode, with durations compressed for a quick demo."""
    from app.simulator.app import create_simulator_app
    from app.simulator.config import SimulatorConfig

    settings = get_settings()
    return create_simulator_app(SimulatorConfig(
        api_key=DEMO_API_KEY, time_scale=settings.demo_time_scale,
        storage_dir=DATA_DIR / "simulator", failure_rate=settings.demo_failure_rate,
        # A new seed each start: the simulator forgets its tasks on restart, but the
        # history in our database remembers their ids.
        seed=secrets.randbits(32),
        webhook_hmac_key=settings.kie_webhook_hmac_key,
    ))


async def run_engine(app: Any = None) -> None:
    """Lifespan task: the one engine of this process (Reflex passes `app`)."""
    runtime = get_runtime()
    runtime.reflex_app = app
    settings = runtime.settings
    if settings.redis_url:
        await notifier.connect_redis(settings.redis_url)
    # Retention is about the stored history, not Kie: it runs in every process when
    # set (several at once are safe), with or without an engine here.
    cleanup = start_history_cleanup(settings.history_retention_days, get_engine())
    try:
        if not settings.engine_enabled:
            if cleanup is not None:
                await cleanup
            return
        await _run(runtime, settings)
    finally:
        if cleanup is not None:
            cleanup.cancel()


async def _run(runtime: Runtime, settings: Settings) -> None:
    engine = Engine(
        settings, runtime.client, get_engine(), callback_base_url=callback_base_url(settings),
        time_scale=settings.demo_time_scale if settings.demo_mode else 1.0,
    )
    runtime.engine = engine
    try:
        await engine.run()
    except asyncio.CancelledError:
        await engine.stop()
        raise
    finally:
        runtime.engine = None
        with contextlib.suppress(Exception):
            await notifier.close()
