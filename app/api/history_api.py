"""The history over HTTP: streamed export, import of an export, retention cleanup.

Export answers with the file itself (a streamed download); import and cleanup answer
with the usual `ActionResult` shape (see `tasks_api.py`).
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse

from app.actions.browse import parse_task_filter
from app.actions.result import ActionResult, ErrorKind
from app.api.auth import caller_creates_for, caller_sees
from app.api.tasks_api import ERROR_RESPONSES, Answer, answer
from app.history.cleanup import cleanup_history
from app.history.export import open_export
from app.history.importer import import_history, parse_document
from app.store.db import get_engine

# A JSON export is roughly 1-2 kB per task: this takes tens of thousands of tasks. The
# import holds the whole document in memory, so the limit is also a memory bound.
IMPORT_MAX_BYTES = 64 * 1024 * 1024

router = APIRouter(prefix="/api", tags=["history"], responses=ERROR_RESPONSES)


@router.get("/export", response_class=StreamingResponse, responses={
    200: {"description": "the export file (JSON or CSV), streamed",
          "content": {"application/json": {}, "text/csv": {}}},
    400: {"model": Answer, "description": "a filter parameter is invalid (named)"},
})
def export_history(
    request: Request,
    format: Literal["json", "csv"] = "json",
    status: list[str] = Query(default=[]),
    api_type: str | None = None,
    q: str | None = Query(default=None, description="Full-text search: every word, as a prefix"),
    created_from: str | None = Query(
        default=None, description="ISO date or date-time (UTC unless an offset is given); "
                                  "inclusive"),
    created_to: str | None = Query(
        default=None, description="ISO date-time, exclusive; a bare date includes that whole day"),
    tag: str | None = None,
    batch_id: str | None = None,
    favourite: str | None = None,
):
    """The caller's tasks (all, or those the filter selects, as in GET /api/tasks),
    oldest first, as a download. JSON: `app/history/document.py`; CSV columns and
    quoting: `app/history/export.py`."""
    parsed = parse_task_filter(
        statuses=status, api_type=api_type, search=q, created_from=created_from,
        created_to=created_to, tag=tag, batch_id=batch_id, favourite=favourite,
        owner_id=caller_sees(request))
    if isinstance(parsed, list):
        return answer(ActionResult.invalid(parsed))
    stream = open_export(format, get_engine(), parsed)
    # A sync iterator: Starlette pulls it in a worker thread, off the event loop.
    return StreamingResponse(stream.chunks, media_type=stream.media_type, headers={
        "Content-Disposition": f'attachment; filename="{stream.filename}"'})


@router.post("/import", response_model=Answer, responses={
    413: {"model": Answer, "description": f"body over {IMPORT_MAX_BYTES} bytes"}})
async def import_export(request: Request) -> JSONResponse:
    """A JSON export as the request body. All or nothing; tasks already stored are
    skipped; unfinished tasks are stored as canceled, never resubmitted."""
    body = await _body_within(request, IMPORT_MAX_BYTES)
    if body is None:
        return answer(ActionResult.failure(
            ErrorKind.TOO_LARGE, f"The document is over {IMPORT_MAX_BYTES // (1024 * 1024)} MB; "
                                 f"import it with `python -m app.cli import FILE`."))
    parsed = parse_document(body)
    if not parsed.ok:
        return answer(parsed)
    return answer(await import_history(parsed.data, owner_id=caller_creates_for(request)))


@router.post("/cleanup", response_model=Answer)
async def cleanup(request: Request, dry_run: bool = False,
                  older_than_days: float | None = Query(default=None, gt=0)) -> JSONResponse:
    """Delete finished tasks older than the retention (or `older_than_days`) with
    their events and files; `dry_run=true` only counts them. Everyone's history: a
    token tied to one owner may not run it."""
    if caller_sees(request) is not None:
        return answer(ActionResult.failure(
            ErrorKind.FORBIDDEN, "Cleanup applies to everyone's history: use a token "
                                 "of the admin (or one made in single-user mode)."))
    return answer(await cleanup_history(older_than_days=older_than_days, dry_run=dry_run))


async def _body_within(request: Request, limit: int) -> bytes | None:
    """The body, or None as soon as it is known to be over `limit` (never buffered
    past it)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)
