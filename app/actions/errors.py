"""What a Kie error means to a person, and which action error kind it becomes."""

from __future__ import annotations

from app.actions.result import ErrorKind
from app.providers.kie import errors as kie

_KINDS: list[tuple[type[kie.KieError], ErrorKind, str]] = [
    (kie.KieAuthError, ErrorKind.UNAUTHORIZED,
     "Kie refused the API key. Check KIE_API_KEY in the server settings."),
    (kie.KieInsufficientCreditsError, ErrorKind.PAYMENT_REQUIRED,
     "Not enough Kie credits for this generation. Top up the account, then retry."),
    (kie.KieValidationError, ErrorKind.PROVIDER_VALIDATION,
     "Kie refused a parameter: {detail}"),
    (kie.KieRejectedInputError, ErrorKind.PROVIDER_VALIDATION,
     "Kie rejected the input: {detail}. Rephrase the prompt (English only) and retry."),
    (kie.KieInputFetchError, ErrorKind.PROVIDER_VALIDATION,
     "Kie could not fetch an input file: {detail}. Upload the file again."),
    (kie.KieFeatureDisabledError, ErrorKind.PROVIDER_VALIDATION,
     "This feature is disabled on Kie's side: {detail}"),
    (kie.KieRateLimitedError, ErrorKind.RATE_LIMITED,
     "Kie's rate limit was reached; the task waits for the next slot."),
    (kie.KieNotFoundError, ErrorKind.NOT_FOUND, "Kie does not know this task: {detail}"),
    (kie.KieGenerationFailedError, ErrorKind.PROVIDER_VALIDATION,
     "The generation failed at Kie: {detail}"),
    (kie.KieUnknownOutcomeError, ErrorKind.PROVIDER_UNAVAILABLE,
     "Kie did not answer in time; whether it accepted the task is unknown."),
    (kie.KieMaintenanceError, ErrorKind.PROVIDER_UNAVAILABLE,
     "Kie is under maintenance. Atelier keeps retrying."),
    (kie.KieError, ErrorKind.PROVIDER_UNAVAILABLE,
     "Kie is unavailable right now ({detail}). Atelier keeps retrying."),
]


def _detail(error: kie.KieError) -> str:
    return (getattr(error, "message", "") or error.kind).strip().rstrip(".")


def _match(error: kie.KieError) -> tuple[ErrorKind, str]:
    for error_class, kind, template in _KINDS:
        if isinstance(error, error_class):
            return kind, template.format(detail=_detail(error))
    raise AssertionError("KieError is the last entry")  # pragma: no cover


def kind_for_kie_error(error: kie.KieError) -> ErrorKind:
    return _match(error)[0]


def message_for_kie_error(error: kie.KieError) -> str:
    return _match(error)[1]


# Uploads are not retried in the background (unlike tasks), so these say what to do now.
_UPLOAD_MESSAGES = {
    ErrorKind.PROVIDER_UNAVAILABLE: "Kie's upload host is unavailable right now ({detail}). "
                                    "Try the upload again in a moment.",
    ErrorKind.RATE_LIMITED: "Kie's rate limit was reached. Try the upload again in a moment.",
    ErrorKind.NOT_FOUND: "Kie's upload host refused the file: {detail}",
    ErrorKind.PROVIDER_VALIDATION: "Kie's upload host refused the file: {detail}",
}


def upload_message_for_kie_error(error: kie.KieError) -> str:
    kind, message = _match(error)
    template = _UPLOAD_MESSAGES.get(kind)
    if template is None:  # key and credit problems read the same for uploads
        return message
    return template.format(detail=_detail(error))
