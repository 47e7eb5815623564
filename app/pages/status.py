"""Status: demo or live, key configured (never the key), credits, callbacks, engine."""

from __future__ import annotations

import reflex as rx

from app import routes
from app.accounts.kie_keys import key_for_owner
from app.components.layout import page
from app.pages.access import SignedInState, to_sign_in
from app.pages.live import mark_visible
from app.engine import metrics
from app.engine.runtime import callback_base_url, get_runtime
from app.providers.kie import KieError


def _callbacks_received() -> int:
    return int(sum(sample.value for family in metrics.CALLBACKS.collect()
                   for sample in family.samples if sample.name.endswith("_total")))


class StatusState(SignedInState):
    mode: str = ""
    key_configured: bool = False
    credits: str = ""
    callback_url: str = ""
    callbacks_received: int = 0
    engine_running: bool = False
    queue_depth: int = 0
    inflight: int = 0
    last_tick: str = ""

    @rx.event
    async def on_load(self):
        viewer = self.viewer()
        if viewer is None:
            return to_sign_in()
        await mark_visible(self, routes.STATUS)
        runtime = get_runtime()
        settings = runtime.settings
        self.mode = "Demo (built-in Kie simulator)" if settings.demo_mode else "Live (Kie.ai)"
        self.key_configured = not settings.demo_mode
        base = callback_base_url(settings)
        self.callback_url = f"{base}/api/kie/callback/<per-task token>" if base else ""
        self.callbacks_received = _callbacks_received()
        try:
            own_key = key_for_owner(viewer.user_id)
            credits = await runtime.client.get_credits(api_key=own_key)
            self.credits = f"{credits:,.1f}" + (" (your own key)" if own_key else "")
        except KieError as error:
            self.credits = f"unavailable ({error.kind})"
        engine = runtime.engine
        if engine is None:
            self.engine_running = False
            return
        health = engine.health()
        self.engine_running = bool(health["running"])
        self.queue_depth = int(health["queue_depth"])
        self.inflight = int(health["inflight"])
        tick = health["seconds_since_tick"]
        self.last_tick = "" if tick is None else f"{tick:.1f} s ago"


def _row(label: str, value) -> rx.Component:
    return rx.table.row(rx.table.row_header_cell(label),
                        rx.table.cell(value, style={"word_break": "break-all"}))


def status_page() -> rx.Component:
    return page(
        rx.table.root(
            rx.table.body(
                _row("Mode", StatusState.mode),
                _row("Kie API key", rx.cond(StatusState.key_configured, "configured",
                                            "not configured")),
                _row("Credits", StatusState.credits),
                _row("Callback URL", rx.cond(StatusState.callback_url != "",
                                             StatusState.callback_url,
                                             "off (set PUBLIC_BASE_URL): polling only")),
                _row("Callbacks received", StatusState.callbacks_received),
                _row("Engine", rx.cond(StatusState.engine_running, "running", "stopped")),
                _row("Last engine tick", StatusState.last_tick),
                _row("Queue depth", StatusState.queue_depth),
                _row("Requests in flight", StatusState.inflight),
            ),
            variant="surface", id="status-table",
        ),
        rx.button("Allow desktop notifications", variant="soft", margin_top="4",
                  on_click=rx.call_script("Notification.requestPermission()")),
        title="Status",
    )
