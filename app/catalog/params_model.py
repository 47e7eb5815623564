"""Turn an entry's `FieldSpec`s into a pydantic model that validates its params.

Each field becomes an aliased attribute (`f0`, `f1`, ... aliased to the param name) so
that no param name can collide with a pydantic attribute. Messages a person reads are
produced here (custom errors) or in `errors.py` (pydantic's own error types).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    create_model,
)
from pydantic_core import PydanticCustomError

from app.catalog.schema import CatalogEntry, FieldSpec, Scalar

# Custom errors carry their final wording; errors.py passes them through unchanged.
CUSTOM_ERROR = "catalog"
URL_MAX_LENGTH = 2048
_URL = re.compile(r"^https?://[^\s/?#]+[^\s]*$", re.IGNORECASE)


def _fail(message: str) -> PydanticCustomError:
    return PydanticCustomError(CUSTOM_ERROR, "{message}", {"message": message})


def _is_blank(value: Any) -> bool:
    return value is None or value == [] or (isinstance(value, str) and not value.strip())


def _absent_means_default(spec: FieldSpec) -> Callable[[Any], Any]:
    """None (and blank for text/files) means "not given": use the default or complain."""

    blank_counts_as_absent = spec.kind in ("text", "textarea", "file_urls")

    def check(value: Any) -> Any:
        absent = value is None or (blank_counts_as_absent and _is_blank(value))
        if not absent:
            return value
        if spec.required:
            if spec.kind == "file_urls":
                raise _fail(f"this model needs an input {spec.accept}")
            raise _fail("is required" if value is None else "must not be empty")
        return spec.default

    return check


def _refuse_bool(value: Any) -> Any:
    # pydantic's lax int/float accept True/False; a checkbox value is never a number.
    if isinstance(value, bool):
        raise _fail("must be a number, not true/false")
    return value


def _finite(value: Any) -> Any:
    # NaN slips past ge/le with a confusing message; say what is wrong.
    if isinstance(value, float) and not math.isfinite(value):
        raise _fail("must be a finite number")
    return value


def _one_of(choices: list[Scalar]) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        for choice in choices:
            if type(value) is type(choice) and value == choice:
                return choice
        # Forms send strings; JSON clients may send 10 for "10". Accept the exact spelling.
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            for choice in choices:
                if not isinstance(choice, bool) and str(choice) == str(value):
                    return choice
        shown = ", ".join(str(choice) for choice in choices)
        raise _fail(f"must be one of {shown}")

    return check


def _url(value: str) -> str:
    if len(value) > URL_MAX_LENGTH or not _URL.match(value):
        raise _fail("must be an http(s) URL of an uploaded file")
    return value


def _one_url(value: Any) -> Any:
    """Uploaders hand over lists; a single-file field takes a one-item list too."""
    if isinstance(value, list):
        if len(value) != 1:
            raise _fail("takes exactly one file")
        return value[0]
    return value


def _as_list(value: Any) -> Any:
    """A list field takes a bare URL as a one-item list."""
    return [value] if isinstance(value, str) else value


UrlStr = Annotated[str, Strict(), AfterValidator(_url)]


def _value_type(spec: FieldSpec) -> Any:
    """The annotation for a present value, with this field's limits."""
    if spec.kind in ("text", "textarea"):
        return Annotated[
            str, Strict(), StringConstraints(max_length=spec.max_length, min_length=spec.min_length)
        ]
    if spec.kind == "integer":
        return Annotated[int, BeforeValidator(_refuse_bool), Field(ge=spec.min, le=spec.max)]
    if spec.kind == "number":
        return Annotated[
            float,
            BeforeValidator(_refuse_bool),
            AfterValidator(_finite),
            Field(ge=spec.min, le=spec.max, allow_inf_nan=False),
        ]
    if spec.kind == "boolean":
        return bool
    if spec.kind == "select":
        assert spec.choices is not None
        return Annotated[Any, AfterValidator(_one_of(spec.choices))]
    if spec.kind == "file_urls":
        if spec.multiple:
            return Annotated[
                list[UrlStr],
                BeforeValidator(_as_list),
                Field(min_length=spec.min_length, max_length=spec.max_length),
            ]
        return Annotated[UrlStr, BeforeValidator(_one_url)]
    raise AssertionError(f"unhandled field kind {spec.kind}")


def _annotation(spec: FieldSpec) -> Any:
    value_type = _value_type(spec)
    optional = not spec.required and spec.default is None
    if optional:
        value_type = value_type | None
    # Before-validators run outermost-first: absent handling sees the raw input.
    return Annotated[value_type, BeforeValidator(_absent_means_default(spec))]


def build_params_model(entry: CatalogEntry) -> type[BaseModel]:
    """The pydantic model for one entry; `api_type` is the union's discriminator."""
    definitions: dict[str, Any] = {"api_type": (Literal[entry.api_type], ...)}
    for index, spec in enumerate(entry.fields):
        default = ... if spec.required else spec.default
        definitions[f"f{index}"] = (_annotation(spec), Field(default=default, alias=spec.name))
    class_name = "".join(part.capitalize() for part in re.split(r"[^0-9a-zA-Z]+", entry.api_type))
    return create_model(
        f"{class_name}Params",
        __config__=ConfigDict(extra="forbid", populate_by_name=False, frozen=True),
        **definitions,
    )
