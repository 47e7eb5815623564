"""Sign-in, sign-out and first-run setup as plain form posts.

They are HTTP routes, not Reflex events, so the session cookie can be HttpOnly: set by
the server, sent by the browser with every request and with the live connection's
handshake, and never readable by the page's scripts nor carried in websocket frames.
Each answers with a redirect (303) to the page to show next; a refusal names what went
wrong in the query string (`?error=…`), never the password or whether a name exists.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from app import routes
from app.accounts.kie_keys import set_personal_kie_key
from app.accounts.sessions import (COOKIE_NAME, end_session, start_session,
                                   token_from_cookie_header, viewer_for_token)
from app.accounts.sign_in import sign_in
from app.accounts.users import change_password, create_user, has_users, set_password_by_admin
from app.accounts.viewer import Viewer
from app.actions.result import ActionResult, ErrorKind
from app.loopback import is_loopback_host
from app.settings import get_settings

router = APIRouter(prefix="/auth", include_in_schema=False)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def origin_allowed(request: Request) -> bool:
    """A browser's form post names its page's origin: it must be this server or one of
    ALLOWED_ORIGINS (stops another site from signing a visitor in or out)."""
    origin = request.headers.get("origin")
    if origin is None:
        return True  # not a browser's form post (curl, a script): nothing to forge
    own = f"{request.url.scheme}://{request.headers.get('host', '')}"
    return origin.rstrip("/") in {own, *get_settings().allowed_origins}


def _to(path: str, **query: str) -> RedirectResponse:
    return RedirectResponse(path + ("?" + urlencode(query) if query else ""), status_code=303)


def _cookie_token(request: Request) -> str | None:
    return token_from_cookie_header(request.headers.get("cookie"))


async def _signed_in_viewer(token: str | None) -> Viewer | None:
    return await run_in_threadpool(viewer_for_token, token)


def _first_field(result: ActionResult, otherwise: str) -> str:
    """The field a refusal names (for `?…=` on the page shown next)."""
    return result.field_errors[0].field if result.field_errors else otherwise


def _signed_in(request: Request, token: str) -> RedirectResponse:
    response = _to(routes.CREATE)
    response.set_cookie(COOKIE_NAME, token, max_age=int(get_settings().session_hours * 3600),
                        httponly=True, samesite="lax", secure=request.url.scheme == "https",
                        path="/")
    return response


@router.post("/login")
async def login(request: Request) -> RedirectResponse:
    if not origin_allowed(request):
        return _to(routes.LOGIN, error="origin")
    form = await request.form()
    result = await sign_in(form.get("username"), form.get("password"), client_address(request))
    if result.ok:
        return _signed_in(request, result.data)
    if result.error_kind is ErrorKind.RATE_LIMITED:
        return _to(routes.LOGIN, error="throttled")
    if result.error_kind is ErrorKind.INVALID_PARAMS:
        return _to(routes.LOGIN, error="missing")
    return _to(routes.LOGIN, error="wrong")


@router.post("/logout")
async def logout(request: Request) -> RedirectResponse:
    if not origin_allowed(request):
        return _to(routes.CREATE)
    token = _cookie_token(request)
    if token:
        await run_in_threadpool(end_session, token)
    response = _to(routes.LOGIN, note="signed-out")
    response.delete_cookie(COOKIE_NAME, path="/")
    return response


@router.post("/kie-key")
async def save_kie_key(request: Request) -> RedirectResponse:
    """A person's own Kie key (an empty one removes it). A form post like sign-in, so
    the key travels once, over HTTP, and never through the page's live connection."""
    if not origin_allowed(request):
        return _to(routes.SETTINGS, kie_key="origin")
    viewer = await _signed_in_viewer(_cookie_token(request))
    if viewer is None or viewer.user_id is None:
        return _to(routes.LOGIN)
    form = await request.form()
    result = await set_personal_kie_key(viewer.user_id, form.get("kie_key", ""))
    if not result.ok:
        return _to(routes.SETTINGS, kie_key="invalid")
    return _to(routes.SETTINGS, kie_key="saved" if result.data else "removed")


@router.post("/password")
async def new_password(request: Request) -> RedirectResponse:
    """Change one's own password (the current one is asked for)."""
    if not origin_allowed(request):
        return _to(routes.SETTINGS, password="origin")
    token = _cookie_token(request)
    viewer = await _signed_in_viewer(token)
    if viewer is None or viewer.user_id is None:
        return _to(routes.LOGIN)
    form = await request.form()
    if form.get("new_password") != form.get("new_password_again"):
        return _to(routes.SETTINGS, password="mismatch")
    result = await change_password(viewer.user_id, form.get("current_password"),
                                   form.get("new_password"), keep_session=token)
    if not result.ok:
        return _to(routes.SETTINGS, password=_first_field(result, "invalid"))
    return _to(routes.SETTINGS, password="changed")


async def _as_admin(request: Request, change, done: str) -> RedirectResponse:
    """An admin's change to someone's account, from the People form: `change(form)` is
    the action; its outcome is named in `?people=` on the Settings page."""
    if not origin_allowed(request):
        return _to(routes.SETTINGS, people="origin")
    viewer = await _signed_in_viewer(_cookie_token(request))
    if viewer is None or not viewer.is_admin:
        return _to(routes.LOGIN)
    result = await change(await request.form())
    if not result.ok:
        return _to(routes.SETTINGS, people=_first_field(result, "invalid"))
    return _to(routes.SETTINGS, people=done)


@router.post("/people")
async def add_person(request: Request) -> RedirectResponse:
    """The admin adds someone with a first password (a form post: no password in the
    live connection)."""
    return await _as_admin(
        request, lambda form: create_user(form.get("username"), form.get("password")), "added")


@router.post("/people/password")
async def reset_password(request: Request) -> RedirectResponse:
    """The admin sets a new password for someone who lost theirs."""
    return await _as_admin(
        request, lambda form: set_password_by_admin(form.get("user_id"), form.get("password")),
        "reset")


@router.post("/setup")
async def setup(request: Request) -> RedirectResponse:
    """The first admin account. Open only while there is none, and only to a browser on
    this machine: on a server, the first one to arrive must not become its admin
    (there, create it with `python -m app.cli create-user NAME --admin`)."""
    if get_settings().single_user or await run_in_threadpool(has_users):
        return _to(routes.LOGIN)
    if not origin_allowed(request):
        return _to(routes.SETUP, error="origin")
    if not is_loopback_host(client_address(request)):
        return _to(routes.SETUP, error="not-local")
    form = await request.form()
    if form.get("password") != form.get("password_again"):
        return _to(routes.SETUP, error="mismatch")
    created = await create_user(form.get("username"), form.get("password"), first_admin=True)
    if not created.ok:
        return _to(routes.SETUP, error=_first_field(created, "conflict"))
    # Just made with this password: a session, without checking the password again.
    return _signed_in(request, await run_in_threadpool(start_session, created.data.id))
