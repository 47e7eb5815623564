"""Backend HTTP routes mounted into Reflex's server: health, metrics, Kie callbacks,
and in demo mode the Kie-compatible simulator."""

from __future__ import annotations

import logging

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from app.api.auth import NotAuthenticated, not_authenticated_answer, require_token
from app.api.batches_api import router as batches_router
from app.api.export_link import router as export_link_router
from app.api.history_api import router as history_router
from app.api.results_api import router as results_router
from app.api.sign_in_routes import router as sign_in_router
from app.api.stats_api import router as stats_router
from app.api.tasks_api import router as tasks_router
from app.engine.callbacks import handle_callback
from app.engine.runtime import SIMULATOR_MOUNT, demo_simulator_app, get_runtime
from app.providers.kie import CALLBACK_ACK
from app.settings import get_settings
from app.store.db import get_engine, ping

MAX_CALLBACK_BYTES = 1_000_000
logger = logging.getLogger("atelier.api")


def build_api() -> FastAPI:
    api = FastAPI(title="Atelier API", docs_url="/api/docs", openapi_url="/api/openapi.json")
    settings = get_settings()

    @api.get("/api/health")
    def health() -> dict:
        database_ok = ping()
        engine = get_runtime().engine
        return {
            "status": "ok" if database_ok else "degraded",
            "database": "reachable" if database_ok else "unreachable",
            "provider": "simulator (demo mode)" if settings.demo_mode else "kie.ai",
            "engine": engine.health() if engine is not None else {"running": False},
        }

    @api.get("/api/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    # `:path`: a token with a "/" in it is an unknown token (404), not a redirect.
    @api.post("/api/kie/callback/{token:path}", tags=["kie"], responses={
        400: {"description": "not a callback Atelier can read"},
        401: {"description": "bad or stale HMAC signature"},
        404: {"description": "no task has this callback token"},
        409: {"description": "the callback names another Kie task than this token's"},
        413: {"description": "body too large"},
    })
    async def kie_callback(token: str, request: Request) -> JSONResponse:
        body = await request.body()
        if len(body) > MAX_CALLBACK_BYTES:
            return JSONResponse({"code": 413, "msg": "too large"}, status_code=413)
        try:
            payload = await request.json()
        except (ValueError, RecursionError):  # not JSON, or nested deeper than the parser goes
            payload = None
        try:
            result = handle_callback(get_engine(), token, payload, dict(request.headers),
                                     settings.kie_webhook_hmac_key)
        except Exception:
            logger.exception("callback handling failed")
            return JSONResponse({"code": 500, "msg": "internal error"}, status_code=500)
        if result.http_status == 200:
            return JSONResponse(CALLBACK_ACK)
        return JSONResponse({"code": result.http_status, "msg": result.outcome.value},
                            status_code=result.http_status)

    api.include_router(sign_in_router)

    # Every router below reads or changes the history: a bearer token is required.
    api.add_exception_handler(NotAuthenticated, not_authenticated_answer)
    authenticated = [Depends(require_token)]
    api.include_router(tasks_router, dependencies=authenticated)
    api.include_router(batches_router, dependencies=authenticated)
    api.include_router(history_router, dependencies=authenticated)
    api.include_router(stats_router, dependencies=authenticated)
    # No bearer token needed here: a page's <img>/<video> cannot send one, nor can a
    # download link. Both check the session cookie's owner instead (result_access,
    # export_by_link).
    api.include_router(results_router)
    api.include_router(export_link_router)

    if settings.demo_mode and not settings.kie_base_url:
        api.mount(SIMULATOR_MOUNT, demo_simulator_app())
    return api
