"""Soak: minutes of mixed work against a faulty Kie with a SIGKILL halfway
(tests/soak/runner.py; `make test` runs the same soak for 45 s)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from tests.bench.report import Section
from tests.soak import runner


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):.0f}"


def measure(minutes: float) -> Section:
    load = os.getloadavg()[0]
    workdir = Path(tempfile.mkdtemp(prefix="atelier-soak-"))
    result = runner.run_soak(minutes * 60, workdir)
    config = runner.faulty_kie(0)
    section = Section(f"Soak: {minutes:g} min of mixed work, Kie faults on, one SIGKILL",
                      f"ATELIER_SOAK_MINUTES={minutes:g} make bench  (tests/bench/soak.py)")
    section.note(
        "One headless Atelier (`python -m app.engine --serve-port`: JSON API, callback route "
        "and engine, SQLite) driven over HTTP only: creates across "
        f"{len(runner.MODELS) + 1} models (one every {runner.CREATE_PAUSE} s plus a burst of "
        f"{runner.BURST} every {runner.BURST_EVERY:g} s, each with an idempotency key, resent "
        "with the same key when the server is down), an upload every "
        f"{runner.UPLOAD_EVERY:g} s followed by an image edit of it, and two browsing loops "
        "(filtered and paged lists, task details, events, the catalog). The simulator "
        f"(time scale {runner.TIME_SCALE}, {config.failure_rate:.0%} of generations fail) "
        f"answers creates with 5xx/maintenance {sum(config.create_error_rates.values()):.0%}"
        f", status queries {sum(config.query_error_rates.values()):.0%}, "
        f"{config.timeout_rate:.0%} of all calls too late for the client, "
        f"{config.malformed_json_rate:.0%} unreadable, and allows "
        f"{config.rate_limit_creates} creates/s against Atelier's 20 (bursts meet 429). "
        "Halfway the engine gets SIGKILL and a new one starts on the same port. "
        "**Lost**: accepted by the API but missing, unsettled after the drain, or in a state "
        "that is not Kie's. **Duplicated**: more than one Kie task (or row) for one request, or "
        "a Kie task nobody asked for. **Needs a person**: a create whose outcome Atelier "
        "cannot know (Kie's answer unreadable or too late, or the kill cut it off) and no "
        "callback resolved (Kie never made it, or called back while no engine listened): "
        "left for a person to retry or drop, by design. "
        f"Run once per `make bench` (one soak is the measurement); load average {load:.1f} "
        "at the start.")
    section.table(
        ["minutes", "tasks created", "completed (ok / failed)", "needs a person", "lost",
         "duplicated submissions", "5xx from Atelier",
         "RSS MiB: 1st engine start → kill, 2nd start → end"],
        [[f"{minutes:g}", str(result.created),
          f"{result.completed} ({result.succeeded} / {result.failed})",
          str(result.needs_attention + result.needs_attention_kie_has), str(result.lost),
          str(result.duplicates + result.orphans), str(result.server_errors),
          f"{_mib(result.rss_start)} → {_mib(result.rss_at_kill)}, "
          f"{_mib(result.rss_restart)} → {_mib(result.rss_end)}"]])
    requests = ", ".join(f"{name} {count}" for name, count in sorted(result.requests.items()))
    section.table(["detail", "value"], [
        ["tasks per model", ", ".join(f"{m} {n}" for m, n in sorted(result.models.items()))],
        ["API answers (kind status count)", requests],
        ["uploads accepted / 503 (Kie unavailable)", f"{result.uploads} / {result.kie_unavailable}"],
        ["requests that found no server (the kill) / creates resent with their key",
         f"{result.unreachable} / {result.resent}"],
        ["kill → new engine answering", f"{result.restart_seconds:.1f} s"],
        ["Kie: create calls / tasks made / callbacks sent",
         f"{result.create_calls} / {result.kie_tasks} / {result.callbacks}"],
        ["Atelier's audit events", ", ".join(f"{name} {count}" for name, count
                                               in result.fault_events.items())],
        ["needs a person: Kie never made it / Kie has it",
         f"{result.needs_attention} / {result.needs_attention_kie_has}"],
        ["failed for good before reaching Kie", str(result.failed_before_kie)],
        ["restarted engine's exit code on SIGTERM", str(result.restart_exit_code)],
    ])
    if result.lost or result.duplicates or result.orphans or result.server_errors:
        raise AssertionError(f"{result.summary()}\n\nlogs in {workdir}\n\n{section.render()}")
    shutil.rmtree(workdir, ignore_errors=True)  # kept above, for a look at the logs
    return section
