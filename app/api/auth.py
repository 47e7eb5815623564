"""Who is calling the JSON API: a bearer token (see app/actions/tokens.py), required on
every route that reads or changes the history. Health, metrics, Kie's callbacks
(they carry their own per-task secret) and the OpenAPI document stay open."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from app.accounts.lookup import viewer_for_owner
from app.accounts.sessions import token_from_cookie_header, viewer_for_token
from app.accounts.viewer import SINGLE_USER, Viewer
from app.actions.tokens import authenticate
from app.settings import get_settings

_bearer = HTTPBearer(auto_error=False, description="An API token from the Settings page")


@dataclass(frozen=True)
class ApiCaller:
    token_id: str
    # Whose the tasks this caller creates are; None in single-user mode.
    owner_id: str | None
    # Whose tasks it reads and changes: its owner's, or everyone's (None) for the admin.
    sees: str | None


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
    viewer = await run_in_threadpool(viewer_for_owner, row.owner_id)
    if viewer is None:  # the owner's account was disabled or removed
        raise NotAuthenticated()
    caller = ApiCaller(token_id=row.id, owner_id=row.owner_id, sees=viewer.sees)
    request.state.caller = caller
    return caller


def request_viewer(request: Request) -> Viewer | None:
    """Who sent a plain browser request (a file, a download): the session cookie, else
    a bearer token; everyone is the one person in single-user mode. None: nobody.
    Called from sync routes (a worker thread): the lookups are blocking."""
    if get_settings().single_user:
        return SINGLE_USER
    viewer = viewer_for_token(token_from_cookie_header(request.headers.get("cookie")))
    if viewer is not None:
        return viewer
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token:
        row = authenticate(token.strip())
        if row is not None:
            return viewer_for_owner(row.owner_id)
    return None


def caller_sees(request: Request) -> str | None:
    """Whose tasks the caller reads and changes. Set by `require_token`: a route
    included without it fails rather than showing everyone's tasks."""
    return request.state.caller.sees


def caller_creates_for(request: Request) -> str | None:
    """Who owns what the caller creates."""
    return request.state.caller.owner_id


def not_authenticated_answer(_request: Request, _error: NotAuthenticated) -> JSONResponse:
    return JSONResponse(
        {"ok": False, "data": None, "error": {
            "kind": "unauthorized", "fields": [],
            "message": "Send an API token from the Settings page as 'Authorization: Bearer …'."}},
        status_code=401, headers={"WWW-Authenticate": "Bearer"})
