"""Cold start: `make run` in a fresh clone of this repository (its committed HEAD) until
/ and /api/health answer 200, then a warm restart (stop, `make run` again) in the same
clone.

Full size: the clone has no .venv, .tools or .cache, so `make run` really installs the
Python packages, bun and the frontend packages from the package registries, migrates
and builds the frontend. Quick size (ATELIER_BENCH_QUICK=1): the clone borrows this
checkout's installed .venv and bun and its download caches (make variables on the command
line), so it measures the first build without downloads; the numbers then say nothing
about a new machine. Too slow to repeat: one run each.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from app.settings import PROJECT_ROOT, Settings
from tests.bench.report import Section
from tests.processes import free_port, running_process

TIMEOUT = 1800  # a first install on a slow registry mirror
# Where each step starts: the commands `make run` echoes (see the Makefile), then the
# lines Reflex prints once it has compiled the pages and once the production build is
# done (its frontend package install happens in between, not separately visible).
STEPS = [("Python venv + packages", " -m venv "), ("bun", "npm install"),
         ("migrate", "alembic upgrade"), ("Reflex compile", "reflex run"),
         ("frontend packages + build", "Compiling:"),
         ("server start", "Creating Production Build")]


@dataclass
class LogClock:
    """Stamps each line of a growing log with the moment it first appears (read every
    0.1 s from a thread), so a run can be split where `make` echoes its steps."""

    path: Path
    started: float = field(default_factory=time.monotonic)
    lines: list[tuple[float, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, daemon=True)
        self._thread.start()

    def _follow(self) -> None:
        offset, pending = 0, b""
        while not self._stop.wait(0.1):
            if not self.path.exists():
                continue
            with open(self.path, "rb") as handle:
                handle.seek(offset)
                chunk = handle.read()
            offset += len(chunk)
            *complete, pending = (pending + chunk).split(b"\n")
            now = time.monotonic() - self.started
            self.lines += [(now, line.decode(errors="replace")) for line in complete]

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def first(self, text: str) -> float | None:
        return next((at for at, line in self.lines if text in line), None)


def _environment(port: int) -> dict[str, str | None]:
    """A person's shell on this machine: its registry settings stay; this checkout's
    Atelier settings, make state and tool paths go (the clone's Makefile sets its own)."""
    env: dict[str, str | None] = {name.upper(): None for name in Settings.model_fields}
    for key in os.environ:
        if key.startswith(("REFLEX_", "MAKE", "BUN_")) or key in {"MFLAGS", "VIRTUAL_ENV"}:
            env[key] = None
    env["PATH"] = os.pathsep.join(part for part in os.environ["PATH"].split(os.pathsep)
                                  if not part.startswith(str(PROJECT_ROOT)))
    # Reflex reads its ports from REFLEX_*_PORT; the Makefile leaves them alone.
    env.update(REFLEX_FRONTEND_PORT=str(port), REFLEX_BACKEND_PORT=str(port),
               PYTHONUNBUFFERED="1")
    return env


def _borrowed() -> list[str]:
    """Quick size: this checkout's installed tools and caches, as make variables."""
    root = PROJECT_ROOT
    return [f"VENV={root / '.venv'}", f"BUN_DIR={root / '.tools/bun'}",
            f"PIP_CACHE_DIR={root / '.cache/pip'}", f"npm_config_cache={root / '.cache/npm'}",
            f"BUN_INSTALL_CACHE_DIR={root / '.cache/bun'}",
            # Already installed there: never reinstall into this checkout's .venv.
            "-o", str(root / ".venv/.installed")]


def _start(clone: Path, log: Path, extra: list[str]) -> tuple[float, LogClock]:
    """`make run` until / and /api/health answer 200; then stop it. Returns the
    seconds it took and the stamped log."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    clock = LogClock(log)
    try:
        with running_process(["make", "run", *extra], [base + "/api/health", base + "/"],
                             _environment(port), log, timeout=TIMEOUT,
                             stop_signal=signal.SIGINT, cwd=clone):
            seconds = time.monotonic() - clock.started
    finally:
        clock.stop()
    return seconds, clock


def _split(clock: LogClock, total: float) -> list[str]:
    """Seconds before the first step (make reading the Makefile), then in each step."""
    marks = [(name, clock.first(text)) for name, text in STEPS]
    cells = [f"{min((at for _, at in marks if at is not None), default=total):.0f}"]
    for index, (_, at) in enumerate(marks):
        if at is None:
            cells.append("—")  # make had nothing to do for this step
            continue
        end = next((later for _, later in marks[index + 1:] if later is not None), total)
        cells.append(f"{end - at:.0f}")
    return cells


def measure(quick: bool = False) -> Section:
    workdir = Path(tempfile.mkdtemp(prefix="atelier-cold-"))
    clone = workdir / "atelier"
    load = os.getloadavg()[0]
    try:
        started = time.monotonic()
        subprocess.run(["git", "clone", "-q", str(PROJECT_ROOT), str(clone)], check=True)
        clone_seconds = time.monotonic() - started
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=clone, check=True,
                              capture_output=True, text=True).stdout.strip()
        extra = _borrowed() if quick else []
        cold, cold_clock = _start(clone, workdir / "cold.log", extra)
        warm, warm_clock = _start(clone, workdir / "warm.log", extra)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    section = Section("Cold start: `make run` in a fresh clone, then a warm restart",
                      f"git clone; make run  (tests/bench/cold_start.py, commit {head})")
    if quick:
        section.note("**Quick size**: the clone borrowed this checkout's installed .venv, bun "
                     "and download caches, so nothing was downloaded: the cold row is the first "
                     "frontend build of a new folder, not a new machine.")
    else:
        section.note("A fresh clone has no .venv, .tools or .cache: the cold row installs the "
                     "Python packages, bun and the frontend packages from the package registries "
                     "this machine is configured with, then migrates and builds.")
    section.note(f"Seconds from `make run` until `/` and `/api/health` both answer 200 (polled "
                 f"every 0.3 s), split into steps where `make` echoes each command and Reflex "
                 f"reports progress (— : nothing to do). Install = Python packages + bun + the "
                 f"frontend packages, which Reflex installs inside its build step. One run of "
                 f"each (too slow to repeat) on a shared machine, so expect noise of several "
                 f"seconds (load average {load:.1f} at the start). `git clone` itself took "
                 f"{clone_seconds:.1f} s.")
    section.table(["start", "to first page s", "make starts s",
                   *[f"{name} s" for name, _ in STEPS]],
                  [["cold (fresh clone)", f"{cold:.0f}", *_split(cold_clock, cold)],
                   ["warm restart", f"{warm:.0f}", *_split(warm_clock, warm)]])
    return section
