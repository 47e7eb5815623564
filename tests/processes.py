"""Running a part of Atelier as its own process on loopback, for tests and benchmarks."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from app.settings import PROJECT_ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@contextlib.contextmanager
def running_process(args: list[str], ready_urls: list[str], env: dict[str, str | None],
                    log: Path, timeout: float = 60, stop_signal: int = signal.SIGTERM,
                    cwd: Path = PROJECT_ROOT) -> Iterator[subprocess.Popen]:
    """Start `args` in `cwd` (own process group, output to `log`), wait until every ready
    URL answers 200, yield; then stop it with `stop_signal`, and SIGKILL if it lingers.
    `env` is laid over this process's environment (None: unset)."""
    merged = {key: value for key, value in {**os.environ, **env}.items() if value is not None}
    with open(log, "wb") as handle:
        proc = subprocess.Popen(args, cwd=cwd, env=merged,
                                stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + timeout
            while not all(_answers(url) for url in ready_urls):
                if proc.poll() is not None:
                    raise RuntimeError(f"{args[:3]} exited:\n{log.read_text()[-4000:]}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{args[:3]} did not start:\n{log.read_text()[-4000:]}")
                time.sleep(0.3)
            yield proc
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, stop_signal)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
