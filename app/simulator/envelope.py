"""Kie's answer envelope `{code, msg, data}` and the URL base the simulator hands out."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import URL
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.simulator.config import SimulatorConfig

# A body cut mid-object, as a proxy or a crashed upstream might send it.
MALFORMED_JSON_BODY = b'{"code": 200, "msg": "success", "data": {"taskId": "'


def envelope(
    config: SimulatorConfig,
    code: int,
    message: str,
    data: Any = None,
    *,
    upload: bool = False,
) -> JSONResponse:
    """One answer. Errors are HTTP 200 unless `errors_as_http_status` (see the contract)."""
    body: dict[str, Any] = {"code": code, config.message_key: message, "data": data}
    if upload:
        body = {"success": code == 200, **body}
    http_status = code if config.errors_as_http_status and 400 <= code <= 599 else 200
    return JSONResponse(body, status_code=http_status)


def malformed_json() -> Response:
    return Response(MALFORMED_JSON_BODY, status_code=200, media_type="application/json")


def base_url_for(request: Request, config: SimulatorConfig) -> str:
    """Scheme, host and mount prefix of this app, e.g. "http://127.0.0.1:8090/kie-sim".

    Built from the scope's own root_path (not `request.base_url`, which drops the
    prefix of a Mount), so the simulator mounted inside another app hands out URLs
    that reach it.
    """
    if config.public_base_url:
        return config.public_base_url.rstrip("/")
    scope = dict(request.scope)
    scope["path"] = scope.get("root_path", "") or "/"
    scope["query_string"] = b""
    return str(URL(scope=scope)).rstrip("/")


# Messages Kie sends with each error code (from its public docs).
ERROR_MESSAGES: dict[int, str] = {
    400: "Bad request: the input was rejected",
    401: "You do not have access permissions",
    402: "The current credits are insufficient. Please top up.",
    404: "The request resource does not exist",
    405: "Method not allowed",
    408: "Upstream is taking too long to respond",
    413: "Request entity too large",
    422: "Validation error",
    429: "The request limit has been exceeded. Please try again later.",
    433: "Sub-key usage limit exceeded",
    451: "Failed to fetch the image. Please verify any access limits set by you or your service provider.",
    455: "Service unavailable: the system is under maintenance",
    500: "Server error, please try again later",
    501: "Generation failed",
    505: "The feature is disabled",
}


def message_for(code: int) -> str:
    return ERROR_MESSAGES.get(code, "Error")


class SimError(Exception):
    """Raised by a handler to answer with a Kie error envelope."""

    def __init__(self, code: int, message: str | None = None) -> None:
        super().__init__(message or message_for(code))
        self.code = code
        self.message = message or message_for(code)
