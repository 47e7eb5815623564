"""The admin's part of Settings: the people who may sign in. The admin creates an
account with a first password and hands it over (or sets a new one for someone who lost
theirs); disabling one signs it out at once and keeps its work. Passwords go by plain
form posts (app/api/sign_in_routes.py), never through the live connection."""

from __future__ import annotations

import reflex as rx

from app.accounts.users import PASSWORD_MIN, list_users, set_user_disabled
from app.components.native_form import native_form
from app.pages.access import SignedInState, to_sign_in
from app.pages.view_data import iso

PEOPLE_NOTES = {
    "added": "Account created: hand over the first password.",
    "reset": "New password set: hand it over. Their sign-ins have ended.",
    "username": "Name: 3–40 characters, letters, digits, '.', '_' or '-', not taken yet.",
    "password": f"Password: at least {PASSWORD_MIN} characters.",
    "invalid": "No such account.",
    "origin": "That request came from another site and was refused.",
}


class PeopleState(SignedInState):
    people: list[dict[str, str]] = []
    people_note: str = ""

    async def load(self) -> None:
        self.people_note = PEOPLE_NOTES.get(self.router.url.query_parameters.get("people", ""), "")
        result = await list_users()
        self.people = [{"id": u.id, "username": u.username,
                        "role": "admin" if u.is_admin else "user",
                        "state": "disabled" if u.disabled else "active",
                        "created_at": iso(u.created_at)} for u in result.data] if result.ok else []

    @rx.event
    async def toggle_disabled(self, user_id: str, disable: bool):
        viewer = self.viewer()
        if viewer is None or not viewer.is_admin or viewer.user_id is None:
            return to_sign_in()
        result = await set_user_disabled(user_id, disable)
        await self.load()
        return rx.toast.info(result.message) if result.ok else rx.toast.error(result.message)


def _password_input(element_id: str, label: str) -> rx.Component:
    return rx.input(name="password", type="password", placeholder=label, aria_label=label,
                    auto_complete="new-password", required=True, id=element_id, width="14em")


def _person_row(person) -> rx.Component:
    disabled = person["state"] == "disabled"
    return rx.table.row(
        rx.table.cell(person["username"]),
        rx.table.cell(person["role"]),
        rx.table.cell(person["state"]),
        rx.table.cell(rx.cond(
            person["role"] == "admin", rx.fragment(),
            rx.flex(
                rx.button(rx.cond(disabled, "Enable", "Disable"), size="1", variant="soft",
                          on_click=PeopleState.toggle_disabled(person["id"], ~disabled)),
                native_form(
                    rx.flex(rx.el.input(type="hidden", name="user_id", value=person["id"]),
                            _password_input("reset-" + person["username"], "new password"),
                            rx.button("Set password", type="submit", size="1", variant="soft"),
                            spacing="1"),
                    action="/auth/people/password", method="post"),
                spacing="2", wrap="wrap", align="center"))),
        class_name="person-row", data_username=person["username"],
    )


def people_section() -> rx.Component:
    return rx.box(
        rx.heading("People", size="4", margin_top="6", margin_bottom="2"),
        rx.text("Each person sees only their own tasks, files and results; you, the admin, "
                "see everyone's. Give a new person their first password yourself.",
                size="2", margin_bottom="3"),
        rx.cond(PeopleState.people_note != "",
                rx.callout(PeopleState.people_note, margin_bottom="2", id="people-note")),
        native_form(
            rx.flex(
                rx.input(placeholder="name", name="username", id="new-username",
                         aria_label="New person's name", required=True, width="12em"),
                _password_input("new-password", f"first password ({PASSWORD_MIN}+ characters)"),
                rx.button("Add person", type="submit", id="add-person"),
                spacing="2", wrap="wrap",
            ),
            action="/auth/people", method="post"),
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in
                                          ("Name", "Role", "State", "")])),
            rx.table.body(rx.foreach(PeopleState.people, _person_row)),
            variant="surface", margin_top="3", id="people-table",
        ),
    )
