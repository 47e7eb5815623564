"""LiveState: the one small state every page shares for live updates.

When a tab opens, one background watcher per tab waits on the in-process notifier
(no provider polling; the engine alone talks to Kie). On each change it tells the
visible page to re-read its rows, shows a toast when a task finishes, updates the tab
title, and raises a desktop notification if the person allowed them and the tab is
hidden. The watcher ends when its tab disconnects.
"""

from __future__ import annotations

import asyncio
import json

import reflex as rx
import sqlalchemy as sa
from sqlmodel import Session

from app.actions.browse import count_active
from app.engine.notifier import TaskChange, notifier
from app import routes
from app.pages.access import SignedInState
from app.pages.view_data import model_name
from app.settings import get_settings
from app.store.db import get_engine, load_detached
from app.store.models import GenerationTask
from app.store.ownership import visible

IDLE_CHECK_SECONDS = 15.0
# Tabs (client tokens) with a watcher in this process. Kept here, not in the state: with
# Redis, state outlives a process, and a flag left by a dead process would stop the
# tab's new process from ever watching again.
_WATCHED_TABS: set[str] = set()
# The running counts after the latest change, computed once per owner filter for all of
# this process's tabs: every watcher hears the same change object.
_counts_after: tuple[TaskChange | None, dict[str | None, int]] = (None, {})


def _running_count_after(change: TaskChange, sees: str | None) -> int:
    global _counts_after
    if _counts_after[0] is not change:
        _counts_after = (change, {})
    counts = _counts_after[1]
    if sees not in counts:
        counts[sees] = count_active(owner_id=sees)
    return counts[sees]


def _visible_changes(burst: list[TaskChange], sees: str | None) -> list[TaskChange]:
    """The changes this viewer may hear of. The engine publishes without the owner (it
    knows only the task id), so unknown owners are read in one query."""
    if sees is None:
        return burst
    unknown = {item.task_id for item in burst if item.owner_id is None}
    owners: dict[str, str | None] = {}
    if unknown:
        with Session(get_engine()) as session:
            owners = dict(session.execute(
                sa.select(GenerationTask.id, GenerationTask.owner_id)
                .where(GenerationTask.id.in_(unknown))).all())
    return [item for item in burst
            if visible(item.owner_id or owners.get(item.task_id), sees)]


def _connected(token: str) -> bool:
    """Is this tab still connected to this process? (Unknown counts as yes.)"""
    from app.engine.runtime import get_runtime

    reflex_app = get_runtime().reflex_app
    namespace = getattr(reflex_app, "event_namespace", None)
    if namespace is None:
        return True
    return token in namespace.token_to_sid


def _notify_script(title: str, body: str) -> str:
    return (
        "if (document.hidden && 'Notification' in window && Notification.permission === 'granted')"
        f" {{ new Notification({json.dumps(title)}, {{body: {json.dumps(body)}}}); }}"
    )


class LiveState(SignedInState):
    running_count: int = 0
    demo_mode: bool = False
    _title_sent: str = ""
    _visible_route: str = ""

    async def _refresh_visible_page(self) -> None:
        page_state = _page_states().get(self._visible_route)
        if page_state is not None:
            await (await self.get_state(page_state)).refresh_live()

    @rx.var
    def title_prefix(self) -> str:
        return f"({self.running_count}) " if self.running_count else ""

    @rx.event
    def ask_notifications(self):
        return rx.call_script(
            "if ('Notification' in window && Notification.permission === 'default')"
            " { Notification.requestPermission(); }")

    @rx.event(background=True)
    async def watch(self):
        async with self:
            token = self.router.session.client_token
            if token in _WATCHED_TABS:
                return
            _WATCHED_TABS.add(token)
            self.demo_mode = get_settings().demo_mode
            self.running_count = count_active(owner_id=self.sees())
        try:
            async with notifier.listen() as changes:
                while True:
                    try:
                        change = await asyncio.wait_for(changes.get(), IDLE_CHECK_SECONDS)
                    except TimeoutError:
                        if not _connected(token):
                            return
                        continue
                    # Collapse a burst of changes into one refresh.
                    burst = [change]
                    while not changes.empty():
                        burst.append(changes.get_nowait())
                    async with self:
                        # Asked again each time: a sign-out or a disabled account
                        # stops the updates at once.
                        sees = self.sees()
                        burst = _visible_changes(burst, sees)
                        if not burst:
                            continue
                        self.running_count = _running_count_after(burst[-1], sees)
                        await self._refresh_visible_page()
                        title = self.title_prefix + "Atelier"
                        title_changed, self._title_sent = title != self._title_sent, title
                    for item in burst:
                        if item.finished:
                            for event in _finished_events(item.task_id, item.status):
                                yield event
                    if title_changed:  # one message less per tab and change otherwise
                        yield rx.call_script(f"document.title = {json.dumps(title)}")
                    if not _connected(token):
                        return
        finally:
            _WATCHED_TABS.discard(token)


async def mark_visible(state: rx.State, route: str) -> None:
    """Each page's on_load says which page the tab shows, for live refreshes."""
    live = await state.get_state(LiveState)
    live._visible_route = route
    live._title_sent = ""  # the new page set its own title: send the count again


def _page_states() -> dict[str, type[rx.State]]:
    # Imported here: pages import LiveState, not the other way round.
    from app.pages.dashboard import DashboardState
    from app.pages.task_detail import TaskDetailState
    from app.pages.tasks import TasksState

    return {routes.TASKS: TasksState, routes.TASK: TaskDetailState,
            routes.DASHBOARD: DashboardState}


def _finished_events(task_id: str, status: str):
    task = load_detached(get_engine(), GenerationTask, task_id)
    if task is None:
        return
    what = f"{model_name(task.api_type)}: {(task.prompt or '')[:60]}"
    if status == "succeeded":
        yield rx.toast.success(f"Finished — {what}", duration=6000)
        yield rx.call_script(_notify_script("Atelier: task finished", what))
    elif status == "failed":
        yield rx.toast.error(f"Failed — {what}", description=(task.fail_message or "")[:200],
                             duration=8000)
        yield rx.call_script(_notify_script("Atelier: task failed", what))
