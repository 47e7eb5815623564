"""Callbacks: POSTed to the create's callBackUrl when a task reaches its end (and, for
Suno, at its text and first-track steps), signed like Kie's webhooks.

Scheduled as asyncio tasks in the server's loop at create time; each sleeps until its
planned moment. Non-loopback URLs are recorded in the state and never contacted.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import time
from datetime import datetime, timezone
from typing import Any

import httpx

from app.simulator.families.base import Family
from app.simulator.netguard import is_loopback_url, loopback_client
from app.simulator.state import BlockedContact, CallbackRecord, SimTask, SimulatorState


def webhook_signature(key: str, task_id: str, timestamp: str) -> str:
    """base64(HMAC-SHA256(key, taskId + "." + timestamp)), as Kie signs callbacks."""
    digest = hmac.new(key.encode(), f"{task_id}.{timestamp}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def schedule_callbacks(state: SimulatorState, family: Family, task: SimTask) -> None:
    """Plan every callback of `task` now (payloads are fixed by its plan)."""
    planned = family.callbacks(task, task.base_url)
    job = asyncio.get_running_loop().create_task(_deliver_all(state, task, planned))
    state.background.add(job)
    job.add_done_callback(state.background.discard)


async def _deliver_all(
    state: SimulatorState, task: SimTask, planned: list[tuple[float, dict[str, Any]]]
) -> None:
    for at, payload in planned:
        await asyncio.sleep(max(0.0, at - time.time()))
        await send_callback(state, task, payload)
        if state.roll(state.config.callback_duplicate_rate):
            await send_callback(state, task, payload)  # Kie may deliver the same event twice


async def send_callback(state: SimulatorState, task: SimTask, payload: dict[str, Any]) -> CallbackRecord:
    url = task.callback_url or ""
    headers = {"Content-Type": "application/json"}
    key = state.config.webhook_hmac_key
    if key:
        timestamp = str(int(time.time()))
        headers["X-Webhook-Timestamp"] = timestamp
        headers["X-Webhook-Signature"] = webhook_signature(key, task.task_id, timestamp)
    now = datetime.now(timezone.utc)
    record = CallbackRecord(task.task_id, url, payload, headers, sent_at=now, contacted=False)
    if not is_loopback_url(url):
        state.blocked_contacts.append(BlockedContact(url, "callback", now, task.task_id))
        record.error = "not loopback: recorded, not contacted"
        state.callbacks_sent.append(record)
        return record
    record.contacted = True
    try:
        async with loopback_client(state.config.callback_timeout_seconds) as client:
            response = await client.post(url, json=payload, headers=headers)
        record.status_code = response.status_code
    except httpx.HTTPError as error:
        record.error = f"{type(error).__name__}: {error}"
    state.callbacks_sent.append(record)
    return record
