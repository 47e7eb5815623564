"""The sign-in page and first-run setup. Both are plain HTML forms posting to the
server's /auth routes (app/api/sign_in_routes.py), which set the HttpOnly session
cookie; these pages only show the form and the outcome named in the URL."""

from __future__ import annotations

import reflex as rx

from app import routes
from app.accounts.users import PASSWORD_MIN, has_users
from app.components.native_form import native_form
from app.pages.access import SignedInState

LOGIN_MESSAGES = {
    "wrong": "Wrong name or password.",
    "missing": "Enter your name and password.",
    "throttled": "Too many failed sign-ins. Wait a few minutes, then try again.",
    "origin": "That sign-in came from another site and was refused.",
}
SETUP_MESSAGES = {
    "username": "Name: 3–40 characters, letters, digits, '.', '_' or '-'.",
    "password": f"Password: at least {PASSWORD_MIN} characters.",
    "mismatch": "The two passwords differ.",
    "not-local": "The first admin can be created only from this machine's own browser "
                 "(or on the server: python -m app.cli create-user NAME --admin).",
    "origin": "That request came from another site and was refused.",
    "conflict": "Atelier already has an admin: sign in instead.",
}


class SignInState(SignedInState):
    message: str = ""
    note: str = ""

    @rx.event
    def on_load_login(self):
        if self.single_user or self.viewer() is not None:
            return rx.redirect(routes.CREATE)
        if not has_users():
            return rx.redirect(routes.SETUP)
        query = self.router.url.query_parameters
        self.message = LOGIN_MESSAGES.get(query.get("error", ""), "")
        self.note = "You are signed out." if query.get("note") == "signed-out" else ""

    @rx.event
    def on_load_setup(self):
        if self.viewer() is not None or self.single_user:
            return rx.redirect(routes.CREATE)
        if has_users():
            return rx.redirect(routes.LOGIN)
        self.message = SETUP_MESSAGES.get(self.router.url.query_parameters.get("error", ""), "")


def _field(label: str, name: str, kind: str = "text", autocomplete: str = "") -> rx.Component:
    return rx.el.label(
        rx.text(label, size="2", weight="medium"),
        rx.input(name=name, type=kind, required=True, auto_complete=autocomplete,
                 id=f"field-{name}", width="100%"),
        style={"display": "flex", "flex_direction": "column", "gap": "4px"},
    )


def _card(title: str, intro: str, form: rx.Component) -> rx.Component:
    return rx.center(
        rx.card(
            rx.heading(title, size="6", as_="h1", margin_bottom="2"),
            rx.text(intro, size="2", color_scheme="gray", margin_bottom="3"),
            rx.cond(SignInState.note != "", rx.callout(SignInState.note, color_scheme="green",
                                                       margin_bottom="3", id="sign-in-note")),
            rx.cond(SignInState.message != "", rx.callout(SignInState.message, color_scheme="red",
                                                          margin_bottom="3", id="sign-in-error")),
            form,
            width="min(380px, 92vw)",
        ),
        min_height="100vh", data_hydrated=rx.State.is_hydrated,
    )


def login_page() -> rx.Component:
    return _card("Sign in to Atelier", "Your tasks, files and results are yours alone.",
                 native_form(
                     rx.flex(
                         _field("Name", "username", autocomplete="username"),
                         _field("Password", "password", "password", "current-password"),
                         rx.button("Sign in", type="submit", id="sign-in", width="100%"),
                         direction="column", spacing="3"),
                     action="/auth/login", method="post"))


def setup_page() -> rx.Component:
    return _card("Welcome to Atelier", "Create the admin account. The admin adds the other "
                 "people who may use this Atelier, and sees everyone's work.",
                 native_form(
                     rx.flex(
                         _field("Name", "username", autocomplete="username"),
                         _field(f"Password ({PASSWORD_MIN}+ characters)", "password", "password",
                                "new-password"),
                         _field("Password again", "password_again", "password", "new-password"),
                         rx.button("Create admin account", type="submit", id="create-admin",
                                   width="100%"),
                         direction="column", spacing="3"),
                     action="/auth/setup", method="post"))
