"""The upload host: /api/file-stream-upload, /api/file-url-upload, /api/file-base64-upload.

Files land under the state's storage folder at `uploadPath/fileName` (the same pair
overwrites, as on Kie) and are served back at their downloadUrl. Every write goes to a
temporary file beside the target and is renamed into place, so a reader never sees a
half-written file.
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
import os
import re
import tempfile
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO
from urllib.parse import quote, unquote, urlsplit

import httpx
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from app.simulator.envelope import SimError, base_url_for, envelope
from app.simulator.netguard import is_loopback_url, loopback_client
from app.simulator.pipeline import read_json_object
from app.simulator.state import BlockedContact, SimulatorState, UploadedFile

CHUNK_BYTES = 1024 * 1024
URL_FETCH_TIMEOUT_SECONDS = 30.0
_SAFE_SEGMENT = re.compile(r"^[A-Za-z0-9._\- ()@+=,]+$")
_MAGIC = (
    (b"\x89PNG", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF8", "image/gif"),
    (b"RIFF", "audio/wav"),
    (b"ID3", "audio/mpeg"),
    (b"%PDF", "application/pdf"),
)


def _clean_segment(segment: str, field: str) -> str:
    if segment in ("", ".", "..") or not _SAFE_SEGMENT.match(segment):
        raise SimError(422, f"{field} contains an invalid path segment: {segment!r}")
    return segment


def clean_upload_path(value: Any) -> str:
    if not isinstance(value, str) or not value.strip("/ "):
        raise SimError(422, "uploadPath is required")
    return "/".join(_clean_segment(part, "uploadPath") for part in value.strip("/").split("/"))


def clean_file_name(value: Any, fallback: str) -> str:
    name = value if isinstance(value, str) and value.strip() else fallback
    return _clean_segment(PurePosixPath(name).name, "fileName")


def _mime_type(name: str, declared: str | None, head: bytes) -> str:
    guessed, _ = mimetypes.guess_type(name)
    if guessed:
        return guessed
    for magic, mime in _MAGIC:
        if head.startswith(magic):
            return mime
    return declared or "application/octet-stream"


class _StagedFile:
    """A temporary file beside the destination, renamed into place by `commit`."""

    def __init__(self, state: SimulatorState, upload_path: str) -> None:
        self.directory = state.uploads_dir / upload_path
        self.directory.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=self.directory, suffix=".part")
        self.path = Path(name)
        self.stream: BinaryIO = os.fdopen(handle, "wb")
        self.size = 0
        self.head = b""

    def write(self, chunk: bytes) -> None:
        if len(self.head) < 16:
            self.head += chunk[: 16 - len(self.head)]
        self.stream.write(chunk)
        self.size += len(chunk)

    def discard(self) -> None:
        self.stream.close()
        self.path.unlink(missing_ok=True)

    def commit(
        self,
        state: SimulatorState,
        request: Request,
        upload_path: str,
        file_name: str,
        declared_type: str | None,
    ) -> Response:
        self.stream.close()
        destination = self.directory / file_name
        os.replace(self.path, destination)
        key = f"{upload_path}/{file_name}"
        uploaded = UploadedFile(
            key,
            destination,
            self.size,
            _mime_type(file_name, declared_type, self.head),
            datetime.now(timezone.utc),
        )
        state.uploads[key] = uploaded
        base = base_url_for(request, state.config)
        data = {
            "fileName": file_name,
            "filePath": key,
            "downloadUrl": f"{base}/sim/files/{quote(key)}",
            "fileSize": uploaded.size,
            "mimeType": uploaded.mime_type,
            "uploadedAt": uploaded.uploaded_at.isoformat().replace("+00:00", "Z"),
        }
        return envelope(state.config, 200, "File uploaded successfully", data, upload=True)


async def stream_upload(request: Request, state: SimulatorState) -> Response:
    # Starlette's multipart parser (python-multipart) spools file parts to disk past
    # 1 MiB; the part is then copied chunk by chunk, never held whole in memory.
    async with request.form(max_files=1, max_fields=16) as form:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise SimError(422, "file is required")
        upload_path = clean_upload_path(form.get("uploadPath"))
        file_name = clean_file_name(
            form.get("fileName"), upload.filename or f"upload-{state.rng.getrandbits(32):08x}"
        )
        staged = _StagedFile(state, upload_path)
        try:
            while chunk := await upload.read(CHUNK_BYTES):
                staged.write(chunk)
        except BaseException:
            staged.discard()
            raise
        return staged.commit(state, request, upload_path, file_name, upload.content_type)


async def url_upload(request: Request, state: SimulatorState) -> Response:
    body = await read_json_object(request)
    file_url = body.get("fileUrl")
    if not isinstance(file_url, str) or not file_url:
        raise SimError(422, "fileUrl is required")
    upload_path = clean_upload_path(body.get("uploadPath"))
    fallback_name = (
        unquote(PurePosixPath(urlsplit(file_url).path).name) or f"download-{state.rng.getrandbits(32):08x}"
    )
    file_name = clean_file_name(body.get("fileName"), fallback_name)
    if not is_loopback_url(file_url):
        state.blocked_contacts.append(BlockedContact(file_url, "file-url-upload", datetime.now(timezone.utc)))
        raise SimError(
            451, "File download failed: the simulator only fetches loopback URLs (request recorded)"
        )
    staged = _StagedFile(state, upload_path)
    try:
        async with loopback_client(URL_FETCH_TIMEOUT_SECONDS) as client:
            async with client.stream("GET", file_url) as response:
                if response.status_code != 200:
                    raise SimError(451, f"File download failed: HTTP {response.status_code}")
                declared = response.headers.get("content-type", "").split(";")[0] or None
                async for chunk in response.aiter_bytes(CHUNK_BYTES):
                    staged.write(chunk)
    except httpx.HTTPError as error:
        staged.discard()
        raise SimError(451, f"File download failed: {type(error).__name__}") from None
    except BaseException:
        staged.discard()
        raise
    return staged.commit(state, request, upload_path, file_name, declared)


def _decode_base64(value: Any) -> tuple[bytes, str | None]:
    """Raw base64 or a `data:<mime>;base64,<payload>` URL -> (bytes, declared mime)."""
    if not isinstance(value, str) or not value:
        raise SimError(422, "base64Data is required")
    declared = None
    if value.startswith("data:"):
        header, _, value = value.partition(",")
        declared = header[5:].split(";")[0] or None
    try:
        return base64.b64decode("".join(value.split()), validate=True), declared
    except (binascii.Error, ValueError):
        raise SimError(422, "base64Data is not valid base64") from None


async def base64_upload(request: Request, state: SimulatorState) -> Response:
    body = await read_json_object(request)
    content, declared = _decode_base64(body.get("base64Data"))
    upload_path = clean_upload_path(body.get("uploadPath"))
    extension = mimetypes.guess_extension(declared or "") or ".bin"
    file_name = clean_file_name(body.get("fileName"), f"upload-{state.rng.getrandbits(32):08x}{extension}")
    staged = _StagedFile(state, upload_path)
    staged.write(content)
    return staged.commit(state, request, upload_path, file_name, declared)
