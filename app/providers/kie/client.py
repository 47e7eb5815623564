"""The async Kie.ai client: one pooled `httpx.AsyncClient`, one retry policy.

Creates are sent exactly once (they cost money); every other call is safe to repeat
and goes through `RetryPolicy`. Every failure is a `KieError` (see errors.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from app.providers.kie.endpoints import (
    CREDITS_PATH,
    DOWNLOAD_URL_PATH,
    FAMILY_ENDPOINTS,
    UPLOAD_BASE64_PATH,
    UPLOAD_STREAM_PATH,
    UPLOAD_URL_PATH,
    VEO_1080P_PATH,
)
from app.providers.kie.envelope import Envelope, decode_json_body, read_envelope
from app.providers.kie.errors import (
    KieMalformedResponseError,
    KieUnknownOutcomeError,
)
from app.providers.kie.families import ApiFamily
from app.providers.kie.multipart import StreamingFileMultipart
from app.providers.kie.normalize import normalize_task
from app.providers.kie.normalize.fields import as_float, as_text, first_present
from app.providers.kie.retry import RetryPolicy
from app.providers.kie.transport import create_call_error, safe_call_error
from app.providers.kie.types import TaskSnapshot, UploadedRemoteFile
from app.providers.kie.uploads import base64_payload, parse_uploaded_file

# Gateway answers that say the back end was asked but did not answer in time: a create
# behind them may well have been accepted.
_GATEWAY_UNKNOWN_STATUSES = frozenset({502, 504})


class KieClient:
    """Talks to Kie's generation host and upload host. Create one per process."""

    def __init__(
        self,
        api_key: str,
        base_url: str,
        upload_base_url: str,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        # str() so pydantic's HttpUrl from settings can be passed as-is.
        self.base_url = str(base_url).rstrip("/")
        self.upload_base_url = str(upload_base_url).rstrip("/")
        self.retry = retry or RetryPolicy()
        self._http = httpx.AsyncClient(
            headers={
                "Authorization": f"Bearer {api_key}",
                "Accept": "application/json",
                "User-Agent": "atelier-kie-client",
            },
            timeout=httpx.Timeout(timeout),
            transport=transport,
            # Kie's result hosts are never fetched through this client; a redirect
            # on an API call would be a misconfiguration worth seeing.
            follow_redirects=False,
        )

    def __repr__(self) -> str:  # never show the key
        return f"KieClient(base_url={self.base_url!r}, upload_base_url={self.upload_base_url!r})"

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> KieClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # --- generation ---------------------------------------------------------------

    async def create_task(
        self, family: ApiFamily, body: dict[str, Any], callback_url: str | None = None,
        api_key: str | None = None,
    ) -> str:
        """Submit a generation; return Kie's task id. Sent once, never retried.

        Raises `KieUnknownOutcomeError` when Kie may have accepted the task but the
        answer was lost, and a plain `KieConnectionError`/`KieTimeoutError` only when
        the request certainly never left (so resubmitting is safe).
        """
        url = self.base_url + FAMILY_ENDPOINTS[family].create_path
        payload = dict(body)
        if callback_url:
            payload["callBackUrl"] = callback_url
        what = f"create {family.value} task"
        try:
            response = await self._http.post(url, json=payload, headers=_key_header(api_key))
        except httpx.RequestError as exc:
            raise create_call_error(exc, what) from exc

        if response.status_code in _GATEWAY_UNKNOWN_STATUSES and not _has_envelope(response):
            raise KieUnknownOutcomeError(
                f"{what}: gateway answered HTTP {response.status_code}; the task may exist",
                http_status=response.status_code,
            )
        try:
            envelope = read_envelope(response)
        except KieMalformedResponseError as exc:
            raise KieUnknownOutcomeError(
                f"{what}: the answer could not be read; the task may exist",
                http_status=response.status_code,
                body=exc.body,
            ) from exc

        data = envelope.data if isinstance(envelope.data, dict) else {}
        task_id = as_text(first_present(data, "taskId", "task_id"))
        if not task_id:
            raise KieUnknownOutcomeError(
                f"{what}: Kie accepted the request but sent no task id",
                code=envelope.code,
                http_status=response.status_code,
                body=envelope.raw,
            )
        return task_id

    async def get_task(self, family: ApiFamily, task_id: str,
                       api_key: str | None = None) -> TaskSnapshot:
        """Ask Kie where a task stands (the authoritative answer). `api_key`: the key
        the task was created with, when it is not the client's own (a person's key)."""
        url = self.base_url + FAMILY_ENDPOINTS[family].status_path

        async def attempt() -> TaskSnapshot:
            envelope = await self._call("GET", url, params={"taskId": task_id},
                                        headers=_key_header(api_key))
            return normalize_task(family, envelope.data)

        return await self.retry.run(attempt)

    async def get_veo_1080p(self, task_id: str, index: int = 0) -> str:
        """The 1080p rendition of a finished Veo 16:9 video."""
        envelope = await self._safe(
            "GET", self.base_url + VEO_1080P_PATH, params={"taskId": task_id, "index": index}
        )
        data = envelope.data
        url = as_text(data) if isinstance(data, str) else None
        if isinstance(data, dict):
            url = as_text(first_present(data, "resultUrl", "url"))
        if not url:
            raise KieMalformedResponseError("1080p answer has no resultUrl", body=envelope.raw)
        return url

    # --- account ------------------------------------------------------------------

    async def get_credits(self, api_key: str | None = None) -> float:
        """Remaining credits on the account (of `api_key`, when given)."""
        envelope = await self._safe("GET", self.base_url + CREDITS_PATH,
                                    headers=_key_header(api_key))
        data = envelope.data
        if isinstance(data, dict):
            data = first_present(data, "credits", "balance", "remainingCredits")
        credits = as_float(data)
        if credits is None:
            raise KieMalformedResponseError("credit answer is not a number", body=envelope.raw)
        return credits

    async def get_download_url(self, url: str) -> str:
        """A short-lived (20 minutes) direct download URL for a Kie-generated file."""
        envelope = await self._safe("POST", self.base_url + DOWNLOAD_URL_PATH, json={"url": url})
        data = envelope.data
        if isinstance(data, dict):
            data = first_present(data, "url", "downloadUrl")
        download_url = as_text(data) if isinstance(data, str) else None
        if not download_url:
            raise KieMalformedResponseError("download-url answer has no URL", body=envelope.raw)
        return download_url

    # --- uploads (idempotent: the same path and name overwrite) ---------------------

    async def upload_file_stream(
        self, path: Path, upload_path: str, file_name: str | None = None,
        api_key: str | None = None,
    ) -> UploadedRemoteFile:
        """Upload a local file as a streamed multipart body (never read whole)."""
        fields = {"uploadPath": upload_path}
        if file_name:
            fields["fileName"] = file_name
        body = StreamingFileMultipart(
            fields=fields,
            file_field="file",
            path=Path(path),
            file_name=file_name or Path(path).name,
        )
        envelope = await self._safe(
            "POST",
            self.upload_base_url + UPLOAD_STREAM_PATH,
            content=body,
            headers={**body.headers, **(_key_header(api_key) or {})},
        )
        return parse_uploaded_file(envelope.data)

    async def upload_file_url(
        self, file_url: str, upload_path: str, file_name: str | None = None
    ) -> UploadedRemoteFile:
        """Have Kie fetch a public URL into its upload store (30 s limit on Kie's side)."""
        payload = {"fileUrl": file_url, "uploadPath": upload_path}
        if file_name:
            payload["fileName"] = file_name
        envelope = await self._safe("POST", self.upload_base_url + UPLOAD_URL_PATH, json=payload)
        return parse_uploaded_file(envelope.data)

    async def upload_file_base64(
        self, data: str | bytes, upload_path: str, file_name: str | None = None
    ) -> UploadedRemoteFile:
        """Upload small content inline: bytes, raw base64 text, or a `data:` URL."""
        payload = {"base64Data": base64_payload(data), "uploadPath": upload_path}
        if file_name:
            payload["fileName"] = file_name
        envelope = await self._safe("POST", self.upload_base_url + UPLOAD_BASE64_PATH, json=payload)
        return parse_uploaded_file(envelope.data)

    # --- plumbing -------------------------------------------------------------------

    async def _call(self, method: str, url: str, **kwargs: Any) -> Envelope:
        """One attempt of a safe call: send, then read the envelope."""
        try:
            response = await self._http.request(method, url, **kwargs)
        except httpx.RequestError as exc:
            raise safe_call_error(exc, f"{method} {httpx.URL(url).path}") from exc
        return read_envelope(response)

    async def _safe(self, method: str, url: str, **kwargs: Any) -> Envelope:
        return await self.retry.run(lambda: self._call(method, url, **kwargs))


def _key_header(api_key: str | None) -> dict[str, str] | None:
    """Headers for one request made with another key than the client's own."""
    return {"Authorization": f"Bearer {api_key}"} if api_key else None


def _has_envelope(response: httpx.Response) -> bool:
    try:
        payload = decode_json_body(response)
    except ValueError:
        return False
    return isinstance(payload, dict) and "code" in payload
