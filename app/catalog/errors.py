"""The one error the catalog raises, and the wording of pydantic's errors for people."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from app.catalog.params_model import CUSTOM_ERROR
from app.catalog.schema import CatalogEntry


class FieldError(BaseModel):
    """One problem with one param; `message` starts with the field name."""

    model_config = ConfigDict(frozen=True)

    field: str
    message: str


class CatalogValidationError(ValueError):
    """A request the catalog refuses; every problem found is listed in `errors`."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__("; ".join(error.message for error in errors))

    @classmethod
    def single(cls, field: str, message: str) -> CatalogValidationError:
        return cls([FieldError(field=field, message=f"{field}: {message}")])

    @property
    def fields(self) -> list[str]:
        return [error.field for error in self.errors]


def _plural(count: Any, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _wording(error_type: str, ctx: dict[str, Any], fallback: str) -> str:
    """pydantic error type → the sentence a person reads (after "field: ")."""
    if error_type == "string_type":
        return "must be text"
    if error_type == "string_too_long":
        return f"must be at most {_plural(ctx.get('max_length'), 'character')}"
    if error_type == "string_too_short":
        return f"must be at least {_plural(ctx.get('min_length'), 'character')}"
    if error_type in ("int_type", "int_parsing", "int_from_float", "int_parsing_size"):
        return "must be a whole number"
    if error_type in ("float_type", "float_parsing"):
        return "must be a number"
    if error_type == "finite_number":
        return "must be a finite number"
    if error_type in ("greater_than_equal", "greater_than"):
        return f"must be at least {ctx.get('ge', ctx.get('gt'))}"
    if error_type in ("less_than_equal", "less_than"):
        return f"must be at most {ctx.get('le', ctx.get('lt'))}"
    if error_type in ("bool_type", "bool_parsing"):
        return "must be true or false"
    if error_type == "list_type":
        return "must be a list of file URLs"
    if error_type == "too_short":
        return f"needs at least {_plural(ctx.get('min_length'), 'file')}"
    if error_type == "too_long":
        return f"takes at most {_plural(ctx.get('max_length'), 'file')}"
    return fallback


def translate(entry: CatalogEntry, exc: ValidationError) -> CatalogValidationError:
    """Turn pydantic's errors for one entry's params into FieldErrors."""
    found: list[FieldError] = []
    for error in exc.errors(include_url=False, include_input=False):
        loc = list(error.get("loc", ()))
        if loc and loc[0] == entry.api_type:
            loc = loc[1:]  # the discriminated union puts the tag first
        field = str(loc[0]) if loc else "params"
        error_type = error.get("type", "")
        spec = entry.field(field)
        if error_type == "extra_forbidden":
            sentence = f"is not a setting of {entry.display_name}"
        elif error_type == "missing":
            needs_file = spec is not None and spec.input_file
            sentence = f"this model needs an input {spec.accept}" if needs_file else "is required"
        elif error_type == CUSTOM_ERROR:
            sentence = str(error.get("msg", "is not valid"))
        else:
            sentence = _wording(error_type, dict(error.get("ctx") or {}), str(error.get("msg", "")))
        item = next((part for part in loc[1:] if isinstance(part, int)), None)
        prefix = f"{field}: item {item + 1} " if item is not None else f"{field}: "
        found.append(FieldError(field=field, message=prefix + sentence))
    return CatalogValidationError(found)
