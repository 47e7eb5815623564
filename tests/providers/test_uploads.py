"""Uploads: streamed multipart from disk, URL and base64 variants, answer parsing."""

from __future__ import annotations

import base64
import json
import os
from datetime import datetime, timezone
from email import policy
from email.parser import BytesParser
from pathlib import Path

import httpx
import pytest

from app.providers.kie import KieMalformedResponseError, UploadedRemoteFile
from app.providers.kie.multipart import CHUNK_SIZE

from .fakes import API_KEY, UPLOAD_BASE_URL, Recorder, fast_retry, make_client, ok

UPLOAD_ANSWER = {
    "fileName": "ref.png",
    "filePath": "atelier/2025/ref.png",
    "downloadUrl": "https://tempfile.redpandaai.co/atelier/2025/ref.png",
    "fileSize": 300_000,
    "mimeType": "image/png",
    "uploadedAt": "2025-01-01T12:00:00.000Z",
}


class StreamConsumingTransport(httpx.AsyncBaseTransport):
    """Reads each request body chunk by chunk, as a server would, and answers from a list."""

    def __init__(self, *answers: httpx.Response) -> None:
        self.answers = list(answers)
        self.bodies: list[bytes] = []
        self.chunk_sizes: list[list[int]] = []
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        sizes: list[int] = []
        received = bytearray()
        async for chunk in request.stream:
            sizes.append(len(chunk))
            received.extend(chunk)
        self.requests.append(request)
        self.bodies.append(bytes(received))
        self.chunk_sizes.append(sizes)
        answer = self.answers[min(len(self.bodies), len(self.answers)) - 1]
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)


def parse_form(request: httpx.Request, body: bytes) -> dict[str, tuple[str | None, bytes]]:
    """name -> (filename, bytes), read with the standard library's MIME parser."""
    head = f"Content-Type: {request.headers['Content-Type']}\r\n\r\n".encode()
    message = BytesParser(policy=policy.default).parsebytes(head + body)
    return {
        part.get_param("name", header="content-disposition"): (
            part.get_filename(),
            part.get_payload(decode=True),
        )
        for part in message.iter_parts()
    }


@pytest.fixture
def big_file(tmp_path: Path) -> tuple[Path, bytes]:
    content = os.urandom(5 * CHUNK_SIZE + 123)
    path = tmp_path / "ref.png"
    path.write_bytes(content)
    return path, content


@pytest.mark.asyncio
async def test_stream_upload_sends_the_file_in_chunks_and_intact(big_file, monkeypatch):
    path, content = big_file

    original_read_bytes = Path.read_bytes

    def refuse_whole_read(self: Path) -> bytes:
        if self == path:
            raise AssertionError("the whole file must not be read at once")
        return original_read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", refuse_whole_read)
    transport = StreamConsumingTransport(ok(UPLOAD_ANSWER))
    async with make_client(transport) as client:
        uploaded = await client.upload_file_stream(path, "atelier/2025", file_name="ref.png")

    request, body = transport.requests[0], transport.bodies[0]
    assert str(request.url) == f"{UPLOAD_BASE_URL}/api/file-stream-upload"
    assert request.headers["Authorization"] == f"Bearer {API_KEY}"
    assert int(request.headers["Content-Length"]) == len(body)
    assert "Transfer-Encoding" not in request.headers
    sizes = transport.chunk_sizes[0]
    assert len(sizes) > 5 and max(sizes) <= CHUNK_SIZE
    form = parse_form(request, body)
    assert form["uploadPath"] == (None, b"atelier/2025")
    assert form["fileName"] == (None, b"ref.png")
    assert form["file"] == ("ref.png", content)
    assert uploaded == UploadedRemoteFile(
        download_url="https://tempfile.redpandaai.co/atelier/2025/ref.png",
        file_name="ref.png",
        file_path="atelier/2025/ref.png",
        size=300_000,
        mime_type="image/png",
        uploaded_at=datetime(2025, 1, 1, 12, 0, tzinfo=timezone.utc),
        raw=UPLOAD_ANSWER,
    )


@pytest.mark.asyncio
async def test_stream_upload_defaults_the_name_and_content_type(big_file):
    path, content = big_file
    transport = StreamConsumingTransport(ok({"downloadUrl": "https://tempfile.test/x"}))
    async with make_client(transport) as client:
        uploaded = await client.upload_file_stream(path, "atelier/in")
    form = parse_form(transport.requests[0], transport.bodies[0])
    assert "fileName" not in form
    assert form["file"] == ("ref.png", content)
    assert b"Content-Type: image/png" in transport.bodies[0][:1000]
    # Only downloadUrl is promised; everything else may be missing.
    assert uploaded.download_url == "https://tempfile.test/x"
    assert (uploaded.size, uploaded.uploaded_at, uploaded.file_name) == (None, None, None)


@pytest.mark.asyncio
async def test_stream_upload_is_retried_with_the_whole_file_again(big_file):
    path, content = big_file
    transport = StreamConsumingTransport(
        httpx.Response(500, json={"code": 500, "msg": "busy"}), ok(UPLOAD_ANSWER)
    )
    async with make_client(transport) as client:
        await client.upload_file_stream(path, "atelier/in")
    assert len(transport.bodies) == 2
    assert transport.bodies[0] == transport.bodies[1]
    assert parse_form(transport.requests[1], transport.bodies[1])["file"][1] == content


@pytest.mark.asyncio
async def test_url_upload_sends_json_to_the_upload_host():
    recorder = Recorder(ok(UPLOAD_ANSWER, success=True))
    async with make_client(recorder) as client:
        uploaded = await client.upload_file_url(
            "https://example.test/cat.png", "atelier/in", file_name="cat.png"
        )
    request = recorder.requests[0]
    assert str(request.url) == f"{UPLOAD_BASE_URL}/api/file-url-upload"
    assert json.loads(request.content) == {
        "fileUrl": "https://example.test/cat.png",
        "uploadPath": "atelier/in",
        "fileName": "cat.png",
    }
    assert uploaded.download_url == UPLOAD_ANSWER["downloadUrl"]


@pytest.mark.asyncio
async def test_base64_upload_encodes_bytes_and_passes_text_through():
    recorder = Recorder(ok(UPLOAD_ANSWER, success=True))
    async with make_client(recorder) as client:
        await client.upload_file_base64(b"\x89PNG", "atelier/in", file_name="a.png")
        await client.upload_file_base64("data:image/png;base64,iVBORw==", "atelier/in")
    first, second = (json.loads(r.content) for r in recorder.requests)
    assert recorder.requests[0].url.path == "/api/file-base64-upload"
    assert first == {
        "base64Data": base64.b64encode(b"\x89PNG").decode(),
        "uploadPath": "atelier/in",
        "fileName": "a.png",
    }
    assert second == {"base64Data": "data:image/png;base64,iVBORw==", "uploadPath": "atelier/in"}


@pytest.mark.asyncio
async def test_upload_answer_without_download_url_is_malformed():
    recorder = Recorder(ok({"fileName": "a.png"}, success=True))
    async with make_client(recorder, retry=fast_retry(max_attempts=1)) as client:
        with pytest.raises(KieMalformedResponseError):
            await client.upload_file_url("https://example.test/a.png", "atelier/in")


@pytest.mark.asyncio
async def test_stream_upload_refuses_a_path_that_could_forge_form_headers(big_file):
    path, _ = big_file
    recorder = Recorder(ok(UPLOAD_ANSWER))
    async with make_client(recorder) as client:
        with pytest.raises(ValueError):
            await client.upload_file_stream(path, "atelier\r\nX-Evil: 1")
    assert recorder.count == 0
