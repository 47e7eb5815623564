"""Suno: `GET /api/v1/generate/record-info`.

A Suno task writes two tracks in stages: PENDING -> TEXT_SUCCESS (lyrics ready) ->
FIRST_SUCCESS (first track playable) -> SUCCESS (all tracks). Failures are
CREATE_TASK_FAILED, GENERATE_AUDIO_FAILED, CALLBACK_EXCEPTION, SENSITIVE_WORD_ERROR.
Partial tracks are reported while still processing, so a person can listen early.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.providers.kie.normalize.common import build_snapshot
from app.providers.kie.normalize.fields import (
    as_dict,
    as_fail_code,
    as_float,
    as_int,
    as_text,
    first_present,
    parse_time,
    put_urls,
    url_list,
)
from app.providers.kie.types import TaskSnapshot
from app.store.status import TaskStatus

SUNO_STATUSES: dict[str, TaskStatus] = {
    "PENDING": TaskStatus.PENDING,
    "TEXT_SUCCESS": TaskStatus.PROCESSING,
    "FIRST_SUCCESS": TaskStatus.PROCESSING,
    "SUCCESS": TaskStatus.SUCCEEDED,
    "CREATE_TASK_FAILED": TaskStatus.FAILED,
    "GENERATE_AUDIO_FAILED": TaskStatus.FAILED,
    "CALLBACK_EXCEPTION": TaskStatus.FAILED,
    "SENSITIVE_WORD_ERROR": TaskStatus.FAILED,
}
# Three stages before done; the stage reached is the only progress Suno reports.
SUNO_STAGE_PROGRESS: dict[str, float] = {
    "PENDING": 0.0,
    "TEXT_SUCCESS": 1 / 3,
    "FIRST_SUCCESS": 2 / 3,
}
_TRACK_FIELDS = ("id", "title", "tags", "duration", "prompt", "modelName")


def suno_status(word: str) -> TaskStatus:
    if word in SUNO_STATUSES:
        return SUNO_STATUSES[word]
    if word.endswith(("FAILED", "ERROR", "EXCEPTION")):
        return TaskStatus.FAILED
    return TaskStatus.PROCESSING


def _track_value(track: Mapping[str, Any], camel: str, snake: str) -> Any:
    return first_present(track, camel, snake)


def read_suno_tracks(
    tracks: Any,
) -> tuple[list[str], dict[str, list[str]], list[dict[str, Any]]]:
    """(audio urls, extras with stream/cover, track metadata) from a track list.

    Accepts camelCase (status query) and snake_case (callbacks) track fields.
    """
    urls: list[str] = []
    extras: dict[str, list[str]] = {}
    metadata: list[dict[str, Any]] = []
    if not isinstance(tracks, list):
        return urls, extras, metadata
    for track in tracks:
        if not isinstance(track, Mapping):
            continue
        for url in url_list(_track_value(track, "audioUrl", "audio_url")):
            if url not in urls:
                urls.append(url)
        put_urls(extras, "stream", _track_value(track, "streamAudioUrl", "stream_audio_url"))
        put_urls(extras, "cover", _track_value(track, "imageUrl", "image_url"))
        info = {key: track.get(key) for key in _TRACK_FIELDS if track.get(key) is not None}
        if "duration" in info:
            info["duration"] = as_float(info["duration"])
        if info:
            metadata.append(info)
    return urls, extras, metadata


def _earliest_track_time(tracks: Any) -> Any:
    """Suno's record has no top-level createTime; its tracks carry one each."""
    if not isinstance(tracks, list):
        return None
    times = [parse_time(t.get("createTime")) for t in tracks if isinstance(t, Mapping)]
    known = [t for t in times if t is not None]
    return min(known) if known else None


def normalize_suno(data: Mapping[str, Any]) -> TaskSnapshot:
    word = (as_text(data.get("status")) or "").upper()
    status = suno_status(word)
    response = as_dict(data.get("response"))
    tracks = first_present(response, "sunoData", "data")
    urls, extras, metadata = read_suno_tracks(tracks)
    return build_snapshot(
        data,
        status=status,
        raw_state=word or "unknown",
        progress=SUNO_STAGE_PROGRESS.get(word),
        result_urls=urls,
        extra_outputs=extras,
        result_object={"tracks": metadata} if metadata else None,
        # Without an errorCode, the failure status itself is the most precise code.
        fail_code=as_fail_code(first_present(data, "errorCode", "failCode")) or word,
        fail_message=first_present(data, "errorMessage", "failMsg"),
        cost_time_ms=as_int(data.get("costTime")),
        created_at=parse_time(data.get("createTime")) or _earliest_track_time(tracks),
        completed_at=parse_time(data.get("completeTime")),
    )
