"""Settings: API tokens for scripts (made here, shown once), and how this Atelier keeps
its history (mirroring, retention). The Kie key itself is never shown: only whether
one is configured."""

from __future__ import annotations

import reflex as rx

from app import routes
from app.accounts.kie_keys import has_personal_kie_key
from app.accounts.viewer import Viewer
from app.actions.tokens import create_api_token, list_api_tokens, revoke_api_token
from app.components.badges import relative_time
from app.components.native_form import native_form
from app.history.cleanup import cleanup_history
from app.components.layout import page
from app.pages.access import SignedInState, to_sign_in
from app.pages.live import mark_visible
from app.pages.people import PeopleState, people_section
from app.pages.view_data import iso
from app.settings import get_settings


KIE_KEY_NOTES = {
    "saved": "Your Kie key is saved (encrypted). Your new tasks use it.",
    "removed": "Your Kie key is removed: your tasks use the shared key.",
    "invalid": "That is not a Kie key: paste it from Kie's dashboard, without spaces.",
    "origin": "That request came from another site and was refused.",
}


PASSWORD_NOTES = {
    "changed": "Password changed. Your other sign-ins have ended.",
    "current_password": "Your current password was not right: nothing changed.",
    "new_password": "The new password must be 10–200 characters.",
    "mismatch": "The two new passwords differ: nothing changed.",
    "origin": "That request came from another site and was refused.",
}


class SettingsState(SignedInState):
    tokens: list[dict[str, str]] = []
    new_token_name: str = ""
    # The one moment a token is in the browser: right after its owner created it.
    # Cleared when they dismiss it or leave the page.
    fresh_token: str = ""
    error: str = ""
    history_notes: list[list[str]] = []
    personal_key_set: bool = False
    kie_key_note: str = ""
    password_note: str = ""

    async def _load_tokens(self, viewer: Viewer) -> None:
        result = await list_api_tokens(owner_id=viewer.owner_for_new)
        self.tokens = [{"id": t.id, "name": t.name, "prefix": t.prefix + "…",
                        "created_at": iso(t.created_at), "last_used_at": iso(t.last_used_at)}
                       for t in result.data] if result.ok else []

    @rx.event
    async def on_load(self):
        viewer = self.viewer()
        if viewer is None:
            return to_sign_in()
        await mark_visible(self, routes.SETTINGS)
        self.fresh_token, self.error = "", ""
        settings = get_settings()
        retention = settings.history_retention_days
        mirror = getattr(settings, "mirror_results", True)
        self.history_notes = [
            ["Kie provider", "demo (built-in simulator)" if settings.demo_mode
             else "Kie.ai, key configured"],
            ["Results", "copied into Atelier's private storage when a task succeeds"
             if mirror else "linked at Kie only (MIRROR_RESULTS=false): they expire after "
             f"{settings.result_retention_days:g} days"],
            ["History", f"finished tasks older than {retention:g} days are removed hourly"
             if retention else "kept until you delete it (HISTORY_RETENTION_DAYS unset)"],
            ["Database", "SQLite (embedded)" if settings.is_sqlite else "PostgreSQL"],
        ]
        if retention and viewer.is_admin:  # cleanup spans everyone's history
            preview = await cleanup_history(dry_run=True)
            if preview.ok:
                report = preview.data
                self.history_notes.append([
                    "Next cleanup", f"would delete {report.tasks:,} tasks and {report.files:,} "
                                    f"files ({report.bytes / 1e6:,.1f} MB)"])
        await self._load_tokens(viewer)
        self.personal_key_set = has_personal_kie_key(viewer.user_id)
        self.kie_key_note = KIE_KEY_NOTES.get(
            self.router.url.query_parameters.get("kie_key", ""), "")
        self.password_note = PASSWORD_NOTES.get(
            self.router.url.query_parameters.get("password", ""), "")
        if viewer.is_admin and not self.single_user:
            await (await self.get_state(PeopleState)).load()

    @rx.event
    def set_new_token_name(self, value: str):
        self.new_token_name = value[:200]

    @rx.event
    async def create_token(self, _form: dict):
        viewer = self.viewer()
        if viewer is None:
            return to_sign_in()
        result = await create_api_token(self.new_token_name, owner_id=viewer.owner_for_new)
        if not result.ok:
            self.error = result.message
            return
        self.error, self.new_token_name = "", ""
        self.fresh_token = result.data.token
        await self._load_tokens(viewer)

    @rx.event
    def dismiss_token(self):
        self.fresh_token = ""

    @rx.event
    async def revoke(self, token_id: str):
        viewer = self.viewer()
        if viewer is None:
            return to_sign_in()
        result = await revoke_api_token(token_id, owner_id=viewer.owner_for_new)
        await self._load_tokens(viewer)
        return rx.toast.info(result.message) if result.ok else rx.toast.error(result.message)


def _token_row(token) -> rx.Component:
    return rx.table.row(
        rx.table.cell(token["name"]),
        rx.table.cell(rx.code(token["prefix"])),
        rx.table.cell(relative_time(token["created_at"])),
        rx.table.cell(rx.cond(token["last_used_at"] != "", relative_time(token["last_used_at"]),
                              "never")),
        rx.table.cell(rx.button("Revoke", size="1", variant="soft", color_scheme="red",
                                on_click=SettingsState.revoke(token["id"]))),
        class_name="token-row", data_token_name=token["name"],
    )


def _fresh_token() -> rx.Component:
    return rx.cond(
        SettingsState.fresh_token != "",
        rx.callout.root(
            rx.callout.text("Copy this token now: Atelier keeps only its fingerprint and "
                            "cannot show it again."),
            rx.flex(rx.code(SettingsState.fresh_token, id="fresh-token",
                            style={"word_break": "break-all"}),
                    rx.button("Copy", size="1", on_click=[
                        rx.set_clipboard(SettingsState.fresh_token), rx.toast.info("Copied")]),
                    rx.button("Done", size="1", variant="soft",
                              on_click=SettingsState.dismiss_token),
                    spacing="2", align="center", wrap="wrap"),
            rx.callout.text("Use it as: Authorization: Bearer <token> (API docs at /api/docs)",
                            size="1"),
            color_scheme="green", margin_bottom="3",
        ),
    )


def _personal_key() -> rx.Component:
    """Set or remove one's own Kie key. A plain form post (app/api/sign_in_routes.py):
    the key never passes through the live connection, and is never shown again."""
    return rx.box(
        rx.heading("Your Kie key", size="4", margin_top="6", margin_bottom="2"),
        rx.text(rx.cond(SettingsState.personal_key_set,
                        "Set: your tasks are sent with your own key (it is never shown again).",
                        "Not set: your tasks use the key this Atelier was configured with."),
                size="2", margin_bottom="2", id="kie-key-state"),
        rx.cond(SettingsState.kie_key_note != "",
                rx.callout(SettingsState.kie_key_note, margin_bottom="2", id="kie-key-note")),
        native_form(
            rx.flex(
                rx.input(name="kie_key", type="password", placeholder="paste your Kie API key",
                         auto_complete="off", aria_label="Your Kie API key", width="20em"),
                rx.button("Save key", type="submit", id="save-kie-key"),
                spacing="2", wrap="wrap"),
            action="/auth/kie-key", method="post"),
        native_form(rx.button("Remove my key", type="submit", variant="soft", size="1",
                             margin_top="2"),
                   rx.el.input(type="hidden", name="kie_key", value=""),
                   action="/auth/kie-key", method="post"),
    )


def _password() -> rx.Component:
    return rx.box(
        rx.heading("Your password", size="4", margin_top="6", margin_bottom="2"),
        rx.cond(SettingsState.password_note != "",
                rx.callout(SettingsState.password_note, margin_bottom="2", id="password-note")),
        native_form(
            rx.flex(
                *[rx.input(name=name, type="password", placeholder=label, aria_label=label,
                           auto_complete=complete, required=True, width="14em")
                  for name, label, complete in (
                      ("current_password", "current password", "current-password"),
                      ("new_password", "new password (10+)", "new-password"),
                      ("new_password_again", "new password again", "new-password"))],
                rx.button("Change password", type="submit", id="change-password"),
                spacing="2", wrap="wrap"),
            action="/auth/password", method="post"),
    )


def settings_page() -> rx.Component:
    return page(
        rx.heading("API tokens", size="4", margin_bottom="2"),
        rx.text("Scripts and other tools use the JSON API with a token. Each token acts for "
                "you; revoke one the moment it may have leaked.", size="2",
                margin_bottom="3"),
        _fresh_token(),
        rx.form(
            rx.flex(
                rx.input(placeholder="What is it for? e.g. nightly export",
                         value=SettingsState.new_token_name,
                         on_change=SettingsState.set_new_token_name, id="token-name",
                         aria_label="Token name", width="20em"),
                rx.button("Create token", type="submit", id="create-token"),
                spacing="2", wrap="wrap",
            ),
            on_submit=SettingsState.create_token, reset_on_submit=False,
        ),
        rx.cond(SettingsState.error != "",
                rx.text(SettingsState.error, color_scheme="red", size="2", id="token-error")),
        rx.cond(
            SettingsState.tokens.length() > 0,
            rx.table.root(
                rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in
                                              ("Name", "Starts with", "Created", "Last used",
                                               "")])),
                rx.table.body(rx.foreach(SettingsState.tokens, _token_row)),
                variant="surface", margin_top="3", id="token-table",
            ),
            rx.text("No tokens yet.", size="2", color_scheme="gray", margin_top="3"),
        ),
        rx.cond(~SignedInState.single_user, rx.fragment(_personal_key(), _password())),
        rx.cond(SignedInState.is_admin & ~SignedInState.single_user, people_section()),
        rx.heading("History", size="4", margin_top="6", margin_bottom="2"),
        rx.table.root(
            rx.table.body(rx.foreach(
                SettingsState.history_notes,
                lambda note: rx.table.row(rx.table.row_header_cell(note[0]),
                                          rx.table.cell(note[1])))),
            variant="surface", id="history-settings",
        ),
        title="Settings",
    )
