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
from app.store.models import ApiToken

_bearer = HTTPBearer(auto_error=False, description="An API token from the Settings page")


@dataclass(frozen=True)
class ApiCaller:
    token_id: str
    # Who owns what this caller creates; None in single-user mode.
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
    found = await run_in_threadpool(_token_and_viewer, credentials.credentials)
    if found is None:
        raise NotAuthenticated()
    row, viewer = found
    caller = ApiCaller(token_id=row.id, owner_id=row.owner_id, sees=viewer.sees)
    request.state.caller = caller
    return caller


def _token_and_viewer(token: str) -> tuple[ApiToken, Viewer] | None:
    """A live token and the person it acts for; None when the token is unknown or
    revoked, or its owner's account is disabled or gone (blocking: database reads)."""
    row = authenticate(token)
    viewer = viewer_for_owner(row.owner_id) if row is not None else None
    return (row, viewer) if viewer is not None else None


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
        found = _token_and_viewer(token.strip())
        return found[1] if found is not None else None
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
