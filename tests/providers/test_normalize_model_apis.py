"""Status answers of the model-specific APIs (samples written from Kie's documentation)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from app.providers.kie import ApiFamily, normalize_task
from app.store.status import TaskStatus

# --- Veo 3 -------------------------------------------------------------------------


def veo(**fields):
    base = {
        "taskId": "veo_task_abcdef123456",
        "paramJson": json.dumps({"prompt": "waves at dusk", "model": "veo3_fast"}),
        "completeTime": None,
        "response": None,
        "successFlag": 0,
        "errorCode": None,
        "errorMessage": "",
        "createTime": "2025-06-06 10:25:00",
        "fallbackFlag": False,
    }
    base.update(fields)
    return base


@pytest.mark.parametrize(
    ("flag", "status"),
    [
        (0, TaskStatus.PROCESSING),
        (1, TaskStatus.SUCCEEDED),
        (2, TaskStatus.FAILED),
        (3, TaskStatus.FAILED),
        ("1", TaskStatus.SUCCEEDED),
    ],
)
def test_veo_success_flag(flag, status):
    assert normalize_task(ApiFamily.VEO, veo(successFlag=flag)).status is status


def test_veo_success_reads_results_origin_and_text_times():
    snapshot = normalize_task(
        ApiFamily.VEO,
        veo(
            successFlag=1,
            completeTime="2025-06-06 10:30:00",
            response={
                "taskId": "veo_task_abcdef123456",
                "resultUrls": ["https://tempfile.aiquickdraw.com/v/veo.mp4"],
                "originUrls": ["https://tempfile.aiquickdraw.com/v/veo-origin.mp4"],
                "resolution": "1080p",
            },
        ),
    )
    assert snapshot.result_urls == ["https://tempfile.aiquickdraw.com/v/veo.mp4"]
    assert snapshot.extra_outputs == {
        "origin": ["https://tempfile.aiquickdraw.com/v/veo-origin.mp4"]
    }
    assert snapshot.created_at == datetime(2025, 6, 6, 10, 25, tzinfo=timezone.utc)
    assert snapshot.completed_at == datetime(2025, 6, 6, 10, 30, tzinfo=timezone.utc)
    assert snapshot.raw_state == "successFlag=1"
    assert snapshot.fail_code is None


def test_veo_generation_failure_keeps_code_and_message():
    snapshot = normalize_task(
        ApiFamily.VEO,
        veo(
            successFlag=3,
            errorCode=400,
            errorMessage="Prompt flagged by content policy",
        ),
    )
    assert snapshot.status is TaskStatus.FAILED
    assert (snapshot.fail_code, snapshot.fail_message) == (
        "400",
        "Prompt flagged by content policy",
    )


# --- Midjourney -------------------------------------------------------------------------


MJ_RESULTS = {
    "resultUrls": [{"resultUrl": f"https://tempfile.aiquickdraw.com/mj/{i}.png"} for i in range(4)]
}


@pytest.mark.parametrize("info", [MJ_RESULTS, json.dumps(MJ_RESULTS)], ids=["object", "string"])
def test_midjourney_reads_result_info_json_as_object_or_string(info):
    snapshot = normalize_task(
        ApiFamily.MIDJOURNEY,
        {
            "taskId": "mj_1",
            "taskType": "mj_txt2img",
            "successFlag": 1,
            "resultInfoJson": info,
            "errorCode": None,
            "errorMessage": None,
            "createTime": 1750000000000,
            "completeTime": 1750000060000,
        },
    )
    assert snapshot.status is TaskStatus.SUCCEEDED
    assert snapshot.result_urls == [
        f"https://tempfile.aiquickdraw.com/mj/{i}.png" for i in range(4)
    ]


def test_midjourney_running_has_no_results():
    snapshot = normalize_task(
        ApiFamily.MIDJOURNEY, {"taskId": "mj_1", "successFlag": 0, "resultInfoJson": None}
    )
    assert (snapshot.status, snapshot.result_urls) == (TaskStatus.PROCESSING, [])


# --- GPT-4o image ---------------------------------------------------------------------


def test_gpt4o_image_progress_string_while_generating():
    snapshot = normalize_task(
        ApiFamily.GPT4O_IMAGE,
        {
            "taskId": "4o_1",
            "status": "GENERATING",
            "successFlag": 0,
            "progress": "0.45",
            "response": None,
            "createTime": 1672574400000,
        },
    )
    assert snapshot.status is TaskStatus.PROCESSING
    assert snapshot.progress == 0.45
    assert snapshot.raw_state == "GENERATING"


def test_gpt4o_image_success():
    snapshot = normalize_task(
        ApiFamily.GPT4O_IMAGE,
        {
            "taskId": "4o_1",
            "status": "SUCCESS",
            "successFlag": 1,
            "progress": "1.00",
            "response": {"resultUrls": ["https://tempfile.aiquickdraw.com/4o/a.png"]},
            "errorCode": None,
            "errorMessage": None,
        },
    )
    assert snapshot.status is TaskStatus.SUCCEEDED
    assert snapshot.result_urls == ["https://tempfile.aiquickdraw.com/4o/a.png"]


@pytest.mark.parametrize(
    "fields",
    [
        {"status": "GENERATE_FAILED", "successFlag": 2},
        {"status": "CREATE_TASK_FAILED"},
        {"successFlag": 2},
    ],
)
def test_gpt4o_image_failure_from_status_or_flag(fields):
    snapshot = normalize_task(
        ApiFamily.GPT4O_IMAGE,
        {
            "taskId": "4o_1",
            "progress": "0.00",
            "errorCode": 400,
            "errorMessage": "Image violates content policy",
            **fields,
        },
    )
    assert snapshot.status is TaskStatus.FAILED
    assert snapshot.fail_message == "Image violates content policy"


# --- Flux Kontext ---------------------------------------------------------------------


def test_flux_kontext_result_and_origin_image():
    snapshot = normalize_task(
        ApiFamily.FLUX_KONTEXT,
        {
            "taskId": "fk_1",
            "successFlag": 1,
            "response": {
                "originImageUrl": "https://tempfile.aiquickdraw.com/fk/orig.png",
                "resultImageUrl": "https://tempfile.aiquickdraw.com/fk/out.png",
            },
            "createTime": "2025-06-01 08:00:00",
            "completeTime": "2025-06-01 08:00:20",
        },
    )
    assert snapshot.result_urls == ["https://tempfile.aiquickdraw.com/fk/out.png"]
    assert snapshot.extra_outputs == {"origin": ["https://tempfile.aiquickdraw.com/fk/orig.png"]}


def test_flux_kontext_failure():
    snapshot = normalize_task(
        ApiFamily.FLUX_KONTEXT,
        {
            "taskId": "fk_1",
            "successFlag": 2,
            "response": None,
            "errorCode": "501",
            "errorMessage": "generation failed",
        },
    )
    assert (snapshot.status, snapshot.fail_code) == (TaskStatus.FAILED, "501")


# --- Suno -------------------------------------------------------------------------------


def track(n: int, ready: bool = True) -> dict:
    return {
        "id": f"track-{n}",
        "audioUrl": f"https://tempfile.aiquickdraw.com/s/{n}.mp3" if ready else "",
        "streamAudioUrl": f"https://mfile.aiquickdraw.com/s/{n}",
        "imageUrl": f"https://tempfile.aiquickdraw.com/s/{n}.jpeg",
        "prompt": "[Verse] lyrics",
        "title": f"Song {n}",
        "tags": "lofi, calm",
        "duration": 198.44 if ready else None,
    }


def suno(status: str, tracks: list | None = None, **fields):
    return {
        "taskId": "suno_1",
        "parentMusicId": "",
        "operationType": "generate",
        "param": json.dumps({"prompt": "a calm song"}),
        "response": {"taskId": "suno_1", "sunoData": tracks} if tracks is not None else None,
        "status": status,
        "type": "chirp-v4",
        "errorCode": None,
        "errorMessage": None,
        **fields,
    }


def test_suno_pending_and_lyrics_stage():
    pending = normalize_task(ApiFamily.SUNO, suno("PENDING"))
    assert (pending.status, pending.progress) == (TaskStatus.PENDING, 0.0)
    text = normalize_task(ApiFamily.SUNO, suno("TEXT_SUCCESS", [track(1, False), track(2, False)]))
    assert text.status is TaskStatus.PROCESSING
    assert text.progress == pytest.approx(1 / 3)
    assert text.result_urls == []
    assert text.extra_outputs["stream"] == [
        "https://mfile.aiquickdraw.com/s/1",
        "https://mfile.aiquickdraw.com/s/2",
    ]


def test_suno_first_track_is_playable_before_the_task_ends():
    snapshot = normalize_task(ApiFamily.SUNO, suno("FIRST_SUCCESS", [track(1), track(2, False)]))
    assert snapshot.status is TaskStatus.PROCESSING
    assert snapshot.progress == pytest.approx(2 / 3)
    assert snapshot.result_urls == ["https://tempfile.aiquickdraw.com/s/1.mp3"]


def test_suno_success_has_both_tracks_covers_and_metadata():
    snapshot = normalize_task(ApiFamily.SUNO, suno("SUCCESS", [track(1), track(2)]))
    assert snapshot.status is TaskStatus.SUCCEEDED
    assert snapshot.result_urls == [
        "https://tempfile.aiquickdraw.com/s/1.mp3",
        "https://tempfile.aiquickdraw.com/s/2.mp3",
    ]
    assert snapshot.extra_outputs["cover"] == [
        "https://tempfile.aiquickdraw.com/s/1.jpeg",
        "https://tempfile.aiquickdraw.com/s/2.jpeg",
    ]
    tracks = snapshot.result_object["tracks"]
    assert [t["title"] for t in tracks] == ["Song 1", "Song 2"]
    assert tracks[0]["duration"] == 198.44


@pytest.mark.parametrize(
    "status",
    ["CREATE_TASK_FAILED", "GENERATE_AUDIO_FAILED", "CALLBACK_EXCEPTION", "SENSITIVE_WORD_ERROR"],
)
def test_suno_failure_statuses(status):
    snapshot = normalize_task(
        ApiFamily.SUNO, suno(status, errorMessage="Lyrics contain banned words")
    )
    assert snapshot.status is TaskStatus.FAILED
    assert snapshot.fail_code == status  # no errorCode given: the status is the code
    assert snapshot.fail_message == "Lyrics contain banned words"


# --- Runway and Aleph -----------------------------------------------------------------


def runway(state: str, **fields):
    return {
        "taskId": "rw_1",
        "parentTaskId": "",
        "generateParam": {"prompt": "a city"},
        "state": state,
        "generateTime": None,
        "videoInfo": None,
        "failCode": None,
        "failMsg": None,
        "expireFlag": 0,
        **fields,
    }


@pytest.mark.parametrize(
    ("state", "status"),
    [
        ("wait", TaskStatus.PENDING),
        ("queueing", TaskStatus.PENDING),
        ("generating", TaskStatus.PROCESSING),
        ("success", TaskStatus.SUCCEEDED),
        ("fail", TaskStatus.FAILED),
    ],
)
def test_runway_states(state, status):
    assert normalize_task(ApiFamily.RUNWAY, runway(state)).status is status


def test_runway_success_video_and_cover():
    snapshot = normalize_task(
        ApiFamily.RUNWAY,
        runway(
            "success",
            generateTime="2025-07-01 09:00:00",
            videoInfo={
                "videoId": "v1",
                "videoUrl": "https://file.aiquickdraw.com/r/v1.mp4",
                "imageUrl": "https://file.aiquickdraw.com/r/v1.jpg",
            },
        ),
    )
    assert snapshot.result_urls == ["https://file.aiquickdraw.com/r/v1.mp4"]
    assert snapshot.extra_outputs == {"cover": ["https://file.aiquickdraw.com/r/v1.jpg"]}
    assert snapshot.media_expired is False
    assert snapshot.created_at == datetime(2025, 7, 1, 9, 0, tzinfo=timezone.utc)


def test_runway_expired_video_is_flagged():
    snapshot = normalize_task(ApiFamily.RUNWAY, runway("success", expireFlag=1))
    assert snapshot.media_expired is True


def test_runway_failure():
    snapshot = normalize_task(ApiFamily.RUNWAY, runway("fail", failCode=400, failMsg="bad image"))
    assert (snapshot.fail_code, snapshot.fail_message) == ("400", "bad image")


def test_aleph_success_flag_answer():
    snapshot = normalize_task(
        ApiFamily.ALEPH,
        {
            "taskId": "ee603959",
            "paramJson": "{}",
            "successFlag": 1,
            "response": {
                "taskId": "ee603959",
                "resultVideoUrl": "https://file.com/k/x.mp4",
                "resultImageUrl": "https://file.com/m/x.png",
            },
            "completeTime": "2023-08-15T14:30:45Z",
            "createTime": "2023-08-15T14:25:00Z",
            "errorCode": 0,
            "errorMessage": "",
        },
    )
    assert snapshot.status is TaskStatus.SUCCEEDED
    assert snapshot.result_urls == ["https://file.com/k/x.mp4"]
    assert snapshot.extra_outputs == {"cover": ["https://file.com/m/x.png"]}
    assert snapshot.completed_at == datetime(2023, 8, 15, 14, 30, 45, tzinfo=timezone.utc)


def test_aleph_answer_in_runway_vocabulary_is_understood():
    snapshot = normalize_task(ApiFamily.ALEPH, runway("generating"))
    assert snapshot.status is TaskStatus.PROCESSING


@pytest.mark.parametrize("family", list(ApiFamily))
def test_every_family_tolerates_an_almost_empty_answer(family):
    snapshot = normalize_task(family, {"taskId": "t"})
    assert snapshot.status in (TaskStatus.PENDING, TaskStatus.PROCESSING)
    assert snapshot.result_urls == []
