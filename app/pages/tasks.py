"""The task list: live; filtered by status, model, dates, tag and favourites; searched
over prompts and parameters (full text); newest or oldest first; paged."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import reflex as rx

from app import routes
from app.accounts.viewer import Viewer
from app.actions.batches import batch_status, cancel_batch
from app.actions.browse import list_generation_tasks
from app.actions.inputs import is_task_id
from app.actions.tasks import TAG_MAX
from app.api.export_link import export_link
from app.catalog import CATALOG
from app.components.badges import progress_bar, relative_time, status_badge
from app.components.layout import page
from app.pages.access import NOBODY, SignedInState, to_sign_in
from app.pages.live import mark_visible
from app.pages.view_data import STATUS_LABELS, model_name, task_row

PAGE_SIZE = 30
STATUS_CHIPS = [("all", "All"), ("active", "Running"), ("succeeded", "Succeeded"),
                ("failed", "Failed"), ("needs_attention", "Needs you"), ("canceled", "Canceled")]
_CHIP_STATUSES = {
    "all": [], "active": ["queued", "submitting", "pending", "processing"],
    "succeeded": ["succeeded"], "failed": ["failed"], "needs_attention": ["needs_attention"],
    "canceled": ["canceled"],
}
MODEL_CHOICES = [["", "All models"]] + sorted(
    ([key, entry.display_name] for key, entry in CATALOG.items()), key=lambda pair: pair[1])


SORT_CHOICES = [["newest", "Newest first"], ["oldest", "Oldest first"]]


def _day_start(text: str, days_later: int = 0) -> datetime | None:
    """A date input's value as the UTC start of that day (plus some days); None if empty
    or not a date."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return datetime.combine(day + timedelta(days=days_later), time.min, tzinfo=timezone.utc)


def _as_text(value) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


class TasksState(SignedInState):
    rows: list[dict[str, str]] = []
    chip: str = "all"
    model: str = ""
    search: str = ""
    date_from: str = ""
    date_to: str = ""
    tag: str = ""
    favourites_only: bool = False
    sort: str = "newest"
    # Set from the URL (?batch=…): the list shows one batch's variants.
    batch_id: str = ""
    batch: dict[str, str] = {}
    # Signed download links for exactly the list on screen (renewed with every load).
    export_csv: str = ""
    export_json: str = ""
    next_cursor: str = ""
    loaded: bool = False
    error: str = ""
    # How many pages are on screen, so a live refresh keeps the same depth.
    _pages: int = 1

    async def _load(self, append: bool = False, viewer: Viewer | None = None) -> None:
        """One look at who is signed in (or the handler's) serves the list, the export
        links and the batch banner."""
        viewer = viewer or self.viewer()
        sees = NOBODY if viewer is None else viewer.sees
        filters = self._filters()
        result = await list_generation_tasks(
            owner_id=sees, **filters, sort=self.sort, limit=PAGE_SIZE * (1 if append else self._pages),
            after=self.next_cursor if append else None)
        as_text = {"statuses": ",".join(filters["statuses"]),
                   **{k: _as_text(v) for k, v in filters.items() if k != "statuses"}}
        # The link names whose tasks and whom it is for; only that person can use it.
        as_text.update(owner=sees or "", **{"for": viewer.user_id or "" if viewer else NOBODY})
        self.export_csv = export_link("csv", as_text)
        self.export_json = export_link("json", as_text)
        await self._load_batch(sees)
        if not result.ok:
            self.error = result.message
            return
        rows = [task_row(t) for t in result.data.tasks]
        self.rows = self.rows + rows if append else rows
        self.next_cursor = result.data.next_cursor or ""
        self.error = ""
        self.loaded = True

    def _filters(self) -> dict:
        """The list's filter as the actions take it (also signed into export links)."""
        return dict(
            statuses=_CHIP_STATUSES.get(self.chip, []), api_type=self.model or None,
            search=self.search or None,
            # "To" is the last day shown, so the range ends at the next day's start.
            created_from=_day_start(self.date_from), created_to=_day_start(self.date_to, 1),
            tag=self.tag.strip() or None, favourite=True if self.favourites_only else None,
            batch_id=self.batch_id or None)

    async def _load_batch(self, sees: str | None) -> None:
        if not self.batch_id:
            self.batch = {}
            return
        result = await batch_status(self.batch_id, owner_id=sees)
        if not result.ok:
            self.batch = {}
            return
        batch = result.data
        counts = ", ".join(f"{n} {STATUS_LABELS.get(s, s).lower()}"
                           for s, n in sorted(batch.counts.items()) if n)
        self.batch = {"label": batch.label or model_name(batch.api_type), "status": batch.status,
                      "progress": str(int(round(batch.progress * 100))),
                      "size": str(batch.size), "counts": counts,
                      "seeds": "" if batch.seed_start is None else
                      f"· seeds {batch.seed_start}–{batch.seed_start + batch.size - 1}"}

    @rx.event
    async def on_load(self):
        viewer = self.viewer()
        if viewer is None:
            return to_sign_in()
        await mark_visible(self, routes.TASKS)
        self._pages = 1
        wanted = self.router.url.query_parameters.get("batch", "")
        self.batch_id = wanted if is_task_id(wanted) else ""
        await self._load(viewer=viewer)

    @rx.event
    async def cancel_batch(self):
        viewer = self.viewer()
        if viewer is None:
            return to_sign_in()
        result = await cancel_batch(self.batch_id, owner_id=viewer.sees)
        await self._load(viewer=viewer)
        return rx.toast.info(result.message) if result.ok else rx.toast.error(result.message)

    async def refresh_live(self) -> None:
        """Called by LiveState's watcher (under this client's state lock)."""
        await self._load()

    @rx.event
    async def set_chip(self, chip: str):
        self.chip, self._pages = chip, 1
        await self._load()

    @rx.event
    async def set_model(self, model: str):
        self.model, self._pages = ("" if model == "all" else model), 1
        await self._load()

    @rx.event
    async def set_search(self, text: str):
        self.search, self._pages = text[:200], 1
        await self._load()

    @rx.event
    async def set_date_from(self, value: str):
        self.date_from, self._pages = value[:10], 1
        await self._load()

    @rx.event
    async def set_date_to(self, value: str):
        self.date_to, self._pages = value[:10], 1
        await self._load()

    @rx.event
    async def set_tag(self, text: str):
        self.tag, self._pages = text[:TAG_MAX], 1
        await self._load()

    @rx.event
    async def set_favourites_only(self, value: bool):
        self.favourites_only, self._pages = bool(value), 1
        await self._load()

    @rx.event
    async def set_sort(self, value: str):
        self.sort, self._pages = ("oldest" if value == "oldest" else "newest"), 1
        await self._load()

    @rx.event
    async def clear_filters(self):
        self.chip, self.model, self.search, self.tag = "all", "", "", ""
        self.date_from, self.date_to, self.favourites_only, self.sort = "", "", False, "newest"
        self.batch_id, self._pages = "", 1
        await self._load()

    @rx.var
    def filtered(self) -> bool:
        return bool(self.chip != "all" or self.model or self.search or self.tag or
                    self.date_from or self.date_to or self.favourites_only or self.batch_id)

    @rx.event
    async def load_more(self):
        self._pages += 1
        await self._load(append=True)


def _chip(key: str, label: str) -> rx.Component:
    return rx.button(
        label, size="1", radius="full",
        variant=rx.cond(TasksState.chip == key, "solid", "soft"),
        on_click=TasksState.set_chip(key), aria_pressed=TasksState.chip == key,
        class_name="status-chip", data_chip=key,
    )


def _filters() -> rx.Component:
    return rx.flex(
        rx.flex(*[_chip(key, label) for key, label in STATUS_CHIPS], spacing="2", wrap="wrap"),
        rx.flex(
            rx.el.label("Model", html_for="model-filter", class_name="rt-Text rt-r-size-2"),
            rx.el.select(
                *[rx.el.option(label, value=value) for value, label in MODEL_CHOICES],
                id="model-filter", value=TasksState.model,
                on_change=TasksState.set_model, class_name="native-select",
            ),
            rx.input(placeholder="Search prompts and parameters…", value=TasksState.search,
                     on_change=TasksState.set_search.debounce(300), id="task-search",
                     aria_label="Search prompts and parameters", width="18em"),
            rx.input(placeholder="Tag", value=TasksState.tag, id="tag-filter",
                     on_change=TasksState.set_tag.debounce(300), aria_label="Tag",
                     width="8em"),
            spacing="2", align="center", wrap="wrap",
        ),
        rx.flex(
            rx.el.label("From", html_for="date-from", class_name="rt-Text rt-r-size-2"),
            rx.input(type="date", value=TasksState.date_from, id="date-from",
                     on_change=TasksState.set_date_from, width="10em"),
            rx.el.label("to", html_for="date-to", class_name="rt-Text rt-r-size-2"),
            rx.input(type="date", value=TasksState.date_to, id="date-to",
                     on_change=TasksState.set_date_to, width="10em"),
            rx.el.label(
                rx.checkbox(checked=TasksState.favourites_only, id="favourites-only",
                            on_change=TasksState.set_favourites_only),
                " Favourites only", class_name="rt-Text rt-r-size-2",
                style={"display": "flex", "gap": "6px", "align_items": "center"}),
            rx.el.select(
                *[rx.el.option(label, value=value) for value, label in SORT_CHOICES],
                id="sort-order", value=TasksState.sort, on_change=TasksState.set_sort,
                class_name="native-select", aria_label="Order",
            ),
            rx.cond(TasksState.filtered,
                    rx.button("Clear filters", size="1", variant="ghost", id="clear-filters",
                              on_click=TasksState.clear_filters)),
            rx.spacer(),
            rx.text("Export:", size="2", color_scheme="gray"),
            # reloadDocument: the router would otherwise route in the page, not download.
            rx.el.a("CSV", href=TasksState.export_csv, id="export-csv", download="",
                    class_name="rt-Text rt-r-size-2 rt-Link",
                    custom_attrs={"reloadDocument": True}),
            rx.el.a("JSON", href=TasksState.export_json, id="export-json", download="",
                    class_name="rt-Text rt-r-size-2 rt-Link",
                    custom_attrs={"reloadDocument": True}),
            spacing="2", align="center", wrap="wrap",
        ),
        direction="column", spacing="3", margin_bottom="4",
    )


def _row(row) -> rx.Component:
    return rx.link(
        rx.card(
            rx.flex(
                rx.cond(row["thumbnail"] != "",
                        rx.image(src=row["thumbnail"], width="56px", height="56px",
                                 object_fit="cover", border_radius="6px", alt="Result preview"),
                        rx.box(width="56px", height="56px", border_radius="6px",
                               background="var(--gray-a3)")),
                rx.flex(
                    rx.flex(status_badge(row), rx.text(row["model"], weight="bold", size="2"),
                            rx.cond(row["favourite"] != "",
                                    rx.text("★", color_scheme="amber", aria_label="Favourite",
                                            class_name="favourite-mark")),
                            rx.cond(row["tags"] != "",
                                    rx.text(row["tags"], size="1", color_scheme="violet",
                                            class_name="task-tags")),
                            rx.spacer(), rx.text(relative_time(row["created_at"]), size="1",
                                                 color_scheme="gray"),
                            spacing="2", align="center", wrap="wrap"),
                    rx.text(row["prompt"], size="2", trim="end", class_name="task-prompt"),
                    progress_bar(row),
                    rx.cond(row["fail_message"] != "",
                            rx.text(row["fail_message"], size="1", color_scheme="red")),
                    direction="column", spacing="1", flex="1", min_width="0",
                ),
                spacing="3", align="center",
            ),
            width="100%",
        ),
        href=routes.TASK + "?id=" + row["id"], underline="none", class_name="task-row",
        data_task_id=row["id"], data_status=row["status"],
    )


def _empty() -> rx.Component:
    return rx.card(
        rx.flex(
            rx.heading("No tasks yet", size="4"),
            rx.text("Pick a model, write a prompt, and your first generation appears here "
                    "with live progress."),
            rx.link(rx.button("Create your first task"), href=routes.CREATE),
            direction="column", spacing="2", align="center", padding="5",
        ),
        class_name="empty-state",
    )


def _batch_banner() -> rx.Component:
    batch = TasksState.batch
    return rx.cond(
        TasksState.batch.contains("status"),
        rx.callout.root(
            rx.flex(
                rx.text("Batch: ", rx.text.strong(batch["label"]), " — ", batch["size"],
                        " variants, ", batch["counts"], " ", batch["seeds"], size="2"),
                rx.badge(batch["status"], id="batch-status", data_status=batch["status"]),
                rx.text(batch["progress"], "%", size="2"),
                rx.spacer(),
                rx.cond(batch["status"] == "running",
                        rx.button("Stop tracking the rest", size="1", variant="soft",
                                  color_scheme="gray", on_click=TasksState.cancel_batch,
                                  id="cancel-batch")),
                spacing="2", align="center", wrap="wrap", width="100%",
            ),
            color_scheme="violet", margin_bottom="3", id="batch-banner",
        ),
    )


def tasks_page() -> rx.Component:
    return page(
        _batch_banner(),
        _filters(),
        rx.cond(TasksState.error != "", rx.callout(TasksState.error, color_scheme="red")),
        rx.cond(
            TasksState.rows.length() > 0,
            rx.flex(rx.foreach(TasksState.rows, _row), direction="column", spacing="2",
                    id="task-list"),
            rx.cond(TasksState.loaded,
                    rx.cond(~TasksState.filtered,
                            _empty(), rx.text("No task matches these filters.",
                                              id="no-matches"))),
        ),
        rx.cond(TasksState.next_cursor != "",
                rx.button("Load more", variant="soft", on_click=TasksState.load_more,
                          margin_top="3")),
        title="Tasks",
    )

