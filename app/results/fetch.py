"""One download: streamed into a temporary file, never held in memory, and stopped as
soon as it breaks a rule (size, type, source, time). Whatever goes wrong, no temporary
file survives; on success the caller takes the file over (see mirror.py).
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import httpx

from app.results.content import SNIFF_BYTES, WrongContent, check_declared, sniff
from app.results.sources import Origin, UnsafeSource, check_redirect, check_url
from app.results.storage import new_partial

MAX_REDIRECTS = 3
CHUNK_BYTES = 256 * 1024
# Answers worth asking again a little later; any other status is final.
_TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


class Refused(Exception):
    """Not kept, on purpose: another host, too large, not the promised media."""


class Failed(Exception):
    """The download did not succeed; `transient` when trying again may help."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True)
class Fetched:
    partial: Path  # the caller's now: move it into place or delete it
    size: int
    sha256: str
    mime_type: str
    extension: str


def readable_size(size: int) -> str:
    for unit, scale in (("GiB", 1024 ** 3), ("MiB", 1024 ** 2), ("KiB", 1024)):
        if size >= scale:
            return f"{size / scale:.3g} {unit}"
    return f"{size} bytes"


async def fetch(http: httpx.AsyncClient, url: str, *, media_kind: str, max_bytes: int,
                timeout_seconds: float, storage_dir: Path,
                exempt: frozenset[Origin]) -> Fetched:
    """Download `url` (a URL the provider returned) or raise Refused / Failed."""
    partial = new_partial(storage_dir)
    handed_over = False
    try:
        try:
            async with asyncio.timeout(timeout_seconds):
                fetched = await _follow(http, url, partial, media_kind, max_bytes, exempt)
        except TimeoutError:
            raise Failed(f"the download took longer than {timeout_seconds:g} s",
                         transient=False) from None
        except (UnsafeSource, WrongContent) as refusal:
            raise Refused(str(refusal)) from None
        except httpx.InvalidURL:
            raise Refused("not a valid URL") from None
        except httpx.TimeoutException:
            raise Failed("the file host stopped answering", transient=True) from None
        except httpx.HTTPError as error:
            raise Failed(f"the download broke off ({type(error).__name__})",
                         transient=True) from None
        handed_over = True
        return fetched
    finally:
        if not handed_over:
            partial.unlink(missing_ok=True)


async def _follow(http: httpx.AsyncClient, url: str, partial: Path, media_kind: str,
                  max_bytes: int, exempt: frozenset[Origin]) -> Fetched:
    provider_origin = check_url(url, exempt)
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        async with http.stream("GET", current) as response:
            if response.is_redirect:
                location = response.headers.get("location")
                if not location:
                    raise Failed("the file host redirected nowhere", transient=False)
                current = urljoin(current, location)
                check_redirect(provider_origin, current, exempt)
                continue
            if response.status_code != 200:
                raise Failed(f"the file host answered HTTP {response.status_code}",
                             transient=response.status_code in _TRANSIENT_STATUSES)
            declared = _content_length(response)
            if declared is not None and declared > max_bytes:
                raise Refused(f"the file is {readable_size(declared)}, over the "
                              f"{readable_size(max_bytes)} limit")
            check_declared(response.headers.get("content-type"), media_kind)
            return await _receive(response, partial, media_kind, max_bytes, declared)
    raise Refused(f"more than {MAX_REDIRECTS} redirects")


async def _receive(response: httpx.Response, partial: Path, media_kind: str,
                   max_bytes: int, declared: int | None) -> Fetched:
    digest, size, head = hashlib.sha256(), 0, b""
    kind: tuple[str, str] | None = None
    with open(partial, "wb") as out:
        async for chunk in response.aiter_bytes(CHUNK_BYTES):
            size += len(chunk)
            if size > max_bytes:
                raise Refused(f"the file is over the {readable_size(max_bytes)} limit")
            if kind is None:
                head += chunk[: SNIFF_BYTES - len(head)]
                if len(head) >= SNIFF_BYTES:
                    kind = sniff(head, media_kind)  # refuse early, not after gigabytes
            digest.update(chunk)
            out.write(chunk)
    if kind is None:
        kind = sniff(head, media_kind)
    if declared is not None and size != declared:
        raise Failed("the download ended early", transient=True)
    return Fetched(partial=partial, size=size, sha256=digest.hexdigest(),
                   mime_type=kind[0], extension=kind[1])


def _content_length(response: httpx.Response) -> int | None:
    try:
        value = int(response.headers.get("content-length", ""))
    except ValueError:
        return None
    return value if value >= 0 else None
