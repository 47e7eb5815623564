"""Reading Kie's answer envelope: `{"code": int, "msg": str, "data": any}`.

A call succeeded only when the HTTP status is 2xx AND the body code is 200: a bad key
is answered with HTTP 200 and body code 401, and the contract is unsure whether other
errors carry a matching HTTP status, so both are checked. The body code wins when it
names an error (it is the more specific of the two); otherwise a non-2xx HTTP status
decides (an unknown route is a real HTTP 404 with whatever body the front server sends).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx

from app.providers.kie.errors import KieApiError, KieMalformedResponseError, api_error

SUCCESS_CODE = 200
# How much of an unreadable body to keep in an error, for logs.
_SNIPPET_CHARS = 300


@dataclass(frozen=True)
class Envelope:
    """A successful answer."""

    code: int
    message: str
    data: Any
    # Only upload answers carry `success`; None elsewhere.
    success: bool | None
    raw: dict[str, Any]


def message_of(payload: dict[str, Any]) -> str:
    """Kie's human-readable message: documented as `msg`, some examples say `message`."""
    for key in ("msg", "message"):
        value = payload.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def coerce_code(value: Any) -> int | None:
    """The body code as an int; tolerates `"200"`. None when it is not a code at all."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def decode_json_body(response: httpx.Response) -> Any:
    """The JSON body, or raise `ValueError` when there is none."""
    if not response.content:
        raise ValueError("empty body")
    return json.loads(response.content)


def _snippet(response: httpx.Response) -> str:
    text = response.text.strip().replace("\n", " ")
    return text[:_SNIPPET_CHARS]


def _http_error(response: httpx.Response, message: str, body: Any) -> KieApiError:
    status = response.status_code
    detail = message or response.reason_phrase or "error"
    return api_error(status, f"HTTP {status}: {detail}", http_status=status, body=body)


def read_envelope(response: httpx.Response) -> Envelope:
    """Return the envelope of a successful answer, or raise the matching `KieError`."""
    http_ok = 200 <= response.status_code < 300
    try:
        payload = decode_json_body(response)
    except ValueError:
        if not http_ok:
            raise _http_error(response, _snippet(response), _snippet(response)) from None
        raise KieMalformedResponseError(
            f"Kie answered HTTP {response.status_code} with a body that is not JSON",
            http_status=response.status_code,
            body=_snippet(response),
        ) from None

    code = coerce_code(payload.get("code")) if isinstance(payload, dict) else None
    if code is None:
        if not http_ok:
            raise _http_error(response, "", payload)
        raise KieMalformedResponseError(
            "Kie answered without a body code",
            http_status=response.status_code,
            body=payload,
        )

    message = message_of(payload)
    if code != SUCCESS_CODE:
        raise api_error(
            code,
            message or f"Kie answered code {code}",
            http_status=response.status_code,
            body=payload,
        )
    if not http_ok:
        raise _http_error(response, message, payload)

    success = payload.get("success")
    if success is False:
        # Upload answers: a code 200 with success=false is still a refusal.
        raise KieApiError(
            message or "Kie reported success=false",
            code=code,
            http_status=response.status_code,
            body=payload,
        )
    return Envelope(
        code=code,
        message=message,
        data=payload.get("data"),
        success=success if isinstance(success, bool) else None,
        raw=payload,
    )
