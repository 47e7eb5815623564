"""Fixtures for the server-action tests: a real simulator on loopback, a Kie client
pointed at it, private storage under tmp_path, and a place to report measured figures
(printed in the terminal summary, so `make test` shows them without -s)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from app.providers.kie import KieClient
from app.settings import get_settings
from app.simulator.config import SimulatorConfig
from app.simulator.testing import RunningSimulator, running_simulator
from tests.engine.harness import FAST_RETRY

_FIGURES: list[str] = []


def pytest_terminal_summary(terminalreporter) -> None:
    if _FIGURES:
        terminalreporter.section("server action figures")
        for line in _FIGURES:
            terminalreporter.write_line(line)


@pytest.fixture
def report_figure():
    """Record a measured figure: printed now (-s) and in the terminal summary."""

    def report(line: str) -> None:
        print(line)
        _FIGURES.append(line)

    return report


@pytest.fixture
def upload_limit(monkeypatch: pytest.MonkeyPatch, storage_dir: Path):
    """Set UPLOAD_MAX_BYTES for this test."""

    def set_limit(max_bytes: int) -> None:
        monkeypatch.setenv("UPLOAD_MAX_BYTES", str(max_bytes))
        get_settings.cache_clear()

    return set_limit


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[RunningSimulator]:
    async with running_simulator(SimulatorConfig(time_scale=0.01, seed=11)) as running:
        yield running


@pytest_asyncio.fixture
async def kie(sim: RunningSimulator) -> AsyncIterator[KieClient]:
    client = KieClient("test-key", sim.base_url, sim.base_url, timeout=30.0, retry=FAST_RETRY)
    try:
        yield client
    finally:
        await client.aclose()
