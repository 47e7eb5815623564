"""Where each call goes: paths on the generation host and on the upload host."""

from __future__ import annotations

from dataclasses import dataclass

from app.providers.kie.families import ApiFamily


@dataclass(frozen=True)
class FamilyEndpoints:
    create_path: str  # POST, JSON body
    status_path: str  # GET ?taskId=


FAMILY_ENDPOINTS: dict[ApiFamily, FamilyEndpoints] = {
    ApiFamily.MARKET: FamilyEndpoints("/api/v1/jobs/createTask", "/api/v1/jobs/recordInfo"),
    ApiFamily.VEO: FamilyEndpoints("/api/v1/veo/generate", "/api/v1/veo/record-info"),
    ApiFamily.SUNO: FamilyEndpoints("/api/v1/generate", "/api/v1/generate/record-info"),
    ApiFamily.MIDJOURNEY: FamilyEndpoints("/api/v1/mj/generate", "/api/v1/mj/record-info"),
    ApiFamily.GPT4O_IMAGE: FamilyEndpoints(
        "/api/v1/gpt4o-image/generate", "/api/v1/gpt4o-image/record-info"
    ),
    ApiFamily.FLUX_KONTEXT: FamilyEndpoints(
        "/api/v1/flux/kontext/generate", "/api/v1/flux/kontext/record-info"
    ),
    ApiFamily.RUNWAY: FamilyEndpoints("/api/v1/runway/generate", "/api/v1/runway/record-detail"),
    ApiFamily.ALEPH: FamilyEndpoints("/api/v1/aleph/generate", "/api/v1/aleph/record-info"),
}

# Generation host, account calls.
CREDITS_PATH = "/api/v1/chat/credit"
DOWNLOAD_URL_PATH = "/api/v1/common/download-url"
VEO_1080P_PATH = "/api/v1/veo/get-1080p-video"

# Upload host.
UPLOAD_STREAM_PATH = "/api/file-stream-upload"
UPLOAD_URL_PATH = "/api/file-url-upload"
UPLOAD_BASE64_PATH = "/api/file-base64-upload"
