"""Create: pick a model (grouped by kind), fill the form the catalog describes, attach
reference files, submit. Mistakes are caught here, before anything is paid for."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import reflex as rx

from app import routes
from app.actions.batches import create_batch
from app.actions.tasks import create_generation_task
from app.actions.uploads import upload_generation_file
from app.catalog import CATALOG, GROUPS, CatalogValidationError, entries_by_group, validate_request
from app.catalog.schema import CatalogEntry, FieldSpec
from app.components.layout import page
from app.pages.access import SignedInState, to_sign_in
from app.pages.live import mark_visible
from app.pages.view_data import split_tags
from app.store.models import utcnow

UPLOAD_ID = "reference-upload"
GROUP_TITLES = {"image": "Image", "video": "Video", "music": "Music", "speech": "Speech",
                "edit": "Edit"}
DEFAULT_MODEL = "imagen4"
# Variants per submission: more than one makes a batch (a seed walk where seeds exist).
RUN_CHOICES = ["1", "2", "3", "4", "6", "8"]


def _needs_file(entry: CatalogEntry) -> bool:
    return any(f.input_file and f.required for f in entry.fields)


def _picker_groups() -> list[dict[str, Any]]:
    groups = entries_by_group()
    return [
        {"title": GROUP_TITLES[group], "entries": [
            {"api_type": e.api_type, "name": e.display_name, "description": e.description,
             "needs": "Needs a reference file" if _needs_file(e) else ""}
            for e in groups.get(group, [])]}
        for group in GROUPS if groups.get(group)
    ]


PICKER = _picker_groups()


def _field_view(spec: FieldSpec) -> dict[str, str]:
    def text(value: Any) -> str:
        return "" if value is None else str(value)

    return {
        "name": spec.name, "label": spec.label, "help": spec.help, "kind": spec.kind,
        "min": text(spec.min), "max": text(spec.max), "step": text(spec.step),
        "required": "1" if spec.required else "", "max_length": text(spec.max_length),
        "accept": text(spec.accept),
    }


def _initial_value(spec: FieldSpec) -> str:
    if spec.default is None:
        return ""
    if isinstance(spec.default, bool):
        return "true" if spec.default else "false"
    if isinstance(spec.default, list):
        return "\n".join(str(v) for v in spec.default)
    return str(spec.default)


def _coerce(spec: FieldSpec, raw: str) -> Any:
    """Form text -> the JSON value the catalog validates (bad text is passed through so
    the validator names the field)."""
    raw = raw.strip()
    if spec.kind == "boolean":
        return raw == "true"
    if spec.kind == "file_urls":
        urls = [line.strip() for line in raw.splitlines() if line.strip()]
        return urls if spec.multiple else (urls[0] if urls else None)
    if raw == "":
        return None
    if spec.kind == "select" and spec.choices:
        return next((choice for choice in spec.choices if str(choice) == raw), raw)
    if spec.kind == "integer":
        try:
            return int(raw)
        except ValueError:
            return raw
    if spec.kind == "number":
        try:
            return float(raw)
        except ValueError:
            return raw
    return raw


def build_params(entry: CatalogEntry, values: dict[str, str]) -> dict[str, Any]:
    params = {}
    for spec in entry.fields:
        value = _coerce(spec, values.get(spec.name, ""))
        if value is not None and value != []:
            params[spec.name] = value
    return params


async def _bytes_of(first: Any, chunks: rx.UploadChunkIterator):
    """The upload's bytes in order (one file at a time), starting with `first`."""
    expected = 0
    chunk = first
    while chunk is not None:
        if chunk.offset != expected:
            raise ValueError("upload chunks arrived out of order")
        expected += len(chunk.data)
        yield chunk.data
        chunk = await anext(chunks, None)


class CreateState(SignedInState):
    api_type: str = DEFAULT_MODEL
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    form_error: str = ""
    submitting: bool = False
    upload_progress: int = 0
    uploading: bool = False
    uploads: list[dict[str, str]] = []
    _touched: list[str] = []
    # One key per form submission: a double click makes one task.
    _submit_key: str = ""
    # How many variants to make (a seed walk when the model takes a seed); 1 = one task.
    runs: str = "1"
    tags_text: str = ""

    @rx.var
    def entry_view(self) -> dict[str, str]:
        entry = CATALOG.get(self.api_type) or CATALOG[DEFAULT_MODEL]
        return {"name": entry.display_name, "description": entry.description,
                "group": entry.group, "needs": "Needs a reference file" if _needs_file(entry) else ""}

    @rx.var
    def fields(self) -> list[dict[str, str]]:
        entry = CATALOG.get(self.api_type) or CATALOG[DEFAULT_MODEL]
        return [_field_view(spec) for spec in entry.fields]

    @rx.var
    def choices(self) -> dict[str, list[str]]:
        entry = CATALOG.get(self.api_type) or CATALOG[DEFAULT_MODEL]
        return {spec.name: [str(c) for c in spec.choices or []] for spec in entry.fields}

    @rx.var
    def has_file_field(self) -> bool:
        entry = CATALOG.get(self.api_type) or CATALOG[DEFAULT_MODEL]
        return any(spec.input_file for spec in entry.fields)

    def _entry(self) -> CatalogEntry:
        return CATALOG.get(self.api_type) or CATALOG[DEFAULT_MODEL]

    def _reset_form(self) -> None:
        self.values = {spec.name: _initial_value(spec) for spec in self._entry().fields}
        self.errors, self.form_error, self._touched = {}, "", []
        self._submit_key = uuid.uuid4().hex

    @rx.event
    async def on_load(self):
        if self.viewer() is None:
            return to_sign_in()
        await mark_visible(self, routes.CREATE)
        if not self.values:
            self._reset_form()

    @rx.event
    def pick(self, api_type: str):
        if api_type in CATALOG and api_type != self.api_type:
            self.api_type = api_type
            self._reset_form()

    @rx.event
    def set_value(self, name: str, value: str):
        self.values = {**self.values, name: str(value)[:20_000]}
        if name in self.errors:
            self.errors = {k: v for k, v in self.errors.items() if k != name}

    @rx.event
    def set_flag(self, name: str, checked: bool):
        self.set_value(name, "true" if checked else "false")

    def _problems(self) -> dict[str, str]:
        entry = self._entry()
        try:
            validate_request(entry.api_type, build_params(entry, self.values))
        except CatalogValidationError as error:
            return {e.field: e.message for e in error.errors}
        return {}

    @rx.event
    def check(self, name: str):
        """Inline validation when a field loses focus (only fields already touched)."""
        if name not in self._touched:
            self._touched = [*self._touched, name]
        problems = self._problems()
        self.errors = {k: v for k, v in problems.items() if k in self._touched}

    @rx.event
    def set_runs(self, value: str):
        self.runs = value if value in RUN_CHOICES else "1"

    @rx.event
    def set_tags_text(self, value: str):
        self.tags_text = value[:500]

    @rx.event
    async def submit(self):
        if self.submitting:
            return
        viewer = self.viewer()
        if viewer is None:
            yield to_sign_in()
            return
        entry = self._entry()
        self.submitting, self.form_error = True, ""
        yield
        runs = int(self.runs) if self.runs in RUN_CHOICES else 1
        tags = split_tags(self.tags_text)
        try:
            if runs > 1:
                result = await create_batch(entry.api_type, build_params(entry, self.values),
                                            runs, tags=tags, idempotency_key=self._submit_key,
                                            owner_id=viewer.owner_for_new)
            else:
                result = await create_generation_task(
                    entry.api_type, build_params(entry, self.values), tags=tags,
                    idempotency_key=self._submit_key, owner_id=viewer.owner_for_new,
                )
        finally:
            self.submitting = False
        if not result.ok:
            self.errors = {p.field: p.message for p in result.field_errors}
            self.form_error = result.message
            yield rx.toast.error("Please fix the form" if self.errors else result.message)
            return
        self._submit_key = uuid.uuid4().hex
        if runs > 1:
            yield rx.toast.success(f"{entry.display_name}: {runs} variants queued")
            yield rx.redirect(routes.batch_url(result.data.id))
            return
        yield rx.toast.success(f"{entry.display_name}: task queued")
        yield rx.redirect(routes.task_url(result.data.id))

    # --- reference files ---------------------------------------------------------
    @rx.event
    def on_upload_progress(self, progress: dict):
        self.upload_progress = int(float(progress.get("progress", 0) or 0) * 100)

    @rx.event(background=True)
    async def upload_reference(self, chunks: rx.UploadChunkIterator):
        async with self:
            viewer = self.viewer()
            self.uploading, self.upload_progress = viewer is not None, 0
        if viewer is None:
            async for _ in chunks:  # read and dropped: nothing is kept
                pass
            yield to_sign_in()
            return
        first = await anext(chunks, None)
        name = first.filename if first is not None else "upload"
        try:
            result = await upload_generation_file(_bytes_of(first, chunks), name,
                                                  owner_id=viewer.owner_for_new)
        finally:
            # Reflex wants every chunk read, even after a refusal (nothing is kept).
            async for _ in chunks:
                pass
            async with self:
                self.uploading = False
        if not result.ok:
            async with self:
                self.form_error = result.message
            yield rx.toast.error(result.message)
            return
        upload = result.data
        expires = upload.remote_expires_at
        soon = expires is not None and expires - utcnow() < timedelta(days=1)
        async with self:
            self.uploads = [*self.uploads, {
                "name": upload.original_name, "url": upload.remote_url or "",
                "mime": upload.mime_type, "expires_at": expires.isoformat() if expires else "",
                "expires_soon": "1" if soon else "",
            }]
            self._attach(upload.remote_url or "")
        yield rx.clear_selected_files(UPLOAD_ID)
        yield rx.toast.success("File uploaded and attached")

    def _attach(self, url: str) -> None:
        target = next((s for s in self._entry().fields if s.input_file), None)
        if target is None or not url:
            return
        current = self.values.get(target.name, "").strip()
        lines = [line for line in current.splitlines() if line.strip()]
        lines = [*lines, url] if target.multiple else [url]
        self.values = {**self.values, target.name: "\n".join(lines)}

    @rx.event
    def cancel_upload(self):
        self.uploading, self.upload_progress = False, 0
        return [rx.cancel_upload(UPLOAD_ID), rx.clear_selected_files(UPLOAD_ID)]


# --- components ---------------------------------------------------------------------

def _model_card(item) -> rx.Component:
    # A real <button>: reachable with Tab, chosen with Enter or Space.
    selected = CreateState.api_type == item["api_type"]
    return rx.el.button(
        rx.flex(
            rx.text(item["name"], weight="bold", size="2"),
            rx.text(item["description"], size="1", color_scheme="gray"),
            rx.cond(item["needs"] != "", rx.badge(item["needs"], size="1", variant="outline")),
            direction="column", spacing="1", align="start",
        ),
        type="button", role="radio", aria_checked=selected,
        on_click=CreateState.pick(item["api_type"]),
        class_name="model-card", data_api_type=item["api_type"],
        border=rx.cond(selected, "2px solid var(--accent-9)", "1px solid var(--gray-a6)"),
        background=rx.cond(selected, "var(--accent-a3)", "var(--color-panel-solid)"),
    )


def _picker_cards() -> rx.Component:
    return rx.flex(
        *[rx.box(
            rx.heading(group["title"], size="2", color_scheme="gray", margin_bottom="1",
                       as_="h2"),
            rx.flex(*[_model_card(item) for item in group["entries"]], direction="column",
                    spacing="2"),
        ) for group in PICKER],
        direction="column", spacing="3", role="radiogroup", aria_label="Model",
        max_height="78vh", overflow_y="auto", padding_right="1",
        display=rx.breakpoints(initial="none", md="flex"),
    )


def _picker_select() -> rx.Component:
    """On a phone the cards would push the form far down: a grouped select instead."""
    return rx.flex(
        rx.el.label("Model", html_for="model-select", class_name="rt-Text rt-r-size-2"),
        rx.el.select(
            *[rx.el.optgroup(*[rx.el.option(item["name"], value=item["api_type"])
                               for item in group["entries"]], label=group["title"])
              for group in PICKER],
            id="model-select", value=CreateState.api_type, on_change=CreateState.pick,
            class_name="native-select",
        ),
        direction="column", spacing="1",
        display=rx.breakpoints(initial="flex", md="none"),
    )


def _picker() -> rx.Component:
    return rx.box(_picker_cards(), _picker_select())


def _input_for(field) -> rx.Component:
    name = field["name"]
    value = CreateState.values[name]
    common = dict(id="field-" + name, on_blur=CreateState.check(name), width="100%")
    return rx.match(
        field["kind"],
        ("textarea", rx.text_area(value=value, on_change=lambda v: CreateState.set_value(name, v),
                                  rows="4", **common)),
        ("file_urls", rx.text_area(value=value, placeholder="Upload below, or paste URLs (one per line)",
                                   on_change=lambda v: CreateState.set_value(name, v),
                                   rows="2", **common)),
        ("select", rx.el.select(
            rx.foreach(CreateState.choices[name], lambda c: rx.el.option(c, value=c)),
            value=value, on_change=lambda v: CreateState.set_value(name, v),
            class_name="native-select", **common)),
        ("boolean", rx.switch(checked=value == "true", id="field-" + name,
                              on_change=lambda v: CreateState.set_flag(name, v))),
        ("integer", rx.input(type="number", value=value, step="1", min=field["min"],
                             max=field["max"], on_change=lambda v: CreateState.set_value(name, v),
                             **common)),
        ("number", rx.input(type="number", value=value, step="any", min=field["min"],
                            max=field["max"], on_change=lambda v: CreateState.set_value(name, v),
                            **common)),
        rx.input(value=value, on_change=lambda v: CreateState.set_value(name, v), **common),
    )


def _field(field) -> rx.Component:
    name = field["name"]
    return rx.flex(
        rx.el.label(field["label"], rx.cond(field["required"] != "", " *", ""),
                    html_for="field-" + name, class_name="rt-Text rt-r-size-2 rt-r-weight-medium"),
        _input_for(field),
        rx.cond(field["help"] != "", rx.text(field["help"], size="1", color_scheme="gray")),
        rx.cond(CreateState.errors.contains(name),
                rx.text(CreateState.errors[name], size="1", color_scheme="red", role="alert",
                        class_name="field-error", data_field=name)),
        direction="column", spacing="1", class_name="form-field",
    )


def _upload_item(item) -> rx.Component:
    return rx.flex(
        rx.cond(item["mime"].contains("image"),
                rx.image(src=item["url"], width="48px", height="48px", object_fit="cover",
                         border_radius="6px", alt=item["name"])),
        rx.flex(
            rx.text(item["name"], size="2", weight="medium"),
            rx.text("Kie keeps it until ", rx.moment(item["expires_at"], format="lll"), size="1",
                    color_scheme=rx.cond(item["expires_soon"] != "", "orange", "gray")),
            rx.cond(item["expires_soon"] != "",
                    rx.text("Expires within a day: upload again before reuse.", size="1",
                            color_scheme="orange")),
            direction="column",
        ),
        spacing="2", align="center", class_name="uploaded-file",
    )


def _uploader() -> rx.Component:
    return rx.cond(
        CreateState.has_file_field,
        rx.flex(
            rx.upload(
                rx.flex(
                    rx.text("Drop an image, video or audio file here, or click to choose",
                            size="2"),
                    rx.foreach(rx.selected_files(UPLOAD_ID), lambda f: rx.text(f, size="1")),
                    direction="column", align="center", spacing="1",
                ),
                id=UPLOAD_ID, multiple=False, max_files=1,
                accept={"image/*": [], "video/*": [], "audio/*": []},
                border="1px dashed var(--gray-a7)", border_radius="8px", padding="4",
                on_drop=CreateState.upload_reference(rx.upload_files_chunk(
                    upload_id=UPLOAD_ID, on_upload_progress=CreateState.on_upload_progress)),
            ),
            rx.cond(CreateState.uploading,
                    rx.flex(rx.progress(value=CreateState.upload_progress, max=100, flex="1",
                                        aria_label="Upload progress"),
                            rx.button("Cancel", size="1", variant="soft",
                                      on_click=CreateState.cancel_upload),
                            spacing="2", align="center")),
            rx.foreach(CreateState.uploads, _upload_item),
            direction="column", spacing="2",
        ),
    )


def _form() -> rx.Component:
    return rx.card(
        rx.flex(
            rx.heading(CreateState.entry_view["name"], size="4", as_="h2", id="form-title"),
            rx.text(CreateState.entry_view["description"], size="2", color_scheme="gray"),
            rx.cond(CreateState.entry_view["needs"] != "",
                    rx.badge(CreateState.entry_view["needs"], variant="outline",
                             width="fit-content")),
            rx.foreach(CreateState.fields, _field),
            _uploader(),
            rx.flex(
                rx.el.label("Variants", html_for="runs", class_name="rt-Text rt-r-size-2"),
                rx.el.select(*[rx.el.option(choice, value=choice) for choice in RUN_CHOICES],
                             id="runs", value=CreateState.runs, on_change=CreateState.set_runs,
                             class_name="native-select"),
                rx.input(placeholder="Tags, e.g. poster client-a", value=CreateState.tags_text,
                         on_change=CreateState.set_tags_text, id="tags", aria_label="Tags",
                         flex="1", min_width="10em"),
                spacing="2", align="center", wrap="wrap",
            ),
            rx.cond(CreateState.form_error != "",
                    rx.callout(CreateState.form_error, color_scheme="red", id="form-error")),
            rx.button(rx.cond(CreateState.submitting, "Submitting…", "Generate"),
                      on_click=CreateState.submit, loading=CreateState.submitting,
                      size="3", id="submit"),
            direction="column", spacing="3",
        ),
        id="create-form", data_api_type=CreateState.api_type,
    )


def create_page() -> rx.Component:
    return page(
        rx.grid(
            _picker(),
            _form(),
            columns=rx.breakpoints(initial="1", md="minmax(240px, 1fr) 2fr"), spacing="4",
        ),
        title="Create",
    )
