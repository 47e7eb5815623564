"""Checks on raw input values before they reach the database.

PostgreSQL refuses NUL characters in text, and no driver can send an unpaired
surrogate (it is not encodable as UTF-8). Without these checks such a value, which can
arrive straight from a URL's query string or a JSON body, surfaces as an internal
error instead of a named bad field, and only on one of the two databases.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

ID_MAX = 64
# Ids are uuid4 hex (`app.store.models.new_id`); this is a loose superset of that.
_ID_PATTERN = re.compile(rf"[0-9A-Za-z_-]{{1,{ID_MAX}}}")


def is_task_id(value: Any) -> bool:
    return isinstance(value, str) and _ID_PATTERN.fullmatch(value) is not None


def unstorable_text(text: str) -> bool:
    """True when a database cannot store this text as is."""
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def unstorable_params(params: Any) -> Iterator[str]:
    """The top-level param names whose value holds unstorable text anywhere inside."""
    if not isinstance(params, dict):
        return
    for name, value in params.items():
        if isinstance(name, str) and _holds_unstorable(value):
            yield name


def _holds_unstorable(value: Any, depth: int = 0) -> bool:
    if isinstance(value, str):
        return unstorable_text(value)
    if depth > 20:  # deeper junk is refused by the catalog anyway
        return False
    if isinstance(value, dict):
        return any(_holds_unstorable(v, depth + 1) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_holds_unstorable(v, depth + 1) for v in value)
    return False
