"""The JSON API for batches and picking: the same actions the UI calls, as HTTP.

Answers have the `ActionResult` shape of every other route (see app/api/tasks_api.py).
FastAPI checks the bodies' types (422); the actions check meaning — limits, positions,
tags — and name the field at fault (400).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from app.api.auth import caller_creates_for, caller_sees
from app.actions.batches import BATCH_MAX, batch_status, cancel_batch, create_batch
from app.actions.manage import delete_batch
from app.actions.picking import select_result, set_favourite, set_tags
from app.api.tasks_api import ERROR_RESPONSES, Answer, answer

router = APIRouter(prefix="/api", tags=["batches"], responses=ERROR_RESPONSES)


class CreateBatchBody(BaseModel):
    api_type: str = Field(description="A catalog model id, e.g. 'imagen4' (see /api/catalog)")
    params: dict[str, Any] = Field(default_factory=dict)
    count: int = Field(description=f"How many runs, 1 to {BATCH_MAX}. Models with a seed "
                                   "field get seeds start, start+1, …")
    label: str | None = None
    tags: list[str] | None = None
    idempotency_key: str | None = Field(default=None, max_length=128)


class FavouriteBody(BaseModel):
    favourite: bool = Field(strict=True)


class SelectionBody(BaseModel):
    position: int | None = Field(description="Index into result_urls; null clears. For a "
                                             "batch task this is the batch's choice.")


class TagsBody(BaseModel):
    tags: list[str]


@router.post("/batches", status_code=201, response_model=Answer)
async def create(body: CreateBatchBody, request: Request,
                 idempotency_key: str | None = Header(default=None)) -> JSONResponse:
    """Record one request run `count` times; the engine submits them. Same key, same batch."""
    result = await create_batch(
        body.api_type, body.params, body.count, label=body.label, tags=body.tags,
        idempotency_key=body.idempotency_key or idempotency_key,
        owner_id=caller_creates_for(request))
    return answer(result, 201)


@router.get("/batches/{batch_id}", response_model=Answer)
async def get_batch(batch_id: str, request: Request) -> JSONResponse:
    """The batch, its status derived from its tasks, its progress and its tasks."""
    return answer(await batch_status(batch_id, owner_id=caller_sees(request)))


@router.post("/batches/{batch_id}/cancel", response_model=Answer)
async def stop_batch(batch_id: str, request: Request) -> JSONResponse:
    """Stop tracking every unfinished task of the batch (Kie may still charge them)."""
    return answer(await cancel_batch(batch_id, owner_id=caller_sees(request)))


@router.delete("/batches/{batch_id}", response_model=Answer)
async def remove_batch(batch_id: str, request: Request) -> JSONResponse:
    """Delete every task of the batch with its events and files, and the batch."""
    return answer(await delete_batch(batch_id, owner_id=caller_sees(request)))


@router.put("/tasks/{task_id}/favourite", response_model=Answer)
async def favourite(task_id: str, body: FavouriteBody, request: Request) -> JSONResponse:
    return answer(await set_favourite(task_id, body.favourite, owner_id=caller_sees(request)))


@router.put("/tasks/{task_id}/selection", response_model=Answer)
async def selection(task_id: str, body: SelectionBody, request: Request) -> JSONResponse:
    return answer(await select_result(task_id, body.position, owner_id=caller_sees(request)))


@router.put("/tasks/{task_id}/tags", response_model=Answer)
async def tags(task_id: str, body: TagsBody, request: Request) -> JSONResponse:
    """Replace the task's tags: trimmed, de-duplicated ignoring case."""
    return answer(await set_tags(task_id, body.tags, owner_id=caller_sees(request)))
