"""The admin's part of Settings: the people who may sign in. The admin creates an
account with a first password and hands it over; disabling one signs it out at once
and keeps its work."""

from __future__ import annotations

import reflex as rx

from app.accounts.users import create_user, list_users, set_user_disabled
from app.pages.access import SignedInState, to_sign_in
from app.pages.view_data import iso


class PeopleState(SignedInState):
    people: list[dict[str, str]] = []
    new_username: str = ""
    people_error: str = ""

    def _admin(self) -> bool:
        viewer = self.viewer()
        return viewer is not None and viewer.is_admin and viewer.user_id is not None

    async def load(self) -> None:
        result = await list_users()
        self.people = [{"id": u.id, "username": u.username,
                        "role": "admin" if u.is_admin else "user",
                        "state": "disabled" if u.disabled else "active",
                        "created_at": iso(u.created_at)} for u in result.data] if result.ok else []

    @rx.event
    def set_new_username(self, value: str):
        self.new_username = value[:60]

    @rx.event
    async def add_person(self, form: dict):
        if not self._admin():
            return to_sign_in()
        result = await create_user(self.new_username, form.get("first_password"))
        if not result.ok:
            self.people_error = result.message
            return
        self.people_error, self.new_username = "", ""
        await self.load()
        return rx.toast.success(result.message)

    @rx.event
    async def toggle_disabled(self, user_id: str, disable: bool):
        if not self._admin():
            return to_sign_in()
        result = await set_user_disabled(user_id, disable)
        await self.load()
        return rx.toast.info(result.message) if result.ok else rx.toast.error(result.message)


def _person_row(person) -> rx.Component:
    disabled = person["state"] == "disabled"
    return rx.table.row(
        rx.table.cell(person["username"]),
        rx.table.cell(person["role"]),
        rx.table.cell(person["state"]),
        rx.table.cell(rx.cond(
            person["role"] == "admin", rx.fragment(),
            rx.button(rx.cond(disabled, "Enable", "Disable"), size="1", variant="soft",
                      on_click=PeopleState.toggle_disabled(person["id"], ~disabled)))),
        class_name="person-row", data_username=person["username"],
    )


def people_section() -> rx.Component:
    return rx.box(
        rx.heading("People", size="4", margin_top="6", margin_bottom="2"),
        rx.text("Each person sees only their own tasks, files and results; you, the admin, "
                "see everyone's. Give a new person their first password yourself.",
                size="2", margin_bottom="3"),
        rx.form(
            rx.flex(
                rx.input(placeholder="name", value=PeopleState.new_username,
                         on_change=PeopleState.set_new_username, id="new-username",
                         aria_label="New person's name", width="12em"),
                rx.input(placeholder="first password (10+ characters)", name="first_password",
                         type="password", id="new-password", aria_label="First password",
                         width="16em"),
                rx.button("Add person", type="submit", id="add-person"),
                spacing="2", wrap="wrap",
            ),
            on_submit=PeopleState.add_person, reset_on_submit=True,
        ),
        rx.cond(PeopleState.people_error != "",
                rx.text(PeopleState.people_error, color_scheme="red", size="2", id="people-error")),
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in
                                          ("Name", "Role", "State", "")])),
            rx.table.body(rx.foreach(PeopleState.people, _person_row)),
            variant="surface", margin_top="3", id="people-table",
        ),
    )
