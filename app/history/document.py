"""The history document: what an export writes and an import accepts.

JSON, format version 1 (`tasks` comes last, so the document can be written as a stream
and still be one ordinary JSON value):

    {"format": "atelier.history", "version": 1, "exported_at": "2026-01-02T03:04:05+00:00",
     "tasks": [
        {<every name in TASK_FIELDS>: value, ...,
         "events": [{"from_status": "queued", "to_status": "submitting",
                     "source": "submit", "detail": null,
                     "created_at": "2026-01-02T03:04:05.123456+00:00"}, ...]},
        ...]}

Tasks come oldest first (created_at, then id); a task's events in the order they were
written. Timestamps are ISO 8601 in UTC with their offset; JSON columns (params,
provider_body, result_json, result_urls, tags) stay JSON.

Left out on purpose:
- secrets: `callback_token` (whoever holds it can post callbacks for the task);
- engine bookkeeping, meaningless in another database: lease_owner, lease_expires_at,
  next_poll_at, poll_attempts, consecutive_errors, deadline_at;
- `fail_traceback` (internal errors, for this deployment's operators only);
- event row ids (local to one database; an import numbers events anew);
- mirrored result files: `result_file` rows point into this machine's private storage.
  `result_urls` (Kie's addresses) are exported.

A version bump is needed for any change an older importer would misread; the importer
refuses versions it does not know rather than guess.
"""

from __future__ import annotations

FORMAT = "atelier.history"
VERSION = 1

# The exported columns of `generation_task`, in document (and CSV column) order.
TASK_FIELDS: tuple[str, ...] = (
    "id", "idempotency_key", "provider_task_id",
    "service", "model", "api_type", "api_family", "media_kind",
    "status", "previous_status", "provider_state",
    "prompt", "params", "provider_body", "result_json", "result_urls",
    "progress", "fail_code", "fail_message", "credits",
    "created_at", "submitted_at", "updated_at", "completed_at", "duration_seconds",
    "owner_id", "batch_id", "tags", "favourite", "selected_result",
)

EVENT_FIELDS: tuple[str, ...] = ("from_status", "to_status", "source", "detail", "created_at")

# Never in a document, whatever TASK_FIELDS says (a test holds this line).
SECRET_FIELDS = frozenset({"callback_token", "lease_owner", "lease_expires_at",
                           "fail_traceback"})
assert not SECRET_FIELDS & set(TASK_FIELDS)
