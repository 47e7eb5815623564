"""SignedInState: the parent of every page's state. Each handler asks it who is signed
in (`viewer()`), from the session cookie the browser sent when the live connection
opened; nobody (no cookie, an expired or ended session, a disabled account) is sent to
the sign-in page, or to first-run setup while Atelier has no account yet.

The cookie is HttpOnly: the server reads it from the connection's handshake headers,
which Reflex keeps on the server (they are never sent back to the page).
"""

from __future__ import annotations

import reflex as rx

from app import routes
from app.accounts.sessions import token_from_cookie_header, viewer_for_token
from app.accounts.users import has_users
from app.accounts.viewer import SINGLE_USER, Viewer
from app.settings import get_settings


# An owner id nobody has (ids are random uuid4 hex): the filter of a signed-out tab,
# under which every read finds nothing.
NOBODY = "0" * 32


def to_sign_in() -> rx.event.EventSpec:
    return rx.redirect(routes.LOGIN if has_users() else routes.SETUP)


class SignedInState(rx.State):
    username: str = ""
    is_admin: bool = False
    single_user: bool = False

    def viewer(self) -> Viewer | None:
        """The signed-in person (checked against the database on every call, so a
        sign-out or a disabled account takes effect at once), or None."""
        if get_settings().single_user:
            if not self.single_user:  # set once: each assignment is sent to the page
                self.single_user, self.is_admin = True, True
            return SINGLE_USER
        viewer = viewer_for_token(token_from_cookie_header(self.router.headers.cookie))
        if viewer is not None and (viewer.username, viewer.is_admin) != (self.username, self.is_admin):
            self.username, self.is_admin = viewer.username, viewer.is_admin
        return viewer

    def sees(self) -> str:
        """The owner filter for reads: the viewer's, or NOBODY once signed out."""
        viewer = self.viewer()
        return NOBODY if viewer is None else viewer.sees
