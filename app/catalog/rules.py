"""Cross-field rules: the constraints Kie enforces between params (data in each entry)."""

from __future__ import annotations

from typing import Any

from app.catalog.errors import FieldError
from app.catalog.schema import CatalogEntry, Rule, condition_holds


def _present(value: Any) -> bool:
    return value is not None and value != "" and value != []


def _matches(value: Any, choices: list[Any]) -> bool:
    return any(type(value) is type(choice) and value == choice for choice in choices)


def _broken(rule: Rule, value: Any) -> bool:
    if not _present(value):
        return rule.required
    if rule.forbidden:
        return True
    if rule.choices is not None and not _matches(value, rule.choices):
        return True
    if isinstance(value, list):
        if rule.min_items is not None and len(value) < rule.min_items:
            return True
        if rule.max_items is not None and len(value) > rule.max_items:
            return True
    if isinstance(value, str) and rule.max_length is not None and len(value) > rule.max_length:
        return True
    return False


def check_rules(entry: CatalogEntry, params: dict[str, Any]) -> list[FieldError]:
    """Every rule of the entry whose condition holds and whose field breaks it."""
    return [
        FieldError(field=rule.field, message=f"{rule.field}: {rule.message}")
        for rule in entry.rules
        if condition_holds(rule.when, params) and _broken(rule, params.get(rule.field))
    ]
