"""Recovery at full size: the SIGKILL and fault-injection tests of `make test`, run with
500 tasks (and all their invariants: every task reaches the simulator's true final state
or asks a person, none is submitted twice, none is lost)."""

from __future__ import annotations

import os
import re
import subprocess
import time

from app.settings import PROJECT_ROOT
from tests.bench.report import Section

TESTS = ["tests/engine/test_recovery.py", "tests/engine/test_faults.py"]


def measure(tasks: int = 500) -> Section:
    env = {**os.environ, "ATELIER_RECOVERY_TASKS": str(tasks), "ATELIER_FAULT_TASKS": str(tasks)}
    started = time.monotonic()
    run = subprocess.run([str(PROJECT_ROOT / ".venv/bin/python"), "-m", "pytest", "-q",
                          "-p", "no:cacheprovider", *TESTS],
                         cwd=PROJECT_ROOT, env=env, capture_output=True, text=True)
    seconds = time.monotonic() - started
    summary = next((line for line in reversed(run.stdout.splitlines())
                    if re.search(r"\d+ (passed|failed)", line)), run.stdout[-300:])
    section = Section("Recovery and faults at full size",
                      f"ATELIER_RECOVERY_TASKS={tasks} ATELIER_FAULT_TASKS={tasks} "
                      f"pytest {' '.join(TESTS)}  (run by make bench)")
    section.note("SIGKILL of the engine mid-flight then a restart, and fault injection "
                 "(5xx, maintenance, 429 bursts, timeouts, unreadable bodies), on SQLite and "
                 "PostgreSQL, with and without callbacks. Each case asserts: no task lost, none "
                 "submitted twice, every task at the simulator's true final state or waiting "
                 "for a person's decision when its submission outcome is unknown.")
    section.table(["tasks per case", "result", "exit code", "seconds"],
                  [[str(tasks), summary.strip().strip("=").strip(), str(run.returncode),
                    f"{seconds:.0f}"]])
    if run.returncode != 0:
        raise AssertionError(f"recovery at full size failed:\n{run.stdout[-4000:]}")
    return section
