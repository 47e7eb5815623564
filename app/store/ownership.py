"""Who may see a row: the one rule every action applies.

`owner_id` None asks for every row (the admin, or single-user mode); an id asks for
that person's rows only. A row without an owner (made in single-user mode) belongs to
the admin: the first admin takes such rows over (app/accounts/users.py), and a row
someone else owns is answered as "not found", never "forbidden", so a refusal says
nothing about what exists.
"""

from __future__ import annotations

import sqlalchemy as sa


def visible(row_owner: str | None, owner_id: str | None) -> bool:
    return owner_id is None or row_owner == owner_id


def visible_clauses(owner_column: sa.ColumnElement, owner_id: str | None) -> list[sa.ColumnElement]:
    """WHERE clauses (none or one) that keep to the rows `owner_id` may see."""
    return [] if owner_id is None else [owner_column == owner_id]
