"""One task: its parameters, its timeline, its results in place, and what to do next."""

from __future__ import annotations

import json

import reflex as rx

from app import routes
from app.actions.browse import queue_position, task_events
from app.actions.manage import cancel_task, delete_task, retry_unknown_submission, run_again
from app.actions.picking import select_result, set_favourite, set_tags
from app.actions.tasks import query_generation_task
from app.components.badges import progress_bar, relative_time, status_badge
from app.components.layout import page
from app.pages.access import SignedInState, to_sign_in
from app.pages.live import mark_visible
from app.pages.view_data import event_row, iso, split_tags, task_row
from app.store.views import ResultPublic, TaskPublic

FAILURE_ADVICE = {
    "auth": "Fix the Kie API key in the server settings, then run the task again.",
    "insufficient_credits": "Top up your Kie credits, then run the task again.",
    "timeout": "Kie took too long. Run it again, perhaps with a faster model.",
    "unknown_outcome": "Retry to send it again (it may be charged twice), or drop it.",
}
DEFAULT_ADVICE = "Adjust the parameters or the prompt and run it again."


def _result_view(result: ResultPublic, task: TaskPublic) -> dict[str, str]:
    """One result as the page shows it, with where it lives and for how long."""
    if result.mirrored:
        keeping = "Kept by Atelier"
    elif result.mirror_state in ("refused", "failed"):
        keeping = f"Not copied ({result.mirror_detail or result.mirror_state}): only at Kie"
    else:
        keeping = "At Kie only"
    return {"url": result.url, "position": str(result.position),
            "chosen": "1" if task.selected_result == result.position else "",
            "mirrored": "1" if result.mirrored else "", "keeping": keeping,
            "expires": "" if result.mirrored else iso(task.provider_expires_at)}


class TaskDetailState(SignedInState):
    task: dict[str, str] = {}
    params_json: str = ""
    # One entry per result: url, position, chosen ("1" for the picked one).
    results: list[dict[str, str]] = []
    extra_results: list[list[str]] = []
    tags_text: str = ""
    events: list[dict[str, str]] = []
    advice: str = ""
    not_found: bool = False

    def _task_id(self) -> str:
        return self.router.url.query_parameters.get("id", "")

    async def _load(self, refresh: bool, sees: str | None) -> None:
        """The task as `sees` (the handler's one look at who is signed in) may read it."""
        result = await query_generation_task(self._task_id(), refresh=refresh, owner_id=sees)
        if not result.ok:
            self.not_found, self.task, self.results, self.events = True, {}, [], []
            return
        task = result.data
        self.not_found = False
        self.task = task_row(task) | {"provider_state": task.provider_state or "",
                                      "provider_task_id": task.provider_task_id or "",
                                      "credits": "" if task.credits is None else f"{task.credits:g}",
                                      "queue_position": str(queue_position(task) or "")}
        self.params_json = json.dumps(task.params, indent=2, ensure_ascii=False)
        self.results = [_result_view(result, task) for result in task.results]
        self.tags_text = " ".join(task.tags)
        self.extra_results = [[role, url] for role, urls in task.extra_outputs.items()
                              for url in urls]
        self.advice = FAILURE_ADVICE.get(task.fail_code or "", DEFAULT_ADVICE)
        events = await task_events(task.id, owner_id=sees)
        self.events = [event_row(e) for e in events.data] if events.ok else []

    @rx.event
    async def on_load(self):
        viewer = self.viewer()
        if viewer is None:
            return to_sign_in()
        await mark_visible(self, routes.TASK)
        await self._load(refresh=True, sees=viewer.sees)

    async def refresh_live(self) -> None:
        """Called by LiveState's watcher (under this client's state lock)."""
        if self.task:
            await self._load(refresh=False, sees=self.sees())

    @rx.event
    async def toggle_favourite(self):
        sees = self.sees()
        result = await set_favourite(self._task_id(), self.task.get("favourite", "") == "",
                                     owner_id=sees)
        await self._load(refresh=False, sees=sees)
        if not result.ok:
            return rx.toast.error(result.message)

    @rx.event
    def set_tags_text(self, value: str):
        self.tags_text = value[:500]

    @rx.event
    async def save_tags(self):
        sees = self.sees()
        result = await set_tags(self._task_id(), split_tags(self.tags_text), owner_id=sees)
        await self._load(refresh=False, sees=sees)
        return rx.toast.info("Tags saved") if result.ok else rx.toast.error(result.message)

    @rx.event
    async def choose(self, position: str):
        chosen = next((r for r in self.results if r["position"] == position), None)
        picked = None if chosen and chosen["chosen"] else int(position)
        sees = self.sees()
        result = await select_result(self._task_id(), picked, owner_id=sees)
        await self._load(refresh=False, sees=sees)
        if not result.ok:
            return rx.toast.error(result.message)

    @rx.event
    async def stop_tracking(self):
        sees = self.sees()
        result = await cancel_task(self._task_id(), owner_id=sees)
        await self._load(refresh=False, sees=sees)
        return rx.toast.info("Stopped tracking") if result.ok else rx.toast.error(result.message)

    @rx.event
    async def retry(self):
        sees = self.sees()
        result = await retry_unknown_submission(self._task_id(), owner_id=sees)
        await self._load(refresh=False, sees=sees)
        return rx.toast.info("Queued again") if result.ok else rx.toast.error(result.message)

    @rx.event
    async def delete(self):
        result = await delete_task(self._task_id(), owner_id=self.sees())
        if not result.ok:
            return rx.toast.error(result.message)
        return [rx.toast.info("Task deleted"), rx.redirect(routes.TASKS)]

    @rx.event
    async def again(self):
        viewer = self.viewer()
        if viewer is None:
            return to_sign_in()
        result = await run_again(self._task_id(), owner_id=viewer.sees,
                                 new_owner_id=viewer.owner_for_new)
        if not result.ok:
            return rx.toast.error(result.message)
        return [rx.toast.success("Queued again with the same parameters"),
                rx.redirect(routes.task_url(result.data.id))]


def _result(result) -> rx.Component:
    url = result["url"]
    kind = TaskDetailState.task["media_kind"]
    media = rx.match(
        kind,
        # Native elements: a player library guesses the kind from the URL's extension,
        # and Atelier's own copies (/api/results/<task>/<n>) have none.
        ("video", rx.el.video(src=url, controls=True, preload="metadata",
                              class_name="result-video",
                              style={"width": "100%", "height": "auto"})),
        ("audio", rx.el.audio(src=url, controls=True, preload="metadata",
                              class_name="result-audio", style={"width": "100%"})),
        rx.image(src=url, alt="Generated result", width="100%", border_radius="8px",
                 class_name="result-image"),
    )
    return rx.card(
        media,
        rx.flex(
            rx.link(rx.button("Download", size="1", variant="soft"), href=url, is_external=True,
                    download=True),
            rx.button("Copy link", size="1", variant="soft",
                      on_click=[rx.set_clipboard(url), rx.toast.info("Link copied")]),
            rx.cond(TaskDetailState.task["status"] == "succeeded",
                    rx.button(rx.cond(result["chosen"] != "", "✓ Chosen", "Choose this one"),
                              size="1", variant=rx.cond(result["chosen"] != "", "solid", "soft"),
                              color_scheme="green", class_name="choose-result",
                              on_click=TaskDetailState.choose(result["position"]))),
            spacing="2", margin_top="2", wrap="wrap",
        ),
        rx.text(result["keeping"],
                rx.cond(result["expires"] != "",
                        rx.fragment(" · Kie deletes it ", relative_time(result["expires"]))),
                size="1", color_scheme=rx.cond(result["mirrored"] != "", "green", "orange"),
                margin_top="1", class_name="result-keeping"),
        class_name="result-card", data_position=result["position"],
        data_mirrored=result["mirrored"],
        data_chosen=result["chosen"],
    )


def _results() -> rx.Component:
    return rx.cond(
        TaskDetailState.results.length() > 0,
        rx.box(
            rx.heading("Results", size="4", margin_bottom="2"),
            rx.grid(rx.foreach(TaskDetailState.results, _result),
                    columns=rx.breakpoints(initial="1", sm="2"), spacing="3", id="results"),
            rx.cond(TaskDetailState.extra_results.length() > 0,
                    rx.flex(rx.foreach(TaskDetailState.extra_results,
                                       lambda pair: rx.link(pair[0], href=pair[1],
                                                            is_external=True, size="1")),
                            spacing="3", wrap="wrap", margin_top="2")),
            margin_bottom="4",
        ),
    )


def _failure() -> rx.Component:
    return rx.cond(
        TaskDetailState.task["fail_message"] != "",
        rx.callout.root(
            rx.callout.text(rx.text(TaskDetailState.task["fail_message"], weight="bold",
                                    id="fail-message")),
            rx.callout.text(TaskDetailState.advice),
            color_scheme=rx.cond(TaskDetailState.task["status"] == "needs_attention",
                                 "orange", "red"),
            margin_bottom="4",
        ),
    )


def _actions() -> rx.Component:
    status = TaskDetailState.task["status"]
    return rx.flex(
        rx.button("Run again", on_click=TaskDetailState.again, id="run-again"),
        rx.cond(status == "needs_attention",
                rx.button("Retry (may charge twice)", color_scheme="orange",
                          on_click=TaskDetailState.retry)),
        rx.cond(TaskDetailState.task["active"] != "",
                rx.button("Stop tracking", variant="soft", color_scheme="gray",
                          on_click=TaskDetailState.stop_tracking)),
        rx.cond(status == "needs_attention",
                rx.button("Drop", variant="soft", color_scheme="gray",
                          on_click=TaskDetailState.stop_tracking)),
        rx.alert_dialog.root(
            rx.alert_dialog.trigger(rx.button("Delete", variant="soft", color_scheme="red")),
            rx.alert_dialog.content(
                rx.alert_dialog.title("Delete this task?"),
                rx.alert_dialog.description("Its history and results links go away."),
                rx.flex(rx.alert_dialog.cancel(rx.button("Keep", variant="soft")),
                        rx.alert_dialog.action(rx.button("Delete", color_scheme="red",
                                                         on_click=TaskDetailState.delete)),
                        spacing="2", justify="end", margin_top="3"),
            ),
        ),
        spacing="2", wrap="wrap", margin_bottom="4",
    )


def _timeline_item(event) -> rx.Component:
    return rx.flex(
        rx.badge(event["to"], color_scheme=event["to_color"], variant="soft"),
        rx.text(event["source"], size="1", color_scheme="gray"),
        rx.text(event["detail"], size="1"),
        rx.spacer(),
        rx.text(relative_time(event["at"]), size="1", color_scheme="gray"),
        spacing="2", align="center", wrap="wrap", class_name="timeline-item",
    )


def _details() -> rx.Component:
    task = TaskDetailState.task
    return rx.box(
        rx.flex(status_badge(task), rx.text(task["model"], weight="bold"),
                rx.text(task["provider_state"], size="1", color_scheme="gray"),
                rx.spacer(),
                rx.button(rx.cond(task["favourite"] != "", "★ Favourite", "☆ Favourite"),
                               variant="ghost", size="2", color_scheme="amber",
                               id="favourite-toggle",
                               data_favourite=task["favourite"],
                               aria_label=rx.cond(task["favourite"] != "",
                                                  "Remove from favourites", "Add to favourites"),
                               on_click=TaskDetailState.toggle_favourite),
                spacing="2", align="center", wrap="wrap", margin_bottom="2", id="task-status"),
        rx.cond(task["batch_id"] != "",
                rx.link("One variant of a batch: see them all", id="batch-link",
                        href=routes.TASKS + "?batch=" + task["batch_id"], size="2")),
        rx.text(task["prompt"], margin_bottom="2"),
        rx.cond(task["queue_position"] != "",
                rx.text("Waiting for a submission slot: number ", task["queue_position"],
                        " in the queue (Kie accepts a limited number of new tasks per "
                        "10 seconds).", size="2", color_scheme="gray", id="queue-position")),
        progress_bar(task),
        rx.flex(
            rx.input(value=TaskDetailState.tags_text, on_change=TaskDetailState.set_tags_text,
                     placeholder="Tags, e.g. poster client-a", id="task-tags",
                     aria_label="Tags", width="20em"),
            rx.button("Save tags", size="1", variant="soft", id="save-tags",
                      on_click=TaskDetailState.save_tags),
            spacing="2", align="center", wrap="wrap", margin_top="2",
        ),
        rx.box(height="12px"),
        _failure(),
        _results(),
        _actions(),
        rx.grid(
            rx.box(rx.heading("Timeline", size="3", margin_bottom="2"),
                   rx.flex(rx.foreach(TaskDetailState.events, _timeline_item),
                           direction="column", spacing="2", id="timeline")),
            rx.box(rx.heading("Parameters", size="3", margin_bottom="2"),
                   rx.code_block(TaskDetailState.params_json, language="json",
                                 wrap_long_lines=True),
                   rx.text("Kie task: ", task["provider_task_id"], size="1",
                           color_scheme="gray")),
            columns=rx.breakpoints(initial="1", md="2"), spacing="4",
        ),
    )


def task_detail_page() -> rx.Component:
    return page(
        rx.cond(TaskDetailState.not_found,
                rx.callout("No such task. It may have been deleted.", color_scheme="gray"),
                rx.cond(TaskDetailState.task.contains("id"), _details(), rx.spinner())),
        title="Task",
    )
