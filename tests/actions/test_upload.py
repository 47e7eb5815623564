"""upload_generation_file: reference files go to private storage under a random name,
are checked by content, and reach Kie's upload host once.

The upload host is the real simulator on loopback (`kie`, `sim`); storage is under
tmp_path (`storage_dir`). A refused or failed upload leaves no file and no row.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import resource
import socket
import sys
import threading
import time
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import psutil
import pytest
from PIL import Image

from app.actions.result import ErrorKind
from app.actions.uploads import upload_generation_file
from app.providers.kie import KieClient
from app.store.models import UploadedFile
from tests.actions.support import chunked, count, files_under, pieces, png_bytes, upload_rows
from tests.engine.harness import FAST_RETRY

MiB = 1024 * 1024
STORED_NAME = re.compile(r"[0-9a-f]{32}\.[a-z0-9]+")
STREAM_ROUTE = "/api/file-stream-upload"


def _assert_nothing_left(storage_dir: Path, db) -> None:
    assert files_under(storage_dir) == []
    assert count(db, UploadedFile) == 0


def _unreachable_client() -> KieClient:
    """A client for a loopback port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"
    return KieClient("test-key", url, url, timeout=2.0, retry=FAST_RETRY)


@pytest.mark.asyncio
async def test_a_png_is_stored_privately_and_served_back_by_kie(db_engine, storage_dir, kie, sim):
    image = png_bytes()

    result = await upload_generation_file(chunked(image, 100), "holiday.png", client=kie,
                                          db=db_engine)

    assert result.ok, result.message
    upload = result.data
    assert upload.size_bytes == len(image)
    assert upload.sha256 == hashlib.sha256(image).hexdigest()
    assert upload.mime_type == "image/png"
    assert upload.original_name == "holiday.png"
    stored = storage_dir / "uploads" / f"{upload.id}.png"
    assert files_under(storage_dir) == [stored]
    assert stored.read_bytes() == image
    assert "holiday" not in stored.name  # a random name, not the client's
    [row] = upload_rows(db_engine)
    assert (row.id, row.storage_path, row.sha256) == (upload.id, f"uploads/{stored.name}",
                                                       upload.sha256)
    assert upload.remote_expires_at > upload.created_at
    async with httpx.AsyncClient() as browser:
        served = await browser.get(upload.remote_url)
    assert served.status_code == 200
    assert served.content == image


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (10, 120, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.mark.asyncio
async def test_a_jpeg_keeps_its_real_type_whatever_its_name(db_engine, storage_dir, kie):
    result = await upload_generation_file(chunked(_jpeg()), "scan.png", client=kie, db=db_engine)

    assert result.ok and result.data.mime_type == "image/jpeg"
    assert [p.suffix for p in files_under(storage_dir)] == [".jpg"]


HOSTILE_NAMES = [
    ("../../etc/passwd", "passwd"),
    ("..\\..\\x.png", "x.png"),
    ("/etc/cron.d/evil.png", "evil.png"),
    ("C:\\Windows\\System32\\evil.png", "evil.png"),
    ("a\x00b.png", "ab.png"),
    ("\u202egnp.exe", "gnp.exe"),  # right-to-left override dropped
    ("x" * 5000 + ".png", "x" * 255),
    ("", "upload"),
    ("../", "upload"),
    (None, "upload"),
]


@pytest.mark.asyncio
async def test_hostile_file_names_are_labels_never_paths(db_engine, storage_dir, kie, sim,
                                                         tmp_path):
    for index, (name, label) in enumerate(HOSTILE_NAMES):
        image = png_bytes((index * 20, 50, 90))  # distinct files: none is reused

        result = await upload_generation_file(chunked(image), name, client=kie, db=db_engine)

        assert result.ok, (name, result.message)
        assert result.data.original_name == label, name
        assert (storage_dir / "uploads" / f"{result.data.id}.png").read_bytes() == image
    stored = files_under(storage_dir)
    assert len(stored) == len(HOSTILE_NAMES)
    assert all(p.parent == storage_dir / "uploads" and STORED_NAME.fullmatch(p.name)
               for p in stored)
    # Nothing appeared anywhere else below the test's folder (the SQLite file aside).
    assert [p for p in files_under(tmp_path)
            if storage_dir not in p.parents and not p.name.startswith("atelier.db")] == []
    for row in upload_rows(db_engine):
        assert not set(row.original_name) & {"/", "\\", "\x00"}
        assert row.original_name.isprintable() and 0 < len(row.original_name) <= 255
    # Kie only ever sees the random name.
    assert {key.split("/", 1)[1] for key in sim.state.uploads} == {p.name for p in stored}


@pytest.mark.asyncio
@pytest.mark.parametrize("parts", [[], [b""], [b"", b"", b""]], ids=["no-chunks", "one-empty",
                                                                      "many-empty"])
async def test_an_empty_file_is_refused_and_leaves_nothing(db_engine, storage_dir, kie, sim, parts):
    result = await upload_generation_file(pieces(parts), "empty.png", client=kie, db=db_engine)

    assert result.error_kind is ErrorKind.INVALID_PARAMS
    assert "empty" in result.message
    assert [p.field for p in result.field_errors] == ["file"]
    _assert_nothing_left(storage_dir, db_engine)
    assert sim.state.route_counts[STREAM_ROUTE] == 0


@pytest.mark.asyncio
async def test_an_oversize_file_is_cut_off_and_leaves_nothing(db_engine, storage_dir, upload_limit,
                                                              kie, sim):
    upload_limit(64 * 1024)
    pulled = 0
    body = png_bytes() + os.urandom(200 * 1024)

    async def counted() -> AsyncIterator[bytes]:
        nonlocal pulled
        async for part in chunked(body, 16 * 1024):
            pulled += 1
            yield part

    result = await upload_generation_file(counted(), "huge.png", client=kie, db=db_engine)

    assert result.error_kind is ErrorKind.TOO_LARGE
    assert result.error_kind.http_status == 413
    assert "64 KB" in result.message
    assert pulled <= 5  # stopped reading at the limit, not at the end of the file
    _assert_nothing_left(storage_dir, db_engine)
    assert sim.state.route_counts[STREAM_ROUTE] == 0


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "not an image")
    return buffer.getvalue()


DISGUISED = {
    "text": b"just some notes, not a picture\n" * 20,
    "zip": _zip(),
    "executable": Path(os.path.realpath(sys.executable)).read_bytes()[:16384],
    "pdf": b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n",
    "html": b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
}


@pytest.mark.asyncio
@pytest.mark.parametrize("kind", sorted(DISGUISED))
async def test_a_non_media_file_named_png_is_refused_and_leaves_nothing(db_engine, storage_dir,
                                                                        kie, sim, kind):
    result = await upload_generation_file(chunked(DISGUISED[kind]), "photo.png", client=kie,
                                          db=db_engine)

    assert result.error_kind is ErrorKind.UNSUPPORTED_MEDIA
    assert result.error_kind.http_status == 415
    assert "content was checked" in result.message
    _assert_nothing_left(storage_dir, db_engine)
    assert sim.state.route_counts[STREAM_ROUTE] == 0


@pytest.mark.asyncio
async def test_the_same_file_twice_is_sent_to_kie_once(db_engine, storage_dir, kie, sim):
    image = png_bytes((1, 2, 3))

    first = await upload_generation_file(chunked(image), "a.png", client=kie, db=db_engine)
    second = await upload_generation_file(chunked(image, 7), "b.png", client=kie, db=db_engine)

    assert first.ok and second.ok
    assert second.data.id == first.data.id
    assert second.data.remote_url == first.data.remote_url
    assert "reused" in second.message
    assert sim.state.route_counts[STREAM_ROUTE] == 1
    assert len(sim.state.uploads) == 1
    assert count(db_engine, UploadedFile) == 1
    assert len(files_under(storage_dir)) == 1  # the second copy was not kept

    # Another person's identical file is their own upload.
    theirs = await upload_generation_file(chunked(image), "a.png", owner_id="someone-else",
                                          client=kie, db=db_engine)
    assert theirs.ok and theirs.data.id != first.data.id
    assert sim.state.route_counts[STREAM_ROUTE] == 2


@pytest.mark.asyncio
@pytest.mark.parametrize("failure", ["unreachable", "key-refused", "garbled-answer"])
async def test_when_kie_fails_the_upload_nothing_is_left(db_engine, storage_dir, kie, sim, failure):
    client = kie
    expected = ErrorKind.PROVIDER_UNAVAILABLE
    if failure == "unreachable":
        client = _unreachable_client()
    elif failure == "key-refused":
        sim.config.api_key = "another-key"
        expected = ErrorKind.UNAUTHORIZED
    else:
        sim.config.malformed_json_rate = 1.0
    try:
        result = await upload_generation_file(chunked(png_bytes()), "a.png", client=client,
                                              db=db_engine)
    finally:
        if client is not kie:
            await client.aclose()

    assert not result.ok
    assert result.error_kind is expected, result.message
    assert result.message
    assert "keeps retrying" not in result.message  # nothing retries an upload later
    _assert_nothing_left(storage_dir, db_engine)


# The signature and header of a 1x1 PNG: enough for the content check to say image/png.
PNG_SIGNATURE = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
                 b"\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00")
BIG_UPLOAD = 500 * MiB
PEAK_GROWTH_LIMIT = 64 * MiB


class _PeakRss:
    """Samples this process's resident memory every few ms (simulator thread included)."""

    def __init__(self) -> None:
        self.process = psutil.Process()
        self.baseline = self.peak = self.process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(0.005)

    def __enter__(self) -> _PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.process.memory_info().rss)

    @property
    def growth(self) -> int:
        return self.peak - self.baseline


@pytest.mark.asyncio
async def test_a_500_mb_upload_streams_in_bounded_memory(db_engine, storage_dir, upload_limit, kie,
                                                         sim, report_figure):
    upload_limit(BIG_UPLOAD + MiB)
    block = os.urandom(MiB)
    digest = hashlib.sha256()

    async def browser_upload() -> AsyncIterator[bytes]:
        # One reused 1 MiB block: the test itself holds no more than that.
        first = PNG_SIGNATURE + block[len(PNG_SIGNATURE):]
        for index in range(BIG_UPLOAD // MiB):
            chunk = first if index == 0 else block
            digest.update(chunk)
            yield chunk

    maxrss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    started = time.perf_counter()
    with _PeakRss() as rss:
        result = await upload_generation_file(browser_upload(), "big.png", client=kie, db=db_engine)
    elapsed = time.perf_counter() - started
    maxrss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - maxrss_before
    try:
        assert result.ok, result.message
        assert result.data.size_bytes == BIG_UPLOAD
        assert result.data.sha256 == digest.hexdigest()
        [remote] = sim.state.uploads.values()
        assert remote.size == BIG_UPLOAD
        report_figure(
            f"500 MiB upload: peak RSS growth {rss.growth / MiB:.1f} MiB (sampled; "
            f"ru_maxrss growth {maxrss_growth / MiB:.1f} MiB), {elapsed:.1f} s, "
            f"{BIG_UPLOAD / MiB / elapsed:.0f} MiB/s end to end [{db_engine.dialect.name}]")
        assert rss.growth < PEAK_GROWTH_LIMIT
    finally:
        for path in files_under(storage_dir):  # do not leave 500 MB in the tmp folders
            path.unlink()
