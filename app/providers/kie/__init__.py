"""Atelier's async client for the Kie.ai HTTP API (contract: docs in kie-api.md).

Import from here; the submodules each do one job:
client (calls), envelope (answer rules), errors (one tree), retry (one policy),
transport (what a network failure means), normalize/ (status vocabularies),
callbacks + signature (webhooks), multipart + uploads (files), endpoints (paths).
"""

from app.providers.kie.callbacks import CALLBACK_ACK, parse_callback
from app.providers.kie.client import KieClient
from app.providers.kie.errors import (
    InvalidCallbackError,
    KieApiError,
    KieAuthError,
    KieConnectionError,
    KieError,
    KieFeatureDisabledError,
    KieGenerationFailedError,
    KieInputFetchError,
    KieInsufficientCreditsError,
    KieMaintenanceError,
    KieMalformedResponseError,
    KieNotFoundError,
    KieRateLimitedError,
    KieRejectedInputError,
    KieServerError,
    KieTimeoutError,
    KieTransportError,
    KieUnknownOutcomeError,
    KieValidationError,
)
from app.providers.kie.families import ApiFamily, MediaKind
from app.providers.kie.normalize import normalize_task
from app.providers.kie.retry import NO_RETRY, RetryPolicy
from app.providers.kie.signature import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    sign,
    verify_signature,
)
from app.providers.kie.types import CallbackHint, TaskSnapshot, UploadedRemoteFile

__all__ = [
    "CALLBACK_ACK",
    "NO_RETRY",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "ApiFamily",
    "CallbackHint",
    "InvalidCallbackError",
    "KieApiError",
    "KieAuthError",
    "KieClient",
    "KieConnectionError",
    "KieError",
    "KieFeatureDisabledError",
    "KieGenerationFailedError",
    "KieInputFetchError",
    "KieInsufficientCreditsError",
    "KieMaintenanceError",
    "KieMalformedResponseError",
    "KieNotFoundError",
    "KieRateLimitedError",
    "KieRejectedInputError",
    "KieServerError",
    "KieTimeoutError",
    "KieTransportError",
    "KieUnknownOutcomeError",
    "KieValidationError",
    "MediaKind",
    "RetryPolicy",
    "TaskSnapshot",
    "UploadedRemoteFile",
    "normalize_task",
    "parse_callback",
    "sign",
    "verify_signature",
]
