"""GET /api/results/{task_id}/{position}: a mirrored result, streamed from private storage.

Only a stored row leads to a file: the request's values are used to look the row up,
never to build a path. Anything that is not a mirrored result of a readable task is a
plain 404 (no hint whether the task exists). Range requests, ETag and Content-Length
come from Starlette's FileResponse, so video can seek.

Who may read is decided by `result_access`: the person behind the request's session
cookie (or bearer token) may read their own tasks' results, the admin everyone's.
"""

from __future__ import annotations

import logging
from pathlib import Path as FilePath
from typing import Protocol

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse, Response
from sqlmodel import Session
from starlette.responses import FileResponse

from app.accounts.viewer import Viewer
from app.api.auth import request_viewer
from app.results.links import RESULTS_PREFIX
from app.results.storage import absolute
from app.settings import get_settings
from app.store.db import get_engine
from app.store.models import GenerationTask, ResultFile, ResultState
from app.store.ownership import visible

logger = logging.getLogger("atelier.api")

router = APIRouter(prefix=RESULTS_PREFIX, tags=["results"])
_ID_MAX = 64
_POSITION_MAX = 10_000


class ResultAccess(Protocol):
    def may_read(self, owner_id: str | None) -> bool: ...


class _ViewerAccess:
    def __init__(self, viewer: Viewer | None) -> None:
        self.viewer = viewer

    def may_read(self, owner_id: str | None) -> bool:
        return self.viewer is not None and visible(owner_id, self.viewer.sees)


def result_access(request: Request) -> ResultAccess:
    """Who is asking, and which tasks they may read."""
    return _ViewerAccess(request_viewer(request))


def results_db() -> sa.Engine:
    return get_engine()


def storage_dir() -> FilePath:
    return get_settings().storage_dir


def _not_found() -> Response:
    return JSONResponse({"detail": "Not Found"}, status_code=404)


_BINARY = {"schema": {"type": "string", "format": "binary"}}
_RESPONSES: dict[int | str, dict] = {
    200: {"description": "the file; Range requests answer 206 with the part asked for",
          "content": {"image/*": _BINARY, "video/*": _BINARY, "audio/*": _BINARY}},
    206: {"description": "the part of the file a Range asked for",
          "content": {"image/*": _BINARY, "video/*": _BINARY, "audio/*": _BINARY}},
    404: {"description": "no mirrored result here (whatever the reason)",
          "content": {"application/json": {"schema": {
              "type": "object", "properties": {"detail": {"type": "string"}}}}}},
    416: {"description": "a Range outside the file", "content": {"text/plain": {}}},
}


@router.get("/{task_id}/{position}", response_class=FileResponse, responses=_RESPONSES,
            operation_id="get_result_file")
@router.head("/{task_id}/{position}", response_class=FileResponse, include_in_schema=False)
def get_result(task_id: str,
               position: str = Path(description="index into the task's result_urls (0, 1, …)"),
               access: ResultAccess = Depends(result_access),
               db: sa.Engine = Depends(results_db),
               root: FilePath = Depends(storage_dir)) -> Response:
    if (len(task_id) > _ID_MAX or not (position.isascii() and position.isdigit())
            or int(position) > _POSITION_MAX):
        return _not_found()
    files, tasks = ResultFile.__table__, GenerationTask.__table__
    with Session(db) as session:
        row = session.execute(
            sa.select(files.c.storage_path, files.c.mime_type, files.c.size_bytes,
                      tasks.c.owner_id)
            .join(tasks, tasks.c.id == files.c.task_id)
            .where(files.c.task_id == task_id, files.c.position == int(position),
                   files.c.state == ResultState.MIRRORED)
        ).first()
    if row is None or not access.may_read(row.owner_id):
        return _not_found()
    path = absolute(root, row.storage_path)
    if path is None or not path.is_file():
        logger.warning("mirrored result %s/%s: its file is missing", task_id, position)
        return _not_found()
    extension = path.suffix.lstrip(".")
    return FileResponse(
        path, media_type=row.mime_type or "application/octet-stream",
        filename=f"{task_id}-{position}.{extension}", content_disposition_type="inline",
        headers={"X-Content-Type-Options": "nosniff",
                 "Cache-Control": "private, max-age=86400"},
    )
