"""Mirroring one task against a real file host on loopback: what is kept, what is
refused and why, what failed, and that nothing half-written stays behind."""

from __future__ import annotations

import pytest

from app.results.mirror import EXPIRED_DETAIL, mirror_task
from app.results.sources import guarded_client
from app.results.storage import PARTIAL_DIR, results_root
from app.store.models import ResultState
from tests.results.support import (
    PNG, file_host, files_in, mirror_config, old, result_rows, succeeded_task,
)

pytestmark = pytest.mark.asyncio

MIRRORED, REFUSED, FAILED = ResultState.MIRRORED, ResultState.REFUSED, ResultState.FAILED

# path on the provider's host → (state, words the reason must contain)
CASES = {
    "/png": (MIRRORED, None),
    "/png-octet": (MIRRORED, None),        # no declared type: the bytes decide
    "/redirect-same": (MIRRORED, None),    # a redirect within the provider's origin
    "/flaky": (MIRRORED, None),            # 503 twice, then the file: tried again
    "/html-as-png": (REFUSED, "not a recognisable image"),
    "/png-as-html": (REFUSED, "text/html"),
    "/big": (REFUSED, "over the"),         # by Content-Length, before the body
    "/big-stream": (REFUSED, "over the"),  # no Content-Length: by the bytes counted
    "/gone": (FAILED, "HTTP 404"),
    "/truncated": (FAILED, "broke off"),   # fewer bytes than declared
}


async def _mirror(db, task_id, config, http=None):
    async with (http or guarded_client(config.exempt)) as client:
        return await mirror_task(task_id, db=db, http=client, config=config)


async def test_each_result_gets_one_row_saying_what_became_of_it(db_engine, tmp_path):
    storage = tmp_path / "files"
    with file_host() as provider, file_host() as elsewhere:
        unreachable = {
            # Another host than the URL the provider returned, reached by a redirect.
            provider.url(f"/redirect-to?to={elsewhere.url('/png')}"): (REFUSED, "another host"),
            # The provider's host by another name: checked on the address connected to.
            provider.url("/png").replace("127.0.0.1", "localhost"): (REFUSED, "private or local"),
            "http://10.1.2.3/result.png": (REFUSED, "private or local"),
            "http://169.254.169.254/latest/meta-data": (REFUSED, "private or local"),
            "file:///etc/passwd": (REFUSED, "not an http(s) URL"),
            "ftp://example.com/a.png": (REFUSED, "not an http(s) URL"),
        }
        expected = {provider.url(path): case for path, case in CASES.items()} | unreachable
        urls = list(expected)
        task_id = succeeded_task(db_engine, urls)
        config = mirror_config(storage, provider, elsewhere)

        written = await _mirror(db_engine, task_id, config)

        rows = result_rows(db_engine, task_id)
        assert [r.position for r in rows] == list(range(len(urls)))
        assert len(written) == len(urls)
        for row in rows:
            state, words = expected[row.source_url]
            assert row.state is state, (row.source_url, row.detail)
            if words:
                assert words in row.detail, (row.source_url, row.detail)
            if state is MIRRORED:
                stored = storage / row.storage_path
                assert stored.read_bytes() == PNG
                assert (row.size_bytes, row.mime_type) == (len(PNG), "image/png")
                assert row.storage_path.startswith("results/") and "png" not in row.storage_path[:-4]
            else:
                assert row.storage_path is None and row.sha256 is None

        # Refusals are final (asked once); passing failures were asked again.
        assert provider.hits["/big-stream"] == 1 and provider.hits["/html-as-png"] == 1
        assert provider.hits["/truncated"] == 3 and provider.hits["/flaky"] == 3
        assert elsewhere.hits["/png"] == 0, "the other host was never contacted"
        # Only the one /png download and the redirect's target reached /png.
        assert provider.hits["/png"] == 2

        # Nothing half-written: the files on disk are exactly the mirrored rows' files.
        kept = sorted(storage / r.storage_path for r in rows if r.state is MIRRORED)
        assert files_in(storage) == kept
        assert not list((results_root(storage) / PARTIAL_DIR).iterdir())

        # A second run does nothing: no request, no row.
        before = sum(provider.hits.values())
        assert await _mirror(db_engine, task_id, config) == []
        assert sum(provider.hits.values()) == before
        assert len(result_rows(db_engine, task_id)) == len(urls)


async def test_the_bytes_must_match_the_tasks_media_kind(db_engine, tmp_path):
    tmp_path = tmp_path / "files"
    with file_host() as provider:
        task_id = succeeded_task(db_engine, [provider.url("/png-octet")], media_kind="video")
        await _mirror(db_engine, task_id, mirror_config(tmp_path, provider))
    [row] = result_rows(db_engine, task_id)
    assert row.state is REFUSED and "image/png, not video" in row.detail
    assert files_in(tmp_path) == []


async def test_a_download_past_its_deadline_fails_and_leaves_no_file(db_engine, tmp_path):
    tmp_path = tmp_path / "files"
    with file_host() as provider:
        task_id = succeeded_task(db_engine, [provider.url("/slow")])
        config = mirror_config(tmp_path, provider, timeout_seconds=0.5)
        await _mirror(db_engine, task_id, config)
    [row] = result_rows(db_engine, task_id)
    assert row.state is FAILED and "longer than 0.5 s" in row.detail
    assert files_in(tmp_path) == []


async def test_files_kie_no_longer_keeps_are_not_fetched(db_engine, tmp_path):
    with file_host() as provider:
        expired = succeeded_task(db_engine, [provider.url("/png")], completed_at=old(15))
        flagged = succeeded_task(db_engine, [provider.url("/png")],
                                 result_json={"media_expired": True})
        config = mirror_config(tmp_path, provider)
        await _mirror(db_engine, expired, config)
        await _mirror(db_engine, flagged, config)
        assert provider.hits["/png"] == 0
    for task_id in (expired, flagged):
        [row] = result_rows(db_engine, task_id)
        assert (row.state, row.detail) == (FAILED, EXPIRED_DETAIL)
