"""`make bench`: run every benchmark and rewrite docs/benchmarks.md.

Each table carries its command, date and machine; figures are medians with spreads, and
each comparison is a ratio against a baseline measured in the same run. Set
ATELIER_BENCH_QUICK=1 for a smoke run with small sizes (the numbers then mean little).
"""

from __future__ import annotations

import asyncio
import os
import time
import traceback

from app.settings import PROJECT_ROOT
from tests.bench import accounts, recovery, scale_out, server_actions, upload
from tests.bench.report import machine

QUICK = os.environ.get("ATELIER_BENCH_QUICK") == "1"
# Comma-separated section names to rerun; the others keep their last figures in the file.
ONLY = {name.strip() for name in os.environ.get("ATELIER_BENCH_ONLY", "").split(",") if name.strip()}
OUTPUT = PROJECT_ROOT / "docs" / "benchmarks.md"


def sections():
    from tests.bench import engine_scale, engine_schedules, history_scale

    yield "engine schedules", lambda: asyncio.run(
        engine_schedules.measure(tasks=26 if QUICK else 130))
    yield "engine scale", lambda: engine_scale.measure(tasks=500 if QUICK else 10_000,
                                                     drain_tasks=200 if QUICK else 2_000)
    yield "server actions", lambda: asyncio.run(server_actions.measure(100 if QUICK else 1000))
    yield "accounts", lambda: asyncio.run(accounts.measure(
        checks=200 if QUICK else 1000, sign_ins=10 if QUICK else 30,
        tasks=2_000 if QUICK else 20_000))
    yield "history scale", lambda: history_scale.measure(
        total=50_000 if QUICK else 1_000_000, runs=30 if QUICK else 60,
        stat_runs=3 if QUICK else 5)
    yield "upload", lambda: upload.measure((64 if QUICK else 1024) * upload.MIB)
    from tests.bench import live_updates  # imports Playwright, so only here

    yield "live updates", lambda: live_updates.measure(quick=QUICK)
    yield "recovery", lambda: recovery.measure(60 if QUICK else 500)
    yield "scale out", lambda: scale_out.measure(tasks=300 if QUICK else 3000)
    # Slow and outside the engine: a fresh clone's `make run` (quick size borrows this
    # checkout's installed tools), a soak of ATELIER_SOAK_MINUTES (10 here so the whole
    # run stays near half an hour; ATELIER_SOAK_MINUTES=30 for the long one), and the
    # property tests with more examples.
    from tests.bench import cold_start, fuzz, soak

    yield "cold start", lambda: cold_start.measure(quick=QUICK)
    yield "soak", lambda: soak.measure(
        float(os.environ.get("ATELIER_SOAK_MINUTES") or (1 if QUICK else 10)))
    yield "fuzz", lambda: fuzz.measure(scale=0.2 if QUICK else 3)


def _previous_sections() -> dict[str, str]:
    """The sections of the current report, by the name `sections()` gives them."""
    if not OUTPUT.exists():
        return {}
    found = {}
    for block in OUTPUT.read_text().split("\n<!-- section: ")[1:]:
        name, _, text = block.partition(" -->\n")
        found[name] = text.rstrip("\n")
    return found


def _write(texts: dict[str, str], order: list[str]) -> None:
    OUTPUT.parent.mkdir(exist_ok=True)
    header = ("# Benchmarks\n\nWritten by `make bench` (tests/bench/run.py); rerun it to "
              f"refresh. Machine: {machine()}.\n\n")
    OUTPUT.write_text(header + "\n".join(
        f"<!-- section: {name} -->\n{texts[name]}\n" for name in order if name in texts))


def main() -> int:
    failures = 0
    texts = _previous_sections()
    planned = list(sections())
    order = [name for name, _ in planned]
    for name, run in planned:
        if ONLY and name not in ONLY:
            continue
        started = time.monotonic()
        print(f"== {name} ...", flush=True)
        try:
            texts[name] = run().render()
            print(texts[name], flush=True)
        except Exception:
            failures += 1
            texts[name] = (f"## {name}\n\nFAILED in this run:\n\n"
                           f"```\n{traceback.format_exc()}```")
            traceback.print_exc()
        print(f"== {name} took {time.monotonic() - started:.0f} s", flush=True)
        # After every section: an interrupted run keeps what it measured.
        _write(texts, order)
    print(f"wrote {OUTPUT}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
