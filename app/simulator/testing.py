"""Run the simulator on a free loopback port for tests and benchmarks.

    async with running_simulator(SimulatorConfig(time_scale=0.01)) as sim:
        client = httpx.AsyncClient(base_url=sim.base_url)
        ...
        assert sim.state.create_calls == 1

The server runs in its own thread with its own event loop (uvicorn), so test code
may block, or run its own loop, without stalling the simulator or its callbacks.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import uvicorn
from starlette.applications import Starlette
from starlette.types import ASGIApp

from app.simulator.app import create_simulator_app
from app.simulator.config import SimulatorConfig
from app.simulator.state import SimulatorState

START_TIMEOUT_SECONDS = 10.0


@dataclass
class RunningSimulator:
    base_url: str  # e.g. "http://127.0.0.1:54321"; serves both Kie hosts' paths
    state: SimulatorState
    app: Starlette

    @property
    def config(self) -> SimulatorConfig:
        """The live knobs: changes apply to the next request."""
        return self.state.config

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"


def _base_url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class _PromptServer(uvicorn.Server):
    """uvicorn notices `should_exit` only on its 0.1 s tick; this one is woken at once
    (tests start and stop a server each, so the wait adds up)."""

    wake: asyncio.Event | None = None
    loop: asyncio.AbstractEventLoop | None = None

    async def main_loop(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.wake = asyncio.Event()
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            counter = (counter + 1) % 864000
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout=0.1)
            should_exit = await self.on_tick(counter)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """uvicorn's shutdown, polling every 5 ms instead of pausing 0.1 s at fixed points."""
        for server in self.servers:
            server.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (self.config.timeout_graceful_shutdown or 0)
        while (self.server_state.connections or self.server_state.tasks) and loop.time() < deadline:
            await asyncio.sleep(0.005)
        for task in list(self.server_state.tasks):
            task.cancel()
        await self.lifespan.shutdown()

    def request_exit(self) -> None:
        self.should_exit = True
        if self.loop is not None and self.wake is not None and not self.loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop may close in between
                self.loop.call_soon_threadsafe(self.wake.set)


class _ServerThread:
    def __init__(self, app: ASGIApp, host: str) -> None:
        # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY only on sockets that say
        # they are TCP, and without it every answer waits ~40 ms for a delayed ACK.
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.socket = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind((host, 0))
        self.port: int = self.socket.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=1)
        self.server = _PromptServer(config)
        self.thread = threading.Thread(target=self._run, name=f"kie-simulator-{self.port}", daemon=True)
        self.error: BaseException | None = None

    def _run(self) -> None:
        try:
            asyncio.run(self.server.serve(sockets=[self.socket]))
        except BaseException as error:  # surfaced by start()
            self.error = error

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not self.server.started:
            if self.error is not None or not self.thread.is_alive():
                raise RuntimeError(f"simulator failed to start: {self.error!r}")
            if time.monotonic() > deadline:
                raise RuntimeError("simulator did not start in time")
            time.sleep(0.01)

    def stop(self) -> None:
        self.server.request_exit()
        self.thread.join(timeout=10)
        self.socket.close()


@contextlib.contextmanager
def serving_app_sync(app: ASGIApp, *, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve any ASGI app (e.g. a callback receiver in a test) on a free loopback port;
    yields its base URL."""
    server = _ServerThread(app, host)
    try:
        server.start()
        yield _base_url(host, server.port)
    finally:
        server.stop()


@contextlib.contextmanager
def running_simulator_sync(
    config: SimulatorConfig | None = None, *, host: str = "127.0.0.1"
) -> Iterator[RunningSimulator]:
    state = SimulatorState(config)
    app = create_simulator_app(state=state)
    try:
        with serving_app_sync(app, host=host) as base_url:
            yield RunningSimulator(base_url=base_url, state=state, app=app)
    finally:
        state.close()


@contextlib.asynccontextmanager
async def running_simulator(
    config: SimulatorConfig | None = None, *, host: str = "127.0.0.1"
) -> AsyncIterator[RunningSimulator]:
    state = SimulatorState(config)
    app = create_simulator_app(state=state)
    server = _ServerThread(app, host)
    try:
        # Start and stop off the event loop: both wait on the server thread.
        await asyncio.to_thread(server.start)
        yield RunningSimulator(base_url=_base_url(host, server.port), state=state, app=app)
    finally:
        await asyncio.to_thread(server.stop)
        state.close()
