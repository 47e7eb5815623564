"""Bad input at benchmark size: the property tests of `make test` for the server actions
(tests/actions/test_fuzz.py), the JSON API through schemathesis
(tests/api/test_openapi_contract.py) and the Kie callback receiver
(tests/api/test_callback_fuzz.py), run with ATELIER_FUZZ_SCALE times their examples.

They run in a pytest child process (they change process-wide settings), which loads
this module as a plugin (`-p tests.bench.fuzz`) to write each case's figures to a file.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
import time
from pathlib import Path

from app.settings import PROJECT_ROOT
from tests.bench.report import Section

TESTS = ["tests/actions/test_fuzz.py", "tests/api/test_openapi_contract.py",
         "tests/api/test_callback_fuzz.py"]
LOG_VARIABLE = "ATELIER_FUZZ_LOG"


def pytest_runtest_logreport(report) -> None:
    """In the child: one JSON line per test call (and per failed setup or teardown)."""
    path = os.environ.get(LOG_VARIABLE)
    if not path or (report.when != "call" and not report.failed):
        return
    line = {"case": report.nodeid, "outcome": report.outcome, "seconds": report.duration,
            "properties": dict(report.user_properties),
            "failure": report.longreprtext[-3000:] if report.failed else ""}
    with open(path, "a") as handle:
        handle.write(json.dumps(line, default=str) + "\n")


def _failures(entry: dict) -> int:
    if entry["outcome"] != "failed":
        return 0
    distinct = re.search(r"Hypothesis found (\d+) distinct failures", entry["failure"])
    return int(distinct.group(1)) if distinct else 1


def measure(scale: float = 3.0) -> Section:
    with tempfile.TemporaryDirectory(prefix="atelier-fuzz-") as folder:
        log = Path(folder) / "cases.jsonl"
        env = {**os.environ, "ATELIER_FUZZ_SCALE": str(scale), LOG_VARIABLE: str(log)}
        started = time.monotonic()
        run = subprocess.run([str(PROJECT_ROOT / ".venv/bin/python"), "-m", "pytest", "-q",
                              "-p", "tests.bench.fuzz", *TESTS],
                             cwd=PROJECT_ROOT, env=env, capture_output=True, text=True)
        seconds = time.monotonic() - started
        lines = log.read_text().splitlines() if log.exists() else []
    entries = [json.loads(line) for line in lines]

    section = Section("Bad input: property tests at benchmark size",
                      f"ATELIER_FUZZ_SCALE={scale:g} pytest {' '.join(TESTS)}  (run by make bench)")
    section.note(
        f"The property tests of `make test`, with {scale:g}× their examples (hypothesis; the "
        "JSON API through schemathesis against its own OpenAPI document). Each case holds "
        "for every example: server actions answer with an ActionResult and never an internal "
        "error, and refused input writes nothing; the API and the callback receiver never "
        "answer 5xx and only as documented; a callback never writes a final status. "
        "[sqlite]/[postgresql]: the database under test; the callback receiver runs with "
        "and without an HMAC key. A failure is a distinct falsifying example hypothesis kept.")
    rows = []
    for entry in entries:
        props = entry["properties"]
        answers = ", ".join(f"{k} {v}" for k, v in (props.get("outcomes") or {}).items())
        rows.append([entry["case"].split("::")[-1].removeprefix("test_").replace("_", " "),
                     str(props.get("examples", "—")), answers or "—", str(_failures(entry)),
                     f"{entry['seconds']:.0f}"])
    total = sum(int(e["properties"].get("examples", 0)) for e in entries)
    found = sum(_failures(e) for e in entries)
    rows.append(["**total**", str(total), "", str(found), f"{seconds:.0f}"])
    section.table(["case", "examples", "answers", "failures found", "seconds"], rows)
    for entry in entries:
        if entry["failure"]:
            section.note(f"`{entry['case']}`:\n\n```\n{entry['failure'][-1500:]}\n```")
    if run.returncode != 0 or found or not entries:
        raise AssertionError(f"fuzz cases failed:\n{section.render()}\n{run.stdout[-3000:]}")
    return section
