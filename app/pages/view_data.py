"""Turning stored rows into the small, flat dicts that page states keep for the view.

States hold view data only: strings the components show, never secrets (no callback
token, no traceback, no Kie key), so nothing here reads those fields.
"""

from __future__ import annotations

from datetime import datetime

from app.catalog import get_entry
from app.store.views import EventPublic, TaskPublic

STATUS_LABELS = {
    "queued": "Queued", "submitting": "Sending", "pending": "Waiting at Kie",
    "processing": "Generating", "needs_attention": "Needs your decision",
    "succeeded": "Succeeded", "failed": "Failed", "canceled": "Canceled",
}
STATUS_COLORS = {
    "queued": "gray", "submitting": "blue", "pending": "blue", "processing": "amber",
    "needs_attention": "orange", "succeeded": "green", "failed": "red", "canceled": "gray",
}


def iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""


def model_name(api_type: str) -> str:
    entry = get_entry(api_type)
    return entry.display_name if entry else api_type


def task_row(task: TaskPublic) -> dict[str, str]:
    progress = task.progress if task.progress is not None else (
        1.0 if task.status == "succeeded" else 0.0)
    return {
        "id": task.id,
        "model": model_name(task.api_type),
        "api_type": task.api_type,
        "media_kind": task.media_kind,
        "status": task.status,
        "status_label": STATUS_LABELS.get(task.status, task.status),
        "status_color": STATUS_COLORS.get(task.status, "gray"),
        "prompt": (task.prompt or "")[:300],
        "progress": str(int(round(progress * 100))),
        "created_at": iso(task.created_at),
        "completed_at": iso(task.completed_at),
        "thumbnail": task.results[0].url if task.results and task.media_kind == "image" else "",
        "fail_message": task.fail_message or "",
        "active": "1" if task.status in ("queued", "submitting", "pending", "processing") else "",
        "favourite": "1" if task.favourite else "",
        "tags": " ".join(f"#{tag}" for tag in task.tags),
        "batch_id": task.batch_id or "",
    }


def split_tags(text: str) -> list[str]:
    """Tags as a person types them: separated by commas or spaces, '#' optional. (The
    action trims, de-duplicates and checks them.)"""
    return [part.lstrip("#") for part in text.replace(",", " ").split() if part.lstrip("#")]


def event_row(event: EventPublic) -> dict[str, str]:
    return {
        "from": STATUS_LABELS.get(event.from_status or "", "—"),
        "to": STATUS_LABELS.get(event.to_status, event.to_status),
        "to_color": STATUS_COLORS.get(event.to_status, "gray"),
        "source": event.source,
        "detail": event.detail or "",
        "at": iso(event.created_at),
    }
