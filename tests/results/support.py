"""A tiny file host on loopback for the mirror's refusals and failures, plus helpers.

Each route plays one kind of trouble; `hits` counts requests per path, so a test can
tell "refused before connecting" from "refused after looking".
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from io import BytesIO
from pathlib import Path

import sqlalchemy as sa
from PIL import Image
from sqlmodel import Session, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from app.results.mirror import MirrorConfig
from app.results.sources import origins
from app.simulator.testing import serving_app_sync
from app.store.models import GenerationTask, ResultFile, utcnow
from app.store.status import TaskStatus
from tests.factories import make_task


def noisy_png(seed: int = 1, size: int = 96) -> bytes:
    """A PNG of a few tens of KB (noise does not compress): several chunks on the wire."""
    image = Image.frombytes("RGB", (size, size), random.Random(seed).randbytes(size * size * 3))
    buffer = BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


PNG = noisy_png()
HTML = b"<!doctype html><html><body><script>alert(1)</script>" + b" " * 9000 + b"</body></html>"


@dataclass
class FileHost:
    base_url: str
    hits: Counter = field(default_factory=Counter)
    # Set to let /slow finish; /slow otherwise trickles forever.
    release_slow: threading.Event = field(default_factory=threading.Event)
    flaky_failures: int = 2

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"


def _app(host: FileHost) -> Starlette:
    def counted(handler):
        async def endpoint(request: Request):
            host.hits[request.url.path] += 1
            return await handler(request)
        return endpoint

    async def png(request: Request):
        return Response(PNG, media_type="image/png")

    async def png_octet(request: Request):
        return Response(PNG, media_type="application/octet-stream")

    async def html_as_png(request: Request):
        return Response(HTML, media_type="image/png")

    async def png_as_html(request: Request):
        return Response(PNG, media_type="text/html")

    async def big(request: Request):  # honest Content-Length, over the test's cap
        return Response(PNG * 4, media_type="image/png")

    async def big_stream(request: Request):  # no Content-Length: the bytes must be counted
        async def body():
            for _ in range(64):
                yield PNG
        return StreamingResponse(body(), media_type="image/png")

    async def redirect_same(request: Request):
        return RedirectResponse("/png", status_code=302)

    async def redirect_to(request: Request):
        return RedirectResponse(request.query_params["to"], status_code=302)

    async def flaky(request: Request):
        if host.hits["/flaky"] <= host.flaky_failures:
            return Response("busy", status_code=503)
        return Response(PNG, media_type="image/png")

    async def gone(request: Request):
        return Response("gone", status_code=404)

    async def slow(request: Request):
        async def body():
            yield PNG[:10_000]
            while not host.release_slow.is_set():
                await asyncio.sleep(0.02)
            yield PNG[10_000:]
        return StreamingResponse(body(), media_type="image/png")

    async def plain_png(request: Request):  # /n/<anything>.png: one distinct URL per result
        return Response(PNG, media_type="image/png")

    routes = [
        Route("/png", counted(png)), Route("/png-octet", counted(png_octet)),
        Route("/html-as-png", counted(html_as_png)), Route("/png-as-html", counted(png_as_html)),
        Route("/big", counted(big)), Route("/big-stream", counted(big_stream)),
        Route("/redirect-same", counted(redirect_same)), Route("/redirect-to", counted(redirect_to)),
        Route("/flaky", counted(flaky)), Route("/gone", counted(gone)),
        Route("/slow", counted(slow)), Route("/n/{name}", counted(plain_png)),
    ]

    async def truncated(scope, receive, send):  # says 50 000 bytes, sends 20 000, hangs up
        host.hits["/truncated"] += 1
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"image/png"), (b"content-length", b"50000")]})
        await send({"type": "http.response.body", "body": PNG[:20_000], "more_body": True})
        # Returning mid-body: the server hangs up (and logs that the response was cut).

    app = Starlette(routes=routes)

    async def dispatch(scope, receive, send):
        if scope["type"] == "http" and scope["path"] == "/truncated":
            return await truncated(scope, receive, send)
        return await app(scope, receive, send)

    return dispatch


@contextlib.contextmanager
def file_host() -> Iterator[FileHost]:
    host = FileHost(base_url="")
    with serving_app_sync(_app(host)) as base_url:
        host.base_url = base_url
        try:
            yield host
        finally:
            host.release_slow.set()


def mirror_config(storage: Path, *hosts: FileHost, **overrides) -> MirrorConfig:
    """Mirroring as the engine sets it up, with the given hosts as the provider's own
    (exempt from the private-address rule, as the simulator is in demo mode)."""
    values = dict(storage_dir=storage, max_bytes=len(PNG) * 2, timeout_seconds=10.0,
                  retention_days=14.0, exempt=origins(h.base_url for h in hosts),
                  retry_delays=(0.0, 0.0))
    values.update(overrides)
    return MirrorConfig(**values)


def succeeded_task(db: sa.Engine, urls: list[str], **overrides) -> str:
    now = utcnow()
    values = dict(status=TaskStatus.SUCCEEDED, result_urls=urls, completed_at=now,
                  provider_task_id=None)
    values.update(overrides)
    task = make_task(**values)
    with Session(db, expire_on_commit=False) as session:
        session.add(task)
        session.commit()
    return task.id


def result_rows(db: sa.Engine, task_id: str | None = None) -> list[ResultFile]:
    with Session(db, expire_on_commit=False) as session:
        query = select(ResultFile).order_by(ResultFile.task_id, ResultFile.position)
        if task_id is not None:
            query = query.where(ResultFile.task_id == task_id)
        return list(session.exec(query).all())


def files_in(storage: Path) -> list[Path]:
    return sorted(p for p in storage.rglob("*") if p.is_file())


def old(days: float) -> object:
    return utcnow() - timedelta(days=days)


def task_row(db: sa.Engine, task_id: str) -> GenerationTask:
    with Session(db, expire_on_commit=False) as session:
        return session.get(GenerationTask, task_id)


class _Everyone:
    def may_read(self, owner_id: str | None) -> bool:
        return True


@contextlib.contextmanager
def results_server(db: sa.Engine, storage: Path, access=None) -> Iterator[str]:
    """Atelier's results route alone, on loopback, reading this test's database and
    storage (through the route's own dependencies)."""
    from fastapi import FastAPI

    from app.api.results_api import result_access, results_db, router, storage_dir

    api = FastAPI()
    api.include_router(router)
    api.dependency_overrides[results_db] = lambda: db
    api.dependency_overrides[storage_dir] = lambda: storage
    # Anyone may read unless the test says otherwise: these tests are about serving;
    # who may read is tested with real accounts in tests/accounts.
    api.dependency_overrides[result_access] = lambda: access or _Everyone()
    with serving_app_sync(api) as base_url:
        yield base_url
