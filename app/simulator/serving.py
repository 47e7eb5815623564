"""Routes outside Kie's API: result media, uploaded files and the debug views.

Media and files need no key (Kie's file hosts don't ask for one either). The debug
routes demand the API key when one is configured.
"""

from __future__ import annotations

import asyncio
import json
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from app.simulator.envelope import SimError, envelope
from app.simulator.media import MEDIA_TYPES, MediaUnavailable, media_file, seed_of
from app.simulator.pipeline import check_auth
from app.simulator.state import SimulatorState

_ASPECT_FIELDS = ("aspect_ratio", "aspectRatio", "size", "image_size")


def _not_found(request: Request) -> JSONResponse:
    return JSONResponse({"status": 404, "error": "Not Found", "path": request.url.path}, status_code=404)


async def get_media(request: Request, state: SimulatorState) -> Response:
    task = state.tasks.get(request.path_params["task_id"])
    name: str = request.path_params["name"]
    extension = name.rsplit(".", 1)[-1].lower()
    if task is None or extension not in MEDIA_TYPES or "/" in name or name.startswith("."):
        return _not_found(request)
    source = task.body.get("input") if isinstance(task.body.get("input"), dict) else task.body
    aspect = next((str(source[field]) for field in _ASPECT_FIELDS if source.get(field)), None)
    # The 1080p rendition of a result shows the same content as the result itself.
    stem = name.rsplit(".", 1)[0].removesuffix("-1080p")
    seed = task.media_seed ^ seed_of(stem)
    try:
        path = await asyncio.to_thread(
            media_file, state.media_dir / task.task_id, name, task.prompt, seed, aspect
        )
    except MediaUnavailable as error:
        return JSONResponse({"status": 503, "error": str(error)}, status_code=503)
    return FileResponse(path, media_type=MEDIA_TYPES[extension])


async def get_uploaded_file(request: Request, state: SimulatorState) -> Response:
    uploaded = state.find_upload(unquote(request.path_params["path"]))
    if uploaded is None or not uploaded.disk_path.exists():
        return _not_found(request)
    return FileResponse(uploaded.disk_path, media_type=uploaded.mime_type)


async def get_state(request: Request, state: SimulatorState) -> Response:
    try:
        if state.config.api_key:
            check_auth(request, state)
    except SimError as error:
        return envelope(state.config, error.code, error.message)
    return JSONResponse(state.snapshot())


async def patch_config(request: Request, state: SimulatorState) -> Response:
    """Change knobs of a running simulator (e.g. from a benchmark in another process)."""
    try:
        if state.config.api_key:
            check_auth(request, state)
        changes = json.loads(await request.body() or b"{}")
        if not isinstance(changes, dict):
            raise SimError(422, "body must be a JSON object of knob names to values")
        if {"api_key", "webhook_hmac_key", "storage_dir"} & set(changes):
            raise SimError(422, "api_key, webhook_hmac_key and storage_dir cannot be changed at run time")
        state.config.update(changes)
    except ValueError as error:
        return envelope(state.config, 422, str(error))
    except SimError as error:
        return envelope(state.config, error.code, error.message)
    return JSONResponse(state.config.public_view())
