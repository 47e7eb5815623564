"""Callback payloads of every family (shapes from Kie's documentation)."""

from __future__ import annotations

import json

import pytest

from app.providers.kie import (
    ApiFamily,
    InvalidCallbackError,
    KieMalformedResponseError,
    parse_callback,
)
from app.store.status import TaskStatus

IMG = "https://tempfile.aiquickdraw.com/f/a.png"
VID = "https://tempfile.aiquickdraw.com/v/a.mp4"


def market_callback(code: int, state: str, result: dict | None, **extra) -> dict:
    return {
        "code": code,
        "msg": "Playground task completed successfully." if code == 200 else "failed",
        "data": {
            "taskId": "e989621f54392584b05867f87b160672",
            "model": "google/imagen4-fast",
            "state": state,
            "param": json.dumps({"model": "google/imagen4-fast", "input": {"prompt": "x"}}),
            "resultJson": json.dumps(result) if result is not None else None,
            "failCode": None if code == 200 else "500",
            "failMsg": None if code == 200 else "Internal error",
            "costTime": 8,
            "completeTime": 1755599644000,
            "createTime": 1755599634000,
            **extra,
        },
    }


def test_market_success():
    hint = parse_callback(market_callback(200, "success", {"resultUrls": [IMG]}))
    assert hint.task_id == "e989621f54392584b05867f87b160672"
    assert hint.family_guess is ApiFamily.MARKET
    assert hint.status_hint is TaskStatus.SUCCEEDED
    assert hint.result_urls == [IMG]


def test_market_failure_and_older_credit_fields():
    hint = parse_callback(market_callback(501, "fail", None, consumeCredits=0, remainedCredits=90))
    assert (hint.family_guess, hint.status_hint) == (ApiFamily.MARKET, TaskStatus.FAILED)
    assert hint.result_urls == []
    assert hint.raw["data"]["remainedCredits"] == 90


def test_market_callback_whose_state_still_says_running_trusts_the_code():
    hint = parse_callback(market_callback(501, "generating", None))
    assert hint.status_hint is TaskStatus.FAILED


def test_veo_success_and_failure():
    ok = parse_callback(
        {
            "code": 200,
            "msg": "Veo3 video generated successfully.",
            "data": {
                "taskId": "veo_task_1",
                "info": {"resultUrls": [VID], "originUrls": [VID + "?o"], "resolution": "1080p"},
                "fallbackFlag": False,
            },
        }
    )
    assert (ok.task_id, ok.family_guess, ok.status_hint) == (
        "veo_task_1",
        ApiFamily.VEO,
        TaskStatus.SUCCEEDED,
    )
    assert ok.result_urls == [VID]
    failed = parse_callback(
        {
            "code": 400,
            "msg": "content policy",
            "data": {"taskId": "veo_task_2", "info": None, "fallbackFlag": False},
        }
    )
    assert (failed.family_guess, failed.status_hint) == (ApiFamily.VEO, TaskStatus.FAILED)


@pytest.mark.parametrize(
    ("callback_type", "status"),
    [
        ("text", TaskStatus.PROCESSING),
        ("first", TaskStatus.PROCESSING),
        ("complete", TaskStatus.SUCCEEDED),
        ("error", TaskStatus.FAILED),
    ],
)
def test_suno_snake_case_stages(callback_type, status):
    tracks = [
        {
            "id": "s1",
            "audio_url": "https://tempfile.aiquickdraw.com/s/1.mp3"
            if callback_type in ("first", "complete")
            else "",
            "stream_audio_url": "https://mfile.aiquickdraw.com/s/1",
            "image_url": "https://tempfile.aiquickdraw.com/s/1.jpeg",
            "title": "Song",
        }
    ]
    hint = parse_callback(
        {
            "code": 200 if callback_type != "error" else 501,
            "msg": "ok",
            "data": {"callbackType": callback_type, "task_id": "suno_1", "data": tracks},
        }
    )
    assert (hint.task_id, hint.family_guess, hint.status_hint) == ("suno_1", ApiFamily.SUNO, status)
    expected = (
        ["https://tempfile.aiquickdraw.com/s/1.mp3"]
        if callback_type in ("first", "complete")
        else []
    )
    assert hint.result_urls == expected


def test_gpt4o_image():
    hint = parse_callback(
        {
            "code": 200,
            "msg": "GPT-4o image generated successfully.",
            "data": {"taskId": "4o_1", "info": {"result_urls": [IMG]}},
        }
    )
    assert (hint.family_guess, hint.status_hint, hint.result_urls) == (
        ApiFamily.GPT4O_IMAGE,
        TaskStatus.SUCCEEDED,
        [IMG],
    )


def test_flux_kontext():
    hint = parse_callback(
        {
            "code": 200,
            "msg": "ok",
            "data": {
                "taskId": "fk_1",
                "info": {"originImageUrl": IMG + "?orig", "resultImageUrl": IMG},
            },
        }
    )
    assert (hint.family_guess, hint.result_urls) == (ApiFamily.FLUX_KONTEXT, [IMG])


def test_midjourney():
    hint = parse_callback(
        {
            "code": 200,
            "msg": "success",
            "data": {
                "taskId": "mj_1",
                "promptJson": json.dumps({"prompt": "x"}),
                "resultUrls": [IMG, IMG + "2"],
            },
        }
    )
    assert (hint.family_guess, hint.status_hint) == (ApiFamily.MIDJOURNEY, TaskStatus.SUCCEEDED)
    assert hint.result_urls == [IMG, IMG + "2"]


def test_runway_uses_task_id_in_snake_case():
    hint = parse_callback(
        {
            "code": 200,
            "msg": "All generated successfully.",
            "data": {"task_id": "rw_1", "video_id": "v1", "video_url": VID, "image_url": IMG},
        }
    )
    assert (hint.task_id, hint.family_guess, hint.result_urls) == ("rw_1", ApiFamily.RUNWAY, [VID])


def test_aleph_task_id_beside_data():
    hint = parse_callback(
        {
            "code": 200,
            "msg": "success",
            "taskId": "ee603959",
            "data": {"result_video_url": VID, "result_image_url": IMG},
        }
    )
    assert (hint.task_id, hint.family_guess, hint.result_urls) == (
        "ee603959",
        ApiFamily.ALEPH,
        [VID],
    )


def test_bare_failure_callback_still_names_the_task():
    hint = parse_callback({"code": 501, "msg": "generation failed", "data": {"taskId": "t9"}})
    assert (hint.task_id, hint.family_guess, hint.status_hint) == ("t9", None, TaskStatus.FAILED)


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"code": 200, "data": {}},
        {"code": 200, "data": None},
        [1, 2],
        "text",
        {"code": 200, "data": {"taskId": ""}},
    ],
)
def test_payload_without_a_task_id_is_refused(payload):
    with pytest.raises(InvalidCallbackError) as caught:
        parse_callback(payload)
    assert isinstance(caught.value, KieMalformedResponseError)
    assert caught.value.kind == "invalid_callback"
