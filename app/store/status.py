"""The closed set of task statuses and the transitions allowed between them.

This module is the single source of truth for the status machine; the store's
compare-and-set update (`app.store.transitions`) refuses anything not listed here.
"""

from __future__ import annotations

import enum


class TaskStatus(str, enum.Enum):
    """Where a generation task stands, from Atelier's point of view."""

    # Recorded locally, waiting for the engine to submit it under the rate limit.
    QUEUED = "queued"
    # The engine is sending the create request right now (outcome not yet known).
    SUBMITTING = "submitting"
    # Kie accepted the task (we hold its task id) but has not started generating.
    PENDING = "pending"
    # Kie reports the task as generating.
    PROCESSING = "processing"
    # The submission outcome is unknown (crash or timeout after sending) and could not
    # be reconciled: a person must choose to retry (maybe paying twice) or drop it.
    NEEDS_ATTENTION = "needs_attention"
    # Terminal: results are available.
    SUCCEEDED = "succeeded"
    # Terminal: Kie or Atelier gave up; `fail_code`/`fail_message` say why.
    FAILED = "failed"
    # Terminal: a person stopped tracking or dropped the task.
    CANCELED = "canceled"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_STATUSES

    @property
    def is_active(self) -> bool:
        """Still moving: the engine has work to do for it."""
        return self in ACTIVE_STATUSES


TERMINAL_STATUSES = frozenset({TaskStatus.SUCCEEDED, TaskStatus.FAILED, TaskStatus.CANCELED})
ACTIVE_STATUSES = frozenset(
    {TaskStatus.QUEUED, TaskStatus.SUBMITTING, TaskStatus.PENDING, TaskStatus.PROCESSING}
)

# to-status -> the statuses it may be reached from. Terminal states appear on no
# right-hand side, so they never change. Progress within one status is an update,
# not a transition (see `app.store.transitions.update_progress`).
ALLOWED_FROM: dict[TaskStatus, frozenset[TaskStatus]] = {
    # Back in line: a 429 on submit, or a person chose "retry" on an unknown outcome.
    TaskStatus.QUEUED: frozenset({TaskStatus.SUBMITTING, TaskStatus.NEEDS_ATTENTION}),
    TaskStatus.SUBMITTING: frozenset({TaskStatus.QUEUED}),
    TaskStatus.PENDING: frozenset({TaskStatus.SUBMITTING, TaskStatus.NEEDS_ATTENTION}),
    TaskStatus.PROCESSING: frozenset(
        {TaskStatus.SUBMITTING, TaskStatus.PENDING, TaskStatus.NEEDS_ATTENTION}
    ),
    TaskStatus.NEEDS_ATTENTION: frozenset({TaskStatus.SUBMITTING}),
    TaskStatus.SUCCEEDED: frozenset(
        {TaskStatus.SUBMITTING, TaskStatus.PENDING, TaskStatus.PROCESSING,
         TaskStatus.NEEDS_ATTENTION}
    ),
    TaskStatus.FAILED: frozenset(
        {TaskStatus.QUEUED, TaskStatus.SUBMITTING, TaskStatus.PENDING,
         TaskStatus.PROCESSING, TaskStatus.NEEDS_ATTENTION}
    ),
    TaskStatus.CANCELED: frozenset(
        {TaskStatus.QUEUED, TaskStatus.PENDING, TaskStatus.PROCESSING,
         TaskStatus.NEEDS_ATTENTION}
    ),
}


def can_transition(current: TaskStatus, target: TaskStatus) -> bool:
    return current in ALLOWED_FROM[target]
