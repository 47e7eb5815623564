"""Dashboard: which model is worth its credits. Per model over a chosen window — tasks,
success rate, how long Kie took (average, median, 95th percentile), credits — the
same window day by day, and why tasks failed."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import reflex as rx

from app import routes
from app.accounts.viewer import Viewer
from app.actions.stats import daily_report, failure_reasons, model_stats
from app.components.layout import page
from app.pages.access import SignedInState, to_sign_in
from app.pages.live import mark_visible
from app.pages.view_data import model_name

WINDOWS = [["7", "Last 7 days"], ["30", "Last 30 days"], ["90", "Last 90 days"],
           ["365", "Last year"]]
# Figures move when tasks finish, not with every progress tick: a busy studio would
# otherwise rerun the statistics for every tab several times a second.
LIVE_REFRESH_SECONDS = 5.0


def _seconds(value: float | None) -> str:
    if value is None:
        return "—"
    if value < 10:
        return f"{value:.1f} s"
    return f"{value:.0f} s" if value < 120 else f"{value / 60:.1f} min"


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


class DashboardState(SignedInState):
    window: str = "30"
    models: list[dict[str, str]] = []
    # Chart data keeps numbers: recharts plots them.
    model_chart: list[dict[str, str | int | float]] = []
    days: list[dict[str, str | int | float]] = []
    failures: list[dict[str, str]] = []
    totals: dict[str, str] = {}
    error: str = ""
    _loaded_at: float = 0.0

    async def _load(self, viewer: Viewer | None = None) -> None:
        viewer = viewer or self.viewer()
        if viewer is None:
            self.error = "You are signed out: reload the page to sign in."
            return
        self._loaded_at = time.monotonic()
        days = int(self.window) if self.window.isdigit() else 30
        since = datetime.now(timezone.utc) - timedelta(days=days)
        per_model = await model_stats(created_from=since, owner_id=viewer.sees)
        per_day = await daily_report(days, owner_id=viewer.sees)
        reasons = await failure_reasons(10, created_from=since, owner_id=viewer.sees)
        problem = next((r.message for r in (per_model, per_day, reasons) if not r.ok), "")
        self.error = problem
        if problem:
            return
        self.models = [{
            "api_type": m.api_type, "model": model_name(m.api_type), "tasks": str(m.tasks),
            "succeeded": str(m.succeeded), "failed": str(m.failed),
            "success_rate": _share(m.success_rate), "avg": _seconds(m.duration_avg),
            "p50": _seconds(m.duration_p50), "p95": _seconds(m.duration_p95),
            "credits": f"{m.credits:,.1f}",
        } for m in per_model.data]
        self.model_chart = [{"model": model_name(m.api_type), "succeeded": m.succeeded,
                             "failed": m.failed, "other": m.tasks - m.succeeded - m.failed}
                            for m in per_model.data[:12]]
        self.days = [{"day": d.day[5:], "succeeded": d.succeeded, "failed": d.failed,
                      "credits": round(d.credits, 2)} for d in per_day.data]
        self.failures = [{"code": r.fail_code or "—", "message": r.fail_message or "—",
                          "tasks": str(r.tasks)} for r in reasons.data]
        tasks = sum(m.tasks for m in per_model.data)
        succeeded = sum(m.succeeded for m in per_model.data)
        finished = sum(m.succeeded + m.failed + m.canceled for m in per_model.data)
        self.totals = {"tasks": f"{tasks:,}", "success_rate": _share(
            succeeded / finished if finished else None),
            "credits": f"{sum(m.credits for m in per_model.data):,.1f}",
            "models": str(len(per_model.data))}

    @rx.event
    async def on_load(self):
        viewer = self.viewer()
        if viewer is None:
            return to_sign_in()
        await mark_visible(self, routes.DASHBOARD)
        await self._load(viewer)

    async def refresh_live(self) -> None:
        """Called by LiveState's watcher: finished tasks change the figures."""
        if time.monotonic() - self._loaded_at >= LIVE_REFRESH_SECONDS:
            await self._load()

    @rx.event
    async def set_window(self, value: str):
        self.window = value if value in {w[0] for w in WINDOWS} else "30"
        await self._load()


def _figure(label: str, value, figure_id: str) -> rx.Component:
    return rx.card(rx.text(label, size="1", color_scheme="gray"),
                   rx.text(value, size="6", weight="bold", id=figure_id), min_width="9em")


def _model_row(row) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(rx.link(row["model"], href=routes.TASKS)),
        *[rx.table.cell(row[key]) for key in ("tasks", "succeeded", "failed", "success_rate",
                                              "avg", "p50", "p95", "credits")],
        class_name="model-stats-row", data_api_type=row["api_type"],
    )


def _charts() -> rx.Component:
    daily = rx.recharts.bar_chart(
        rx.recharts.cartesian_grid(stroke_dasharray="3 3"),
        rx.recharts.x_axis(data_key="day"),
        rx.recharts.y_axis(allow_decimals=False),
        rx.recharts.graphing_tooltip(),
        rx.recharts.legend(),
        rx.recharts.bar(data_key="succeeded", stack_id="tasks", fill="var(--green-9)"),
        rx.recharts.bar(data_key="failed", stack_id="tasks", fill="var(--red-9)"),
        data=DashboardState.days, width="100%", height=260,
    )
    by_model = rx.recharts.bar_chart(
        rx.recharts.cartesian_grid(stroke_dasharray="3 3"),
        rx.recharts.x_axis(type_="number", allow_decimals=False),
        rx.recharts.y_axis(data_key="model", type_="category", width=140),
        rx.recharts.graphing_tooltip(),
        rx.recharts.legend(),
        rx.recharts.bar(data_key="succeeded", stack_id="m", fill="var(--green-9)"),
        rx.recharts.bar(data_key="failed", stack_id="m", fill="var(--red-9)"),
        rx.recharts.bar(data_key="other", stack_id="m", fill="var(--gray-8)", name="running/other"),
        data=DashboardState.model_chart, layout="vertical", width="100%", height=300,
    )
    return rx.grid(
        rx.card(rx.heading("Day by day", size="3", margin_bottom="2"), daily, id="daily-chart"),
        rx.card(rx.heading("By model", size="3", margin_bottom="2"), by_model,
                id="model-chart"),
        columns=rx.breakpoints(initial="1", md="2"), spacing="3", margin_bottom="4",
    )


def dashboard_page() -> rx.Component:
    return page(
        rx.flex(
            rx.el.select(*[rx.el.option(label, value=value) for value, label in WINDOWS],
                         id="stats-window", value=DashboardState.window,
                         on_change=DashboardState.set_window, class_name="native-select",
                         aria_label="Time window"),
            spacing="2", align="center", margin_bottom="3",
        ),
        rx.cond(DashboardState.error != "", rx.callout(DashboardState.error, color_scheme="red")),
        rx.flex(
            _figure("Tasks", DashboardState.totals["tasks"], "total-tasks"),
            _figure("Success rate", DashboardState.totals["success_rate"], "total-success"),
            _figure("Credits spent", DashboardState.totals["credits"], "total-credits"),
            _figure("Models used", DashboardState.totals["models"], "total-models"),
            spacing="3", wrap="wrap", margin_bottom="4",
        ),
        _charts(),
        rx.heading("Per model", size="4", margin_bottom="2"),
        rx.box(rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in (
                "Model", "Tasks", "Succeeded", "Failed", "Success", "Average", "Median",
                "95th pct", "Credits")])),
            rx.table.body(rx.foreach(DashboardState.models, _model_row)),
            variant="surface", id="model-stats",
        ), overflow_x="auto", margin_bottom="4"),
        rx.heading("Why tasks failed", size="4", margin_bottom="2"),
        rx.cond(
            DashboardState.failures.length() > 0,
            rx.table.root(
                rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in
                                              ("Code", "Message", "Tasks")])),
                rx.table.body(rx.foreach(DashboardState.failures, lambda r: rx.table.row(
                    rx.table.cell(r["code"]), rx.table.cell(r["message"]),
                    rx.table.cell(r["tasks"]), class_name="failure-row"))),
                variant="surface", id="failure-reasons",
            ),
            rx.text("No failures in this window.", size="2", color_scheme="gray"),
        ),
        title="Dashboard",
    )
