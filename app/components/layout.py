"""The frame around every page: navigation, demo banner, color mode, live updates."""

from __future__ import annotations

import reflex as rx

from app import routes
from app.components.native_form import native_form
from app.pages.access import SignedInState
from app.pages.live import LiveState


def _nav_link(label: str, href: str) -> rx.Component:
    return rx.link(label, href=href, size="3", weight="medium", underline="hover")


def _account() -> rx.Component:
    """Who is signed in, and a sign-out button (a form post: the cookie is HttpOnly)."""
    return native_form(
        rx.flex(
            rx.text(SignedInState.username, size="2", color_scheme="gray", id="signed-in-as"),
            rx.button("Sign out", type="submit", size="1", variant="soft", id="sign-out"),
            spacing="2", align="center"),
        action="/auth/logout", method="post")


def navbar() -> rx.Component:
    return rx.el.nav(rx.flex(
        rx.link(rx.text("Atelier", size="5", weight="bold"), href=routes.CREATE, underline="none"),
        rx.cond(LiveState.demo_mode,
                rx.badge("Demo: simulated Kie", color_scheme="violet", variant="soft")),
        rx.spacer(),
        rx.flex(
            _nav_link("Create", routes.CREATE),
            _nav_link("Tasks", routes.TASKS),
            _nav_link("Dashboard", routes.DASHBOARD),
            _nav_link("Status", routes.STATUS),
            _nav_link("Settings", routes.SETTINGS),
            rx.cond(LiveState.running_count > 0,
                    rx.badge(LiveState.running_count.to_string() + " running",
                             color_scheme="amber", id="running-count")),
            rx.color_mode.button(size="2", variant="ghost", aria_label="Toggle dark mode"),
            rx.cond(SignedInState.username != "", _account()),
            spacing="4", align="center", wrap="wrap",
        ),
        align="center", wrap="wrap", spacing="3", padding="10px 16px",
        border_bottom="1px solid var(--gray-a5)", width="100%",
    ))


def page(*children: rx.Component, title: str) -> rx.Component:
    return rx.box(
        navbar(),
        rx.el.main(
            rx.heading(title, size="6", margin_bottom="4", as_="h1"),
            *children,
            style={"padding": "16px", "max_width": "1100px", "margin": "0 auto", "width": "100%",
                   "box_sizing": "border-box"},
            # True once the page's on_load handlers have run: what a person types before
            # then would be overwritten by the state arriving from the server.
            data_hydrated=rx.State.is_hydrated,
        ),
        on_mount=LiveState.watch,
        min_height="100vh",
    )
