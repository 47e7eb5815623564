"""Export downloads for the browser. A page cannot send a bearer token, so the task
list hands out a link the server signed: it names exactly the filter on screen, whose
tasks, and the person it was made for, and lapses after an hour. With accounts, only
that person (signed in) can use it; in single-user mode, whoever holds it."""

from __future__ import annotations

import time
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse

from app.actions.browse import parse_task_filter
from app.actions.result import ActionResult, ErrorKind
from app.api.auth import request_viewer
from app.api.tasks_api import answer
from app.history.export import open_export
from app.signing import sign, verify
from app.store.db import get_engine

LINK_PATH = "/api/export/link"
LINK_LIFETIME_SECONDS = 3600
PURPOSE = "export-link"
# The filter fields a link may carry (values as text; `statuses` comma-separated).
FIELDS = ("statuses", "api_type", "search", "created_from", "created_to", "tag", "batch_id",
          "favourite", "owner", "for")

router = APIRouter()


def _canonical(pairs: dict[str, str]) -> str:
    return urlencode(sorted((k, v) for k, v in pairs.items() if v))


def export_link(fmt: str, filters: dict[str, str], now: float | None = None) -> str:
    """A signed link to download the tasks `filters` selects, as `fmt` (json or csv)."""
    expires = int((now if now is not None else time.time()) + LINK_LIFETIME_SECONDS)
    pairs = {k: v for k, v in filters.items() if k in FIELDS}
    pairs.update(format=fmt, expires=str(expires))
    query = _canonical(pairs)
    return f"{LINK_PATH}?{query}&sig={sign(PURPOSE, query)}"


def _refused(message: str) -> JSONResponse:
    return answer(ActionResult.failure(ErrorKind.FORBIDDEN, message))


@router.get(LINK_PATH, include_in_schema=False)
def export_by_link(request: Request):
    params = request.query_params
    pairs = {k: v for k, v in params.items() if k != "sig"}
    if len(params.getlist("sig")) != 1 or len(pairs) != len(list(params.multi_items())) - 1:
        return _refused("This export link is not valid.")
    if not verify(PURPOSE, _canonical(pairs), params["sig"]):
        return _refused("This export link is not valid.")
    if not pairs.get("expires", "").isdigit() or int(pairs["expires"]) < time.time():
        return _refused("This export link has lapsed: reload the task list for a new one.")
    if pairs.get("format") not in ("json", "csv"):
        return _refused("This export link is not valid.")
    viewer = request_viewer(request)
    if viewer is None or (viewer.user_id or "") != pairs.get("for", ""):
        return _refused("This export link was made for someone else: sign in as them.")
    parsed = parse_task_filter(
        statuses=[s for s in pairs.get("statuses", "").split(",") if s],
        api_type=pairs.get("api_type"), search=pairs.get("search"),
        created_from=pairs.get("created_from"), created_to=pairs.get("created_to"),
        tag=pairs.get("tag"), batch_id=pairs.get("batch_id"), favourite=pairs.get("favourite"),
        owner_id=pairs.get("owner") or None)
    if isinstance(parsed, list):
        return answer(ActionResult.invalid(parsed))
    stream = open_export(pairs["format"], get_engine(), parsed)
    return StreamingResponse(stream.chunks, media_type=stream.media_type, headers={
        "Content-Disposition": f'attachment; filename="{stream.filename}"'})
