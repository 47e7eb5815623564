"""Who is calling the JSON API: a bearer token (see app/actions/tokens.py), required on
every route that reads or changes the history. Health, metrics, Kie's callbacks
(they carry their own per-task secret) and the OpenAPI document stay open."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from app.actions.tokens import authenticate

_bearer = HTTPBearer(auto_error=False, description="An API token from the Settings page")


@dataclass(frozen=True)
class ApiCaller:
    token_id: str
    # Whose tasks this caller sees and creates; None in single-user mode.
    owner_id: str | None


class NotAuthenticated(Exception):
    """No token, or not a live one: answered as a 401 in the API's error shape."""


async def require_token(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
) -> ApiCaller:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise NotAuthenticated()
    row = await run_in_threadpool(authenticate, credentials.credentials)
    if row is None:
        raise NotAuthenticated()
    caller = ApiCaller(token_id=row.id, owner_id=row.owner_id)
    request.state.caller = caller
    return caller


def not_authenticated_answer(_request: Request, _error: NotAuthenticated) -> JSONResponse:
    return JSONResponse(
        {"ok": False, "data": None, "error": {
            "kind": "unauthorized", "fields": [],
            "message": "Send an API token from the Settings page as 'Authorization: Bearer …'."}},
        status_code=401, headers={"WWW-Authenticate": "Bearer"})
