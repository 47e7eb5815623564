"""Scale-out: two Atelier processes over one PostgreSQL and one Redis, one Kie account.

Process A is Atelier as `make run` starts it (Reflex, two backend workers, each with
its engine); process B is a second Atelier process (`python -m app.engine`: engine and
JSON API). Kie is a simulator process enforcing the account's rate limit and watching
for a task asked about by two clients at once.
"""

from __future__ import annotations

import os
import signal
import time
import uuid

import httpx
import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.settings import PROJECT_ROOT
from app.store.models import GenerationTask
from tests.browser.helpers import open_live
from tests.browser.server import running_atelier
from tests.api.support import bearer_headers
from tests.databases import fresh_postgres_url, migrate_to_head, postgres_available
from tests.engine.test_notifier import _redis_up
from tests.engine.test_rate_limit import most_in_any_window
from tests.processes import free_port, running_process

pytestmark = pytest.mark.browser

TASKS = 300
LIMIT = 20          # creates per window, Kie's account limit...
WINDOW = 2.0        # ...over a window compressed from 10 s
LEASE = 4.0         # seconds before a dead process's leases lapse
PYTHON = str(PROJECT_ROOT / ".venv/bin/python")
_TASK = GenerationTask.__table__


def _create(base: str, prompt: str, headers: dict[str, str]) -> str:
    answer = httpx.post(f"{base}/api/tasks", timeout=30, headers=headers,
                        json={"api_type": "imagen4", "params": {"prompt": prompt}})
    assert answer.status_code == 201, answer.text
    return answer.json()["data"]["id"]


def _rows(db) -> list:
    with db.connect() as connection:
        return connection.execute(sa.select(
            _TASK.c.id, _TASK.c.status, _TASK.c.provider_task_id, _TASK.c.lease_owner)).all()


@pytest.mark.skipif(not (postgres_available() and _redis_up()),
                    reason="needs PostgreSQL and Redis on 127.0.0.1")
def test_two_processes_share_the_work_the_budget_and_the_live_view(browser, tmp_path):
    sim_port = free_port()
    sim_url = f"http://127.0.0.1:{sim_port}"
    sim_args = [PYTHON, "-m", "app.simulator", "--port", str(sim_port), "--time-scale", "1",
                "--rate-limit-creates", str(LIMIT), "--rate-limit-window-seconds", str(WINDOW),
                "--storage-dir", str(tmp_path / "sim")]
    with fresh_postgres_url() as database_url, \
            running_process(sim_args, [sim_url + "/api/v1/chat/credit"], {},
                            tmp_path / "simulator.log"):
        db = migrate_to_head(database_url)
        headers = bearer_headers(db)
        # Answers take 200 ms at Kie, so two at once about one task would overlap there.
        httpx.patch(sim_url + "/sim/config", json={"latency_ms": 200}).raise_for_status()
        shared = {
            "DATABASE_URL": database_url, "REDIS_URL": "redis://127.0.0.1:6379/0",
            "KIE_API_KEY": "scale-test", "KIE_BASE_URL": sim_url, "KIE_UPLOAD_BASE_URL": sim_url,
            "RATE_LIMIT_CREATES": str(LIMIT), "RATE_LIMIT_WINDOW_SECONDS": str(WINDOW),
            "LEASE_SECONDS": str(LEASE), "ENGINE_TICK_SECONDS": "0.1",
            # One person: this test is about processes sharing work, not about accounts.
            "SINGLE_USER": "true",
        }
        port_b = free_port()
        base_b = f"http://127.0.0.1:{port_b}"
        engine_b = [PYTHON, "-m", "app.engine", "--serve-port", str(port_b), "--log-level", "WARNING"]
        with running_process(engine_b, [base_b + "/api/health"], shared, tmp_path / "b.log"), \
                running_atelier(tmp_path, GRANIAN_WORKERS="2", **shared) as base_a:
            owner_b = httpx.get(base_b + "/api/health").json()["engine"]["owner"]
            page = browser.new_page()
            open_live(page, base_a + "/tasks")

            # A task created on B appears and changes live in a browser on A.
            marker = uuid.uuid4().hex[:8]
            first = _create(base_b, f"seen from the other process {marker}", headers)
            row = page.locator(f'.task-row[data-task-id="{first}"]')
            expect(row).to_be_visible(timeout=30_000)
            expect(row).to_have_attribute("data-status", "succeeded", timeout=90_000)

            # 300 tasks created through both processes.
            ids = {first} | {_create(base_a if i % 2 else base_b, f"shared load {i} {marker}",
                                     headers)
                             for i in range(TASKS - 1)}

            # Once all are at Kie, kill A (every worker) while it holds leases.
            deadline = time.monotonic() + TASKS / LIMIT * WINDOW * 3 + 30
            while True:
                rows = _rows(db)
                # Engine leases only: a succeeded row may carry a result mirror's lease.
                held_by_a = {r.id for r in rows if r.lease_owner and r.lease_owner != owner_b
                             and r.status not in ("succeeded", "failed", "canceled")}
                if all(r.provider_task_id for r in rows) and held_by_a:
                    break
                assert time.monotonic() < deadline, "creates did not drain"
                time.sleep(0.05)
            process_a = _reflex_process_group(base_a)
            os.killpg(process_a, signal.SIGKILL)
            killed_at = time.monotonic()

            # B takes A's leases over once they lapse, and every task finishes.
            taken_over: dict[str, float] = {}
            while True:
                rows = _rows(db)
                for r in rows:
                    if r.id in held_by_a and r.id not in taken_over and (
                            r.lease_owner in (None, owner_b)):
                        taken_over[r.id] = time.monotonic() - killed_at
                if all(r.status in ("succeeded", "failed") for r in rows):
                    break
                assert time.monotonic() - killed_at < 120, "tasks did not finish after the kill"
                time.sleep(0.1)
            page.close()

        sim = httpx.get(sim_url + "/sim/state").json()
        rows = _rows(db)
        db.dispose()
    assert {r.id for r in rows} == ids
    # Each submitted exactly once: no second create, no create refused (429 makes no task).
    assert sim["create_calls"] == len(sim["tasks"]) == TASKS
    assert len({r.provider_task_id for r in rows}) == TASKS
    # The account's limit held across both processes, at Kie's own clock.
    arrivals = [task["created_at"] for task in sim["tasks"].values()]
    assert most_in_any_window(arrivals, WINDOW - 0.002) <= LIMIT
    # Never polled by two processes at once.
    assert sim["overlapping_queries"] == {}
    # A's leases went to B once they lapsed (plus B's next look, slow on a busy machine),
    # not at some later sweep.
    assert set(taken_over) == held_by_a
    assert max(taken_over.values()) < LEASE + 10.0, taken_over


def _reflex_process_group(base: str) -> int:
    """The process group of the Reflex server answering at `base` (its own session)."""
    import psutil

    port = int(base.rsplit(":", 1)[1])
    for connection in psutil.net_connections("tcp"):
        if connection.laddr and connection.laddr.port == port and connection.status == "LISTEN":
            return os.getpgid(connection.pid)
    raise AssertionError(f"nothing listens on {port}")
