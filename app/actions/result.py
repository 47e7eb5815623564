"""`ActionResult`: what every server action returns instead of raising.

A success carries data; a failure carries a stable error kind (scripts switch on it),
a message a person can act on, and, for bad input, the fields at fault.
"""

from __future__ import annotations

import enum
import functools
import logging
import traceback
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, ParamSpec, TypeVar

logger = logging.getLogger("atelier.actions")

T = TypeVar("T")
P = ParamSpec("P")


class ErrorKind(str, enum.Enum):
    """Stable failure kinds; each maps to the HTTP status the JSON API answers with."""

    INVALID_PARAMS = "invalid_params"            # 400: fix the named field
    UNAUTHORIZED = "unauthorized"                # 401: the Kie key is missing or wrong
    PAYMENT_REQUIRED = "payment_required"        # 402: not enough Kie credits
    FORBIDDEN = "forbidden"                      # 403: not yours
    NOT_FOUND = "not_found"                      # 404: no such task or file
    CONFLICT = "conflict"                        # 409: the task is in a state that forbids it
    TOO_LARGE = "too_large"                      # 413: over the upload limit
    UNSUPPORTED_MEDIA = "unsupported_media"      # 415: not an image, video or audio file
    PROVIDER_VALIDATION = "provider_validation"  # 422: Kie refused a field
    RATE_LIMITED = "rate_limited"                # 429: Kie's account limit
    PROVIDER_UNAVAILABLE = "provider_unavailable"  # 503: Kie unreachable or in maintenance
    INTERNAL = "internal"                        # 500: our bug; logged with a reference

    @property
    def http_status(self) -> int:
        return _HTTP_STATUS[self]


_HTTP_STATUS = {
    ErrorKind.INVALID_PARAMS: 400, ErrorKind.UNAUTHORIZED: 401,
    ErrorKind.PAYMENT_REQUIRED: 402, ErrorKind.FORBIDDEN: 403, ErrorKind.NOT_FOUND: 404,
    ErrorKind.CONFLICT: 409, ErrorKind.TOO_LARGE: 413, ErrorKind.UNSUPPORTED_MEDIA: 415,
    ErrorKind.PROVIDER_VALIDATION: 422, ErrorKind.RATE_LIMITED: 429,
    ErrorKind.PROVIDER_UNAVAILABLE: 503, ErrorKind.INTERNAL: 500,
}


@dataclass(frozen=True)
class FieldProblem:
    field: str
    message: str


@dataclass(frozen=True)
class ActionResult(Generic[T]):
    ok: bool
    data: T | None = None
    error_kind: ErrorKind | None = None
    message: str = ""
    field_errors: tuple[FieldProblem, ...] = field(default_factory=tuple)

    @classmethod
    def success(cls, data: T, message: str = "") -> ActionResult[T]:
        return cls(ok=True, data=data, message=message)

    @classmethod
    def failure(
        cls, kind: ErrorKind, message: str, field_errors: list[FieldProblem] | None = None
    ) -> ActionResult[T]:
        return cls(ok=False, error_kind=kind, message=message,
                   field_errors=tuple(field_errors or ()))

    @classmethod
    def invalid(cls, problems: list[FieldProblem]) -> ActionResult[T]:
        summary = "; ".join(_named(p) for p in problems[:5])
        return cls.failure(ErrorKind.INVALID_PARAMS, summary or "Invalid input", problems)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape the API and the UI state use."""
        return {
            "ok": self.ok,
            "data": self.data,
            "error": None if self.ok else {
                "kind": self.error_kind.value if self.error_kind else None,
                "message": self.message,
                "fields": [{"field": p.field, "message": p.message} for p in self.field_errors],
            },
        }


def _named(problem: FieldProblem) -> str:
    # The catalog's messages already start with the field name ("prompt: is required");
    # naming it again would read "prompt: prompt: is required".
    if problem.message.startswith(f"{problem.field}:"):
        return problem.message
    return f"{problem.field}: {problem.message}"


def never_raises(
    func: Callable[P, Awaitable[ActionResult[T]]],
) -> Callable[P, Awaitable[ActionResult[T]]]:
    """Turn any unexpected exception into an INTERNAL failure with a log reference."""

    @functools.wraps(func)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> ActionResult[T]:
        try:
            return await func(*args, **kwargs)
        except Exception:
            reference = uuid.uuid4().hex[:8]
            logger.error("action %s failed (ref %s)\n%s", func.__name__, reference,
                         traceback.format_exc())
            return ActionResult.failure(
                ErrorKind.INTERNAL,
                f"Something went wrong on our side. "
                f"Reference {reference} is in the server log.",
            )

    return wrapper
