"""The envelope rules: success only on HTTP 2xx AND body code 200; both mapped."""

from __future__ import annotations

import httpx
import pytest

from app.providers.kie import (
    KieApiError,
    KieAuthError,
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
    KieValidationError,
)
from app.providers.kie.envelope import read_envelope


def answer(status: int = 200, json: object = None, content: bytes | None = None) -> httpx.Response:
    request = httpx.Request("GET", "https://kie.test/api/v1/x")
    if content is not None:
        return httpx.Response(status, content=content, request=request)
    return httpx.Response(status, json=json, request=request)


def test_success_returns_data_and_message():
    envelope = read_envelope(answer(json={"code": 200, "msg": "success", "data": {"taskId": "t1"}}))
    assert envelope.data == {"taskId": "t1"}
    assert envelope.message == "success"
    assert envelope.success is None


def test_bad_key_answered_with_http_200_is_an_auth_error():
    with pytest.raises(KieAuthError) as caught:
        read_envelope(answer(json={"code": 401, "msg": "You do not have access permissions"}))
    error = caught.value
    assert (error.code, error.http_status) == (401, 200)
    assert error.retryable is False
    assert error.kind == "auth"
    assert "access permissions" in error.message


def test_unknown_route_is_a_real_http_404_even_without_json():
    with pytest.raises(KieNotFoundError) as caught:
        read_envelope(answer(404, content=b"<html>404 Not Found</html>"))
    assert caught.value.http_status == 404
    assert caught.value.code == 404


def test_message_field_is_read_when_msg_is_absent():
    with pytest.raises(KieValidationError) as caught:
        read_envelope(answer(json={"code": 422, "message": "aspectRatio is invalid"}))
    assert caught.value.message == "aspectRatio is invalid"


def test_http_2xx_with_error_body_code_is_an_error():
    with pytest.raises(KieServerError):
        read_envelope(answer(200, json={"code": 500, "msg": "internal error"}))


def test_error_http_status_with_success_body_code_is_still_an_error():
    with pytest.raises(KieServerError) as caught:
        read_envelope(answer(503, json={"code": 200, "msg": "success", "data": None}))
    assert caught.value.http_status == 503


@pytest.mark.parametrize("status", [200, 429])
def test_rate_limit_is_recognised_in_body_or_http_status(status):
    with pytest.raises(KieRateLimitedError) as caught:
        read_envelope(answer(status, json={"code": 429, "msg": "too many requests"}))
    assert caught.value.retryable is True


def test_http_429_without_an_envelope_is_rate_limited():
    with pytest.raises(KieRateLimitedError):
        read_envelope(answer(429, content=b"Too Many Requests"))


def test_code_sent_as_text_is_accepted():
    assert read_envelope(answer(json={"code": "200", "msg": "ok", "data": 5})).data == 5


@pytest.mark.parametrize(
    "content",
    [b"", b"<html>gateway</html>", b'{"code": 200, "msg": "succ', b"[1, 2]", b'{"data": 1}'],
    ids=["empty", "html", "truncated", "not-an-object", "no-code"],
)
def test_unreadable_2xx_answer_is_malformed_and_retryable(content):
    with pytest.raises(KieMalformedResponseError) as caught:
        read_envelope(answer(200, content=content))
    assert caught.value.retryable is True


def test_upload_answer_with_success_false_is_refused():
    with pytest.raises(KieApiError) as caught:
        read_envelope(answer(json={"success": False, "code": 200, "msg": "upload refused"}))
    assert caught.value.message == "upload refused"


# Every code in the contract's table -> (class, retryable, kind).
CODE_TABLE = [
    (400, KieRejectedInputError, False, "rejected_input"),
    (401, KieAuthError, False, "auth"),
    (402, KieInsufficientCreditsError, False, "insufficient_credits"),
    (404, KieNotFoundError, True, "not_found"),
    (408, KieGenerationFailedError, False, "generation_failed"),
    (422, KieValidationError, False, "validation"),
    (429, KieRateLimitedError, True, "rate_limited"),
    (433, KieInsufficientCreditsError, False, "insufficient_credits"),
    (451, KieInputFetchError, False, "input_fetch"),
    (455, KieMaintenanceError, True, "maintenance"),
    (500, KieServerError, True, "server"),
    (501, KieGenerationFailedError, False, "generation_failed"),
    (505, KieFeatureDisabledError, False, "feature_disabled"),
    (503, KieServerError, True, "server"),
]


@pytest.mark.parametrize(("code", "error_class", "retryable", "kind"), CODE_TABLE)
def test_every_documented_body_code_maps_to_its_error(code, error_class, retryable, kind):
    with pytest.raises(error_class) as caught:
        read_envelope(answer(200, json={"code": code, "msg": f"code {code} says no"}))
    error = caught.value
    assert type(error) is error_class
    assert error.code == code
    assert error.retryable is retryable
    assert error.kind == kind
    assert error.message == f"code {code} says no"


def test_undocumented_code_is_a_plain_api_error_with_a_message():
    with pytest.raises(KieApiError) as caught:
        read_envelope(answer(200, json={"code": 418}))
    assert type(caught.value) is KieApiError
    assert "418" in caught.value.message
