"""The JSON API: the same actions the UI calls, as HTTP (FastAPI, OpenAPI at /api/docs).

Every answer has the `ActionResult` shape: `{"ok", "data", "error": {kind, message,
fields}}`, with the HTTP status of the error kind.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from app.api.auth import caller_creates_for, caller_sees
from app.actions.browse import list_generation_tasks, task_events
from app.actions.manage import cancel_task, delete_task, retry_unknown_submission, run_again
from app.actions.result import ActionResult
from app.actions.tasks import create_generation_task, query_generation_task
from app.actions.uploads import upload_generation_file
from app.catalog import CATALOG

class ErrorBody(BaseModel):
    kind: str
    message: str
    fields: list[dict[str, str]]


class Answer(BaseModel):
    """Every answer: `data` on success, `error` on failure."""

    ok: bool
    data: Any = None
    error: ErrorBody | None = None


# The statuses an action failure can map to (ErrorKind.http_status), documented once.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Answer, "description": description} for status, description in {
        400: "invalid parameters (the fields are named)",
        401: "no live API token sent, or Kie refused the Kie key",
        402: "not enough Kie credits", 403: "not yours", 404: "no such task or file",
        409: "conflicting state or idempotency key", 413: "file too large",
        415: "not an image, video or audio file", 422: "Kie refused a parameter",
        429: "Kie's rate limit", 500: "internal error (logged with a reference)",
        503: "Kie unavailable",
    }.items()
}

router = APIRouter(prefix="/api", tags=["tasks"], responses=ERROR_RESPONSES)


class CreateTaskBody(BaseModel):
    api_type: str = Field(description="A catalog model id, e.g. 'imagen4' (see /api/catalog)")
    params: dict[str, Any] = Field(default_factory=dict)
    service: str | None = None
    idempotency_key: str | None = Field(default=None, max_length=128)
    tags: list[str] | None = None


def answer(result: ActionResult, success_status: int = 200) -> JSONResponse:
    status = success_status if result.ok else result.error_kind.http_status
    return JSONResponse(jsonable_encoder(result.to_dict()), status_code=status)


@router.get("/catalog", response_model=Answer)
async def catalog() -> JSONResponse:
    """Every model: its fields, limits, defaults and labels."""
    entries = [entry.model_dump(mode="json") for entry in CATALOG.values()]
    return JSONResponse({"ok": True, "data": entries, "error": None})


@router.post("/tasks", status_code=201, response_model=Answer)
async def create_task(body: CreateTaskBody, request: Request,
                      idempotency_key: str | None = Header(default=None)) -> JSONResponse:
    """Record a task; the engine submits it under the rate limit. Same key, same task."""
    result = await create_generation_task(
        body.api_type, body.params, service=body.service, tags=body.tags,
        idempotency_key=body.idempotency_key or idempotency_key, owner_id=caller_creates_for(request),
    )
    return answer(result, 201)


@router.get("/tasks", response_model=Answer)
async def list_tasks(
    request: Request,
    status: list[str] = Query(default=[]),
    api_type: str | None = None,
    q: str | None = Query(default=None, description="Full-text search: every word, as a prefix"),
    created_from: str | None = Query(
        default=None, description="ISO date or date-time (UTC unless an offset is given); inclusive"),
    created_to: str | None = Query(
        default=None, description="ISO date-time, exclusive; a bare date includes that whole day"),
    tag: str | None = None,
    batch_id: str | None = None,
    favourite: bool | None = None,
    sort: str = Query(default="newest", description="'newest' or 'oldest'"),
    after: str | None = Query(default=None, description="`next_cursor` of the previous page"),
    limit: int = Query(default=30, ge=1, le=100),
) -> JSONResponse:
    """One page of the caller's tasks; pass `next_cursor` back as `after` (with the same
    filters and sort) for the next page. Bad filters are named in a 400."""
    return answer(await list_generation_tasks(
        statuses=status, api_type=api_type, search=q, created_from=created_from,
        created_to=created_to, tag=tag, batch_id=batch_id, favourite=favourite, sort=sort,
        after=after, limit=limit, owner_id=caller_sees(request)))


@router.get("/tasks/{task_id}", response_model=Answer)
async def get_task(task_id: str, request: Request, refresh: bool = True) -> JSONResponse:
    """The stored task, refreshed from Kie when it is running and its row is stale."""
    return answer(await query_generation_task(task_id, refresh=refresh, owner_id=caller_sees(request)))


@router.get("/tasks/{task_id}/events", response_model=Answer)
async def get_task_events(task_id: str, request: Request) -> JSONResponse:
    return answer(await task_events(task_id, owner_id=caller_sees(request)))


@router.delete("/tasks/{task_id}", response_model=Answer)
async def remove_task(task_id: str, request: Request) -> JSONResponse:
    return answer(await delete_task(task_id, owner_id=caller_sees(request)))


@router.post("/tasks/{task_id}/cancel", response_model=Answer)
async def stop_tracking(task_id: str, request: Request) -> JSONResponse:
    return answer(await cancel_task(task_id, owner_id=caller_sees(request)))


@router.post("/tasks/{task_id}/retry", response_model=Answer)
async def retry(task_id: str, request: Request) -> JSONResponse:
    """For a task whose submission outcome is unknown: send it again (may charge twice)."""
    return answer(await retry_unknown_submission(task_id, owner_id=caller_sees(request)))


@router.post("/tasks/{task_id}/run-again", status_code=201, response_model=Answer)
async def again(task_id: str, request: Request) -> JSONResponse:
    return answer(await run_again(task_id, owner_id=caller_sees(request),
                                  new_owner_id=caller_creates_for(request)), 201)


@router.post("/uploads", status_code=201, response_model=Answer)
async def upload(request: Request, name: str = Query(default="upload", max_length=255)) -> JSONResponse:
    """Stream a reference file as the raw request body (any size up to the limit; it is
    never held in memory). The file name is a label only."""
    return answer(await upload_generation_file(request.stream(), name,
                                               owner_id=caller_creates_for(request)), 201)
