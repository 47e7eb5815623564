"""A multipart/form-data body streamed from disk, with a known Content-Length.

httpx's own `files=` does not buffer whole files, but it reads them with blocking
calls on the event loop; this body reads fixed-size chunks in a worker thread instead,
so a 200 MB upload neither fills memory nor stalls other requests. The length is
computed up front so the upload host gets a Content-Length, not a chunked body.
"""

from __future__ import annotations

import mimetypes
import os
import secrets
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import anyio

CHUNK_SIZE = 64 * 1024


def _quote(value: str) -> str:
    # Form field parameters are quoted strings; escape what would end them
    # (same rule as browsers and httpx: quotes, backslashes, line breaks).
    return value.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


class StreamingFileMultipart:
    """Text fields followed by one file part, produced chunk by chunk.

    Each `async for` over the body opens the file afresh, so one instance can be sent
    again after a failed attempt.
    """

    def __init__(
        self,
        *,
        fields: Mapping[str, str],
        file_field: str,
        path: Path,
        file_name: str,
        content_type: str | None = None,
        chunk_size: int = CHUNK_SIZE,
        boundary: str | None = None,
    ) -> None:
        self.path = path
        self.chunk_size = chunk_size
        self.boundary = boundary or secrets.token_hex(16)
        self.file_size = os.stat(path).st_size
        self.content_type = (
            content_type or mimetypes.guess_type(file_name)[0] or "application/octet-stream"
        )
        self._head = self._render_head(fields, file_field, file_name)
        self._tail = f"\r\n--{self.boundary}--\r\n".encode()

    def _render_head(self, fields: Mapping[str, str], file_field: str, file_name: str) -> bytes:
        parts: list[str] = []
        for name, value in fields.items():
            if "\r" in value or "\n" in value:
                # A line break would let the value forge part headers.
                raise ValueError(f"form field {name!r} must not contain line breaks")
            parts.append(
                f"--{self.boundary}\r\n"
                f'Content-Disposition: form-data; name="{_quote(name)}"\r\n\r\n'
                f"{value}\r\n"
            )
        parts.append(
            f"--{self.boundary}\r\n"
            f'Content-Disposition: form-data; name="{_quote(file_field)}"; '
            f'filename="{_quote(file_name)}"\r\n'
            f"Content-Type: {self.content_type}\r\n\r\n"
        )
        return "".join(parts).encode()

    @property
    def content_length(self) -> int:
        return len(self._head) + self.file_size + len(self._tail)

    @property
    def headers(self) -> dict[str, str]:
        return {
            "Content-Type": f"multipart/form-data; boundary={self.boundary}",
            "Content-Length": str(self.content_length),
        }

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self._head
        remaining = self.file_size
        async with await anyio.open_file(self.path, "rb") as source:
            while remaining > 0:
                chunk = await source.read(min(self.chunk_size, remaining))
                if not chunk:
                    # The file shrank after its size was taken: the promised
                    # Content-Length can no longer be met, so stop loudly.
                    raise OSError(f"{self.path} changed while it was being uploaded")
                remaining -= len(chunk)
                yield chunk
        yield self._tail
