"""The Kie-compatible simulator as one Starlette app serving both Kie hosts' paths.

Generation API under /api/v1/..., upload API under /api/file-*-upload, result media
under /sim/media/..., uploaded files under /sim/files/..., and debug views
GET /sim/state and PATCH /sim/config. Works mounted under a prefix.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncIterator
from datetime import datetime, timezone

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.providers.kie.families import ApiFamily
from app.simulator import account, generation, serving, uploads
from app.simulator.config import SimulatorConfig
from app.simulator.families import FAMILIES
from app.simulator.families.veo import VeoFamily
from app.simulator.pipeline import CallKind, Endpoint, Handler, guarded
from app.simulator.state import SimulatorState


def _routes(state: SimulatorState) -> list[Route]:
    routes: list[Route] = []
    for family in FAMILIES.values():
        create = functools.partial(generation.create_task, family=family)
        query = functools.partial(generation.query_task, family=family)
        routes.append(Route(family.create_path, guarded(state, CallKind.CREATE, create), methods=["POST"]))
        routes.append(Route(family.query_path, guarded(state, CallKind.QUERY, query), methods=["GET"]))
    veo = FAMILIES[ApiFamily.VEO]
    assert isinstance(veo, VeoFamily)
    full_hd = functools.partial(generation.veo_full_hd, family=veo)
    routes += [
        Route("/api/v1/veo/get-1080p-video", guarded(state, CallKind.QUERY, full_hd), methods=["GET"]),
        Route("/api/v1/chat/credit", guarded(state, CallKind.ACCOUNT, account.credit), methods=["GET"]),
        Route(
            "/api/v1/common/download-url",
            guarded(state, CallKind.ACCOUNT, account.download_url),
            methods=["POST"],
        ),
        Route(
            "/api/file-stream-upload",
            guarded(state, CallKind.UPLOAD, uploads.stream_upload),
            methods=["POST"],
        ),
        Route("/api/file-url-upload", guarded(state, CallKind.UPLOAD, uploads.url_upload), methods=["POST"]),
        Route(
            "/api/file-base64-upload",
            guarded(state, CallKind.UPLOAD, uploads.base64_upload),
            methods=["POST"],
        ),
        Route("/sim/media/{task_id}/{name}", _plain(state, serving.get_media), methods=["GET", "HEAD"]),
        Route("/sim/files/{path:path}", _plain(state, serving.get_uploaded_file), methods=["GET", "HEAD"]),
    ]
    if state.config.debug_routes:
        routes += [
            Route("/sim/state", _plain(state, serving.get_state), methods=["GET"]),
            Route("/sim/config", _plain(state, serving.patch_config), methods=["PATCH"]),
        ]
    return routes


def _plain(state: SimulatorState, handler: Handler) -> Endpoint:
    """An endpoint outside the API pipeline (no auth, no knobs)."""

    async def endpoint(request: Request) -> Response:
        return await handler(request, state)

    return endpoint


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    """Unknown routes and wrong methods: a real HTTP error, shaped like Kie's server's."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    body = {
        "timestamp": datetime.now(timezone.utc).isoformat(),
        "status": status,
        "error": "Not Found" if status == 404 else "Method Not Allowed" if status == 405 else "Error",
        "path": request.url.path,
    }
    return JSONResponse(body, status_code=status)


def create_simulator_app(
    config: SimulatorConfig | None = None, *, state: SimulatorState | None = None
) -> Starlette:
    """A new simulator app. Its state is `app.state.simulator` (a `SimulatorState`)."""
    state = state or SimulatorState(config)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        for job in list(state.background):  # pending callbacks die with the server
            job.cancel()

    app = Starlette(routes=_routes(state), exception_handlers={HTTPException: _http_error}, lifespan=lifespan)
    app.state.simulator = state
    return app
