"""Small pieces shared by the task pages."""

from __future__ import annotations

import reflex as rx


def status_badge(row) -> rx.Component:
    return rx.badge(row["status_label"], color_scheme=row["status_color"], variant="soft",
                    class_name="status-badge", data_status=row["status"])


def _as_number(value: rx.Var) -> rx.Var:
    """A string var read as a number in the browser (`.to(int)` only changes the type
    Reflex assumes: Radix would get "42" and draw an endless 'unknown' animation)."""
    return rx.Var(_js_expr=f"Number({value!s})", _var_type=int,
                  _var_data=value._get_all_var_data())


def progress_bar(row) -> rx.Component:
    return rx.cond(
        row["active"] != "",
        rx.progress(value=_as_number(row["progress"]), max=100, width="100%", size="1",
                    aria_label="Progress", class_name="task-progress"),
    )


def relative_time(value) -> rx.Component:
    return rx.cond(value != "", rx.moment(value, from_now=True), rx.text("—"))
