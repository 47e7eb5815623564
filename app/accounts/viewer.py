"""The person behind a request, and which rows they see.

Actions take `owner_id`: None means every row (the admin, or single-user mode), an id
means that person's rows only. New rows are stamped with `owner_for_new`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Viewer:
    user_id: str | None  # None: single-user mode, no accounts
    username: str
    is_admin: bool

    @property
    def sees(self) -> str | None:
        """The owner filter for reading: None (everything) for the admin."""
        return None if self.is_admin else self.user_id

    @property
    def owner_for_new(self) -> str | None:
        return self.user_id


SINGLE_USER = Viewer(user_id=None, username="", is_admin=True)
