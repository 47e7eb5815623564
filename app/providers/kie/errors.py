"""One error tree for everything the Kie client can raise.

Callers branch on the class (or on the stable `kind` string, which survives being
stored in a database row or sent to the browser) and on `retryable`, never on message
text. Three families sit under `KieError`:

- no answer at all: `KieTransportError` (`KieConnectionError`, `KieTimeoutError`) —
  the request is known NOT to have been acted on, or it was a safe call;
- `KieUnknownOutcomeError`: a paid create may have reached Kie but no answer is known —
  the engine must reconcile, never blindly resend (that could pay twice);
- an answer that says no: `KieApiError` and its subclasses, one per documented code,
  plus `KieMalformedResponseError` for answers that cannot be read.
"""

from __future__ import annotations

from typing import Any, ClassVar


class KieError(Exception):
    """Base class of every error raised by `app.providers.kie`."""

    kind: ClassVar[str] = "kie_error"
    # Whether sending the same request again later may succeed. The client's own
    # `RetryPolicy` retries only a narrower, safe subset in place (see retry.py);
    # this flag is for the engine deciding whether to try again on a later tick.
    retryable: ClassVar[bool] = False

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        http_status: int | None = None,
        body: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.http_status = http_status
        # The decoded answer (or a text snippet) for logs and audit events.
        self.body = body

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(kind={self.kind!r}, code={self.code!r}, "
            f"http_status={self.http_status!r}, message={self.message!r})"
        )


# --- no answer -----------------------------------------------------------------


class KieTransportError(KieError):
    """The request got no answer (network trouble)."""

    kind = "transport"
    retryable = True


class KieConnectionError(KieTransportError):
    """Could not connect, or the connection broke during a safe call."""

    kind = "connection"


class KieTimeoutError(KieTransportError):
    """No answer in time during a safe call, or connecting timed out."""

    kind = "timeout"


class KieUnknownOutcomeError(KieError):
    """A create may have been received, but its answer is unknown.

    Raised for a timeout or broken connection after the request was (maybe) sent, and
    for an unreadable answer to a create. Resending could start (and pay for) a second
    generation, so the engine reconciles or asks a person instead.
    """

    kind = "unknown_outcome"
    retryable = False


# --- an unreadable answer --------------------------------------------------------


class KieMalformedResponseError(KieError):
    """The answer was not the documented JSON envelope (or lacked a required field)."""

    kind = "malformed_response"
    retryable = True


class InvalidCallbackError(KieMalformedResponseError):
    """A callback payload from which no task id can be read."""

    kind = "invalid_callback"
    retryable = False


# --- an answer that says no ----------------------------------------------------------


class KieApiError(KieError):
    """Kie answered with an error code. Used as-is for codes the contract does not list."""

    kind = "api_error"


class KieRejectedInputError(KieApiError):
    """400: the input was refused (content policy, English-only prompt, ...)."""

    kind = "rejected_input"


class KieAuthError(KieApiError):
    """401: the API key is missing or wrong. Fix the key; retrying cannot help."""

    kind = "auth"


class KieInsufficientCreditsError(KieApiError):
    """402 (account out of credits) or 433 (sub-key usage limit exceeded)."""

    kind = "insufficient_credits"


class KieNotFoundError(KieApiError):
    """404: unknown task or resource (or an unknown route).

    Retryable because a task created a moment ago can lag behind its status query;
    the engine bounds how many times it asks before failing the task.
    """

    kind = "not_found"
    retryable = True


class KieValidationError(KieApiError):
    """422: a parameter is invalid; the message names the field."""

    kind = "validation"


class KieRateLimitedError(KieApiError):
    """429: rejected, not queued. Back off and resubmit later (never retried in place)."""

    kind = "rate_limited"
    retryable = True


class KieInputFetchError(KieApiError):
    """451: Kie could not fetch an input file (expired or unreachable upload)."""

    kind = "input_fetch"


class KieMaintenanceError(KieApiError):
    """455: the service is under maintenance."""

    kind = "maintenance"
    retryable = True


class KieServerError(KieApiError):
    """500 and any other 5xx not listed separately."""

    kind = "server"
    retryable = True


class KieGenerationFailedError(KieApiError):
    """501 (generation failed) or 408 (no upstream result for over 10 minutes)."""

    kind = "generation_failed"


class KieFeatureDisabledError(KieApiError):
    """505: the feature is disabled."""

    kind = "feature_disabled"


# Body codes (or HTTP statuses) with a documented meaning -> the class that says so.
ERROR_FOR_CODE: dict[int, type[KieApiError]] = {
    400: KieRejectedInputError,
    401: KieAuthError,
    402: KieInsufficientCreditsError,
    404: KieNotFoundError,
    408: KieGenerationFailedError,
    422: KieValidationError,
    429: KieRateLimitedError,
    433: KieInsufficientCreditsError,
    451: KieInputFetchError,
    455: KieMaintenanceError,
    500: KieServerError,
    501: KieGenerationFailedError,
    505: KieFeatureDisabledError,
}


def error_class_for_code(code: int) -> type[KieApiError]:
    """The error class for a non-success code; unlisted 5xx count as server errors."""
    if code in ERROR_FOR_CODE:
        return ERROR_FOR_CODE[code]
    if 500 <= code <= 599:
        return KieServerError
    return KieApiError


def api_error(
    code: int, message: str, *, http_status: int | None = None, body: Any = None
) -> KieApiError:
    """Build the right `KieApiError` subclass for `code`."""
    return error_class_for_code(code)(message, code=code, http_status=http_status, body=body)
