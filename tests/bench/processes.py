"""Starting Atelier's parts as separate processes on loopback, and watching their memory."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil

from app.settings import PROJECT_ROOT
from tests.processes import free_port, running_process

PYTHON = str(PROJECT_ROOT / ".venv/bin/python")


@contextlib.contextmanager
def simulator(workdir: Path, time_scale: float = 1.0, extra: list[str] | None = None
              ) -> Iterator[str]:
    port = free_port()
    args = [PYTHON, "-m", "app.simulator", "--port", str(port), "--time-scale", str(time_scale),
            "--rate-limit-creates", "0", "--storage-dir", str(workdir / "sim"),
            # Thousands of tasks: an account that never runs dry (10,000 credits last
            # about 500), or the figures would measure 402 answers.
            "--credits", "1e12", *(extra or [])]
    url = f"http://127.0.0.1:{port}"
    with running_process(args, [url + "/api/v1/chat/credit"], {}, workdir / "simulator.log"):
        yield url


class MemoryWatch:
    """Samples a process's RSS (and CPU time) in a thread; `peak` is the highest seen."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self.process = psutil.Process(pid)
        self.interval = interval
        self.start_rss = self.process.memory_info().rss
        self.peak = self.start_rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(psutil.Error):
                self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(self.interval)

    def cpu_seconds(self) -> float:
        times = self.process.cpu_times()
        return times.user + times.system

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
