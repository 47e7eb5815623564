"""Market recordInfo answers (samples written from Kie's documentation)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from app.providers.kie import ApiFamily, normalize_task
from app.store.status import TaskStatus

PARAM = json.dumps({"model": "google/imagen4-fast", "input": {"prompt": "a fox"}})


def record(**fields):
    base = {
        "taskId": "3f1c0e7a9b2d4c6e8f0a1b2c3d4e5f60",
        "model": "google/imagen4-fast",
        "state": "waiting",
        "param": PARAM,
        "resultJson": "",
        "failCode": None,
        "failMsg": None,
        "costTime": None,
        "completeTime": None,
        "createTime": 1755000000000,
        "updateTime": 1755000000000,
    }
    base.update(fields)
    return base


@pytest.mark.parametrize(
    ("state", "status"),
    [
        ("waiting", TaskStatus.PENDING),
        ("queuing", TaskStatus.PENDING),
        ("generating", TaskStatus.PROCESSING),
        ("success", TaskStatus.SUCCEEDED),
        ("fail", TaskStatus.FAILED),
    ],
)
def test_every_market_state_maps_to_one_status(state, status):
    snapshot = normalize_task(ApiFamily.MARKET, record(state=state))
    assert snapshot.status is status
    assert snapshot.raw_state == state


def test_waiting_task_has_no_results_and_a_utc_creation_time():
    snapshot = normalize_task(ApiFamily.MARKET, record())
    assert snapshot.result_urls == []
    assert snapshot.result_object is None
    assert snapshot.completed_at is None
    assert snapshot.created_at == datetime(2025, 8, 12, 12, 0, tzinfo=timezone.utc)
    assert snapshot.fail_code is None


def test_image_success_reads_urls_from_the_json_string():
    snapshot = normalize_task(
        ApiFamily.MARKET,
        record(
            state="success",
            resultJson=json.dumps({"resultUrls": ["https://tempfile.aiquickdraw.com/f/a.png"]}),
            costTime=15000,
            completeTime=1755000015000,
            creditsConsumed=4,
        ),
    )
    assert snapshot.status is TaskStatus.SUCCEEDED
    assert snapshot.result_urls == ["https://tempfile.aiquickdraw.com/f/a.png"]
    assert snapshot.progress == 1.0
    assert snapshot.cost_time_ms == 15000
    assert snapshot.credits == 4.0
    assert snapshot.completed_at == datetime(2025, 8, 12, 12, 0, 15, tzinfo=timezone.utc)
    assert snapshot.raw["param"] == PARAM


def test_video_success_keeps_watermarked_copies_and_frames_apart():
    snapshot = normalize_task(
        ApiFamily.MARKET,
        record(
            model="sora-2-text-to-video",
            state="success",
            resultJson=json.dumps(
                {
                    "resultUrls": ["https://tempfile.aiquickdraw.com/v/clean.mp4"],
                    "resultWaterMarkUrls": ["https://tempfile.aiquickdraw.com/v/marked.mp4"],
                    "firstFrameUrl": "https://tempfile.aiquickdraw.com/v/first.jpg",
                    "lastFrameUrl": "https://tempfile.aiquickdraw.com/v/last.jpg",
                    "somethingNewUrls": ["https://file.aiquickdraw.com/new.mp4"],
                    "seed": 12345,
                }
            ),
        ),
    )
    assert snapshot.result_urls == ["https://tempfile.aiquickdraw.com/v/clean.mp4"]
    assert snapshot.extra_outputs == {
        "watermarked": ["https://tempfile.aiquickdraw.com/v/marked.mp4"],
        "first_frame": ["https://tempfile.aiquickdraw.com/v/first.jpg"],
        "last_frame": ["https://tempfile.aiquickdraw.com/v/last.jpg"],
        "something_new_urls": ["https://file.aiquickdraw.com/new.mp4"],
    }


def test_text_result_comes_back_as_an_object():
    snapshot = normalize_task(
        ApiFamily.MARKET,
        record(
            state="success",
            resultJson=json.dumps({"resultObject": {"text": "hello"}}),
        ),
    )
    assert snapshot.result_object == {"text": "hello"}
    assert snapshot.result_urls == []


@pytest.mark.parametrize("fail_code", [500, "500", 500.0])
def test_failure_code_may_be_a_number_or_a_string(fail_code):
    snapshot = normalize_task(
        ApiFamily.MARKET,
        record(
            state="fail",
            resultJson=None,
            failCode=fail_code,
            failMsg="Content policy violation",
        ),
    )
    assert snapshot.status is TaskStatus.FAILED
    assert snapshot.fail_code == "500"
    assert snapshot.fail_message == "Content policy violation"


@pytest.mark.parametrize("result_json", [None, "", "   ", "{not json", "[]"])
def test_missing_or_garbled_result_json_is_tolerated(result_json):
    snapshot = normalize_task(ApiFamily.MARKET, record(state="generating", resultJson=result_json))
    assert snapshot.status is TaskStatus.PROCESSING
    assert snapshot.result_urls == []


def test_progress_is_a_fraction_whether_sent_as_percent_or_fraction():
    assert (
        normalize_task(ApiFamily.MARKET, record(state="generating", progress=45)).progress == 0.45
    )
    assert (
        normalize_task(ApiFamily.MARKET, record(state="generating", progress="0.3")).progress == 0.3
    )
    assert normalize_task(ApiFamily.MARKET, record(state="generating")).progress is None


def test_unknown_state_and_missing_fields_keep_the_task_in_flight():
    snapshot = normalize_task(ApiFamily.MARKET, {"taskId": "t", "state": "rendering-v2"})
    assert snapshot.status is TaskStatus.PROCESSING
    assert snapshot.raw_state == "rendering-v2"
    bare = normalize_task(ApiFamily.MARKET, {"taskId": "t"})
    assert bare.status is TaskStatus.PROCESSING
    assert bare.created_at is None


def test_result_object_given_as_text_is_kept():
    snapshot = normalize_task(
        ApiFamily.MARKET,
        record(
            state="success",
            resultJson=json.dumps({"resultObject": "plain words"}),
        ),
    )
    assert snapshot.result_object == {"value": "plain words"}
