"""Reading the upload host's answer into an `UploadedRemoteFile`."""

from __future__ import annotations

import base64
from typing import Any

from app.providers.kie.errors import KieMalformedResponseError
from app.providers.kie.normalize.fields import as_int, as_text, first_present, parse_time
from app.providers.kie.types import UploadedRemoteFile


def parse_uploaded_file(data: Any) -> UploadedRemoteFile:
    """`data` of an upload answer. Only `downloadUrl` is required (the contract says
    to rely on it); every other field is optional."""
    if not isinstance(data, dict):
        raise KieMalformedResponseError("upload answer has no data object", body=data)
    download_url = as_text(first_present(data, "downloadUrl", "download_url", "fileUrl", "url"))
    if not download_url:
        raise KieMalformedResponseError("upload answer has no downloadUrl", body=data)
    return UploadedRemoteFile(
        download_url=download_url,
        file_name=as_text(first_present(data, "fileName", "file_name")),
        file_path=as_text(first_present(data, "filePath", "file_path")),
        size=as_int(first_present(data, "fileSize", "size")),
        mime_type=as_text(first_present(data, "mimeType", "mime_type")),
        uploaded_at=parse_time(first_present(data, "uploadedAt", "uploadTime")),
        expires_at=parse_time(first_present(data, "expiresAt", "expireTime")),
        raw=data,
    )


def base64_payload(data: str | bytes) -> str:
    """What `base64Data` carries: text is sent as given (raw base64 or a `data:` URL),
    bytes are encoded here."""
    if isinstance(data, bytes):
        return base64.b64encode(data).decode("ascii")
    return data
